"""
===========
Quick start
===========

Fit a multi-task classifier whose ``y`` holds the main target and two
auxiliary targets, predict, and compare it with single-task learning on the
same network.

The data come from :func:`~hydasklearn.datasets.make_auxiliary_tasks`: a
binary main task whose labels are noisy, an auxiliary regression target that
is a clean measurement of the same underlying score (*related*), and one that
is pure noise.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks

n_samples, max_iter = 2000, 40
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("HYDASKLEARN_DOCS_FAST") == "1":  # CI: less data, fewer epochs
    n_samples, max_iter = 800, 15
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# sphinx_gallery_end_ignore

X, y, _ = make_auxiliary_tasks(n_samples=n_samples, aux_relations=("related", "noise"),
                               main_noise=1.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y[:, 0])
print(X_train.shape, y_train.shape)  # column 0: main target; 1 and 2: auxiliary

# %%
# Fit and predict
# ---------------
# The classifier learns all three tasks; ``predict_proba`` and ``predict``
# concern the main task, ``predict_tasks`` returns every task.
model = HydaMultiTaskClassifier(hidden_layer_sizes=(64, 64), max_iter=max_iter,
                                random_state=0)
model.fit(X_train, y_train)
print(model.task_types_)
print(model.predict_proba(X_test[:3]))
print({name: values[:3] for name, values in model.predict_tasks(X_test).items()})

# %%
# Against single-task learning
# ----------------------------
# The same estimator with a 1-D ``y`` learns the main task alone.
single = HydaMultiTaskClassifier(hidden_layer_sizes=(64, 64), max_iter=max_iter,
                                 random_state=0)
single.fit(X_train, y_train[:, 0])

for name, fitted in [("single-task", single), ("multi-task, HydaLearn", model)]:
    auc = roc_auc_score(y_test[:, 0], fitted.predict_proba(X_test)[:, 1])
    print(f"{name:<22} test ROC AUC {auc:.3f}")

# %%
# One data set and one seed say little about which is better; see the
# :ref:`grid search example <sphx_glr_auto_examples_plot_grid_search.py>` for
# a cross-validated comparison and :ref:`benchmarks` for many seeds.
#
# The losses of every task, per epoch:
from hydasklearn.plotting import plot_loss_curves  # noqa: E402

plot_loss_curves(model)
