"""
====================================
Reading and plotting task weights
====================================

HydaLearn chooses the task weights anew for every mini-batch. This example
reads the recorded trajectory as DataFrames
(:meth:`~hydasklearn.HydaMultiTaskClassifier.training_history`), plots it
with :mod:`hydasklearn.plotting`, and sums it up per auxiliary task
(``auxiliary_task_report_``): which of them helped the main task.

The data have one auxiliary task that is *related* to the main task (a
cleaner measurement of the same score) and one that is pure *noise*. The
weights follow the paper's rule, set anew on every mini-batch in proportion
to gains measured on held-out main-task batches
(``HydaLearn.paper_rule(gain=ExactGain(data="heldout"))``), which leaves the
auxiliary tasks more room than gains on the current batch.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.plotting import (
    plot_gains,
    plot_loss_curves,
    plot_task_evidence,
    plot_task_weights,
)
from hydasklearn.weighting import ExactGain, HydaLearn

n_samples, max_iter = 2000, 30
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("HYDASKLEARN_DOCS_FAST") == "1":  # CI: less data, fewer epochs
    n_samples, max_iter = 1000, 12
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# sphinx_gallery_end_ignore

X, y, _ = make_auxiliary_tasks(n_samples=n_samples, aux_relations=("related", "noise"),
                               main_noise=1.5, random_state=0)
model = HydaMultiTaskClassifier(
    hidden_layer_sizes=(64, 64),
    weighting=HydaLearn.paper_rule(gain=ExactGain(data="heldout")),
    batch_size=100, max_iter=max_iter, random_state=0).fit(X, y)

# %%
# One row per optimizer step
# --------------------------
steps = model.training_history()
print(steps.head())
print(f"{len(steps)} steps over {steps['epoch'].max()} epochs")

# %%
# How often each task was switched off (weight 0), and its mean weight:
weights = steps.filter(like="weight_")
print((weights == 0).mean().round(3).rename("share of steps with weight 0"))
print(weights.mean().round(3).rename("mean weight"))

# %%
# One row per epoch
# -----------------
epochs = model.training_history("epoch")
print(epochs.round(4).head())

# %%
# Plots
# -----
# The weights, raw (faint) and as a moving average, the gains they come
# from (a task below the zero line gets weight 0 on that batch), and the
# losses.
fig, axes = plt.subplots(3, 1, figsize=(8, 10), sharex=False)
plot_task_weights(model, ax=axes[0])
plot_gains(model, ax=axes[1], smooth=20)
plot_loss_curves(model, ax=axes[2])
fig.tight_layout()

# %%
# The weights per epoch, from the epoch DataFrame, with pandas' own plotting:
epochs.filter(like="weight_").plot(marker=".", ylabel="mean task weight",
                                   title="Mean weight per epoch")

# %%
# Which auxiliary tasks helped?
# -----------------------------
# ``auxiliary_task_report_`` sums the records up per auxiliary task: the
# average gain over the fit with its standard error, the mean weight,
# whether the task ended switched off, and a verdict ("helps", "no
# evidence" or "hurts", by the z-score). The related task should help; the
# noise task should not.
report = model.auxiliary_task_report_
print(report[["mean_gain", "gain_standard_error", "gain_z_score", "mean_weight",
              "switched_off", "verdict"]].to_string())

# %%
# The same as a plot: every task's average gain with two standard errors
# either side, colored by the verdict.
plot_task_evidence(model)
