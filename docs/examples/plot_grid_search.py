"""
=========================================
Grid search over weightings in a pipeline
=========================================

The task weighting is a hyper-parameter like any other: put the estimator in
a :class:`~sklearn.pipeline.Pipeline`, search over ``weighting`` (and the
options of a strategy object) with :class:`~sklearn.model_selection.GridSearchCV`,
and score the main task with :func:`~hydasklearn.metrics.main_task_scorer`,
which passes only column 0 of ``y`` to the scorer.

Static weights ``[1, 0, 0]`` give the auxiliary tasks no weight: single-task
learning on the same network, as a baseline inside the same search.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer
from hydasklearn.model_selection import MainTaskStratifiedKFold
from hydasklearn.weighting import HydaLearn

n_samples, max_iter, n_splits = 1500, 30, 5
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("HYDASKLEARN_DOCS_FAST") == "1":  # CI: less data, fewer epochs
    n_samples, max_iter, n_splits = 600, 10, 3
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# sphinx_gallery_end_ignore

X, y, _ = make_auxiliary_tasks(n_samples=n_samples, aux_relations=("related", "noise"),
                               main_noise=1.5, random_state=1)
X = X * 10 + 3  # features on an unhelpful scale: the pipeline standardizes them

pipeline = make_pipeline(
    StandardScaler(),
    HydaMultiTaskClassifier(hidden_layer_sizes=(32,), max_iter=max_iter, random_state=0),
)
weightings = {
    "single-task": [1.0, 0.0, 0.0],
    "equal": "equal",
    "HydaLearn": "hydalearn",
    "HydaLearn, paper's rule": HydaLearn.paper_rule(),
}
search = GridSearchCV(
    pipeline,
    {"hydamultitaskclassifier__weighting": list(weightings.values())},
    scoring=main_task_scorer("roc_auc"),
    # Stratify the folds on the main target (column 0); cv=<int> would not.
    cv=MainTaskStratifiedKFold(n_splits, shuffle=True, random_state=0),
)
search.fit(X, y)

# %%
# The cross-validated main-task ROC AUC of every weighting (``n_jobs`` would
# run the fits in parallel processes; see :ref:`scaleout`):
results = pd.DataFrame({
    "weighting": list(weightings),
    "mean ROC AUC": search.cv_results_["mean_test_score"],
    "std": search.cv_results_["std_test_score"],
    "fit time (s)": search.cv_results_["mean_fit_time"],
})
print(results.round(3).to_string(index=False))

# %%
fig, ax = plt.subplots(figsize=(7, 3))
positions = np.arange(len(results))
ax.errorbar(results["mean ROC AUC"], positions, xerr=results["std"], fmt="o")
ax.set_yticks(positions, results["weighting"])
ax.set_xlabel(f"main-task ROC AUC ({n_splits}-fold CV, mean and std)")
ax.invert_yaxis()
fig.tight_layout()

# %%
# The differences between folds are often as large as those between
# weightings: compare on your own data with enough folds (or repeated
# splits) before choosing. The refitted best pipeline is an ordinary
# estimator:
print(search.best_params_)
print(search.best_estimator_.predict_proba(X[:2]))
