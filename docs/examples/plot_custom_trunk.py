"""
==========================================
Your own trunk: a small residual network
==========================================

The shared trunk need not be the MLP of ``hidden_layer_sizes``: pass any
``torch.nn.Module`` class (or a function building one) as ``trunk``. It is
called as ``trunk(n_features)`` and must map a ``(batch, n_features)`` float
tensor to a ``(batch, width)`` one; the package measures ``width``, adds one
head per task and trains the whole network with the task weighting of your
choice (HydaLearn here).

The trunk below is a residual MLP in the style of the tabular ResNet of
Gorishniy et al. (2021): a linear embedding, then blocks that add
``Linear(ReLU(Linear(LayerNorm(h))))`` to their input. We compare it with the
built-in MLP trunk, both stopping early on the main task's validation ROC
AUC (``scoring="roc_auc"``) and restoring the best epoch's weights.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks

n_samples, max_iter = 3000, 60
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("HYDASKLEARN_DOCS_FAST") == "1":  # CI: less data, fewer epochs
    n_samples, max_iter = 800, 8
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# sphinx_gallery_end_ignore


# %%
# The trunk
# ---------
# A class whose constructor takes ``n_features`` (further options through
# :func:`functools.partial`). It keeps torch's own initialization, drawn
# under the estimator's ``random_state``.
class ResidualBlock(nn.Module):
    def __init__(self, width, hidden, dropout):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.inner = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout),
                                   nn.Linear(hidden, width))

    def forward(self, h):
        return h + self.inner(self.norm(h))


class ResidualTrunk(nn.Module):
    def __init__(self, n_features, width=32, n_blocks=2, dropout=0.1):
        super().__init__()
        self.embed = nn.Linear(n_features, width)
        self.blocks = nn.Sequential(*[ResidualBlock(width, 2 * width, dropout)
                                      for _ in range(n_blocks)])
        self.out = nn.Sequential(nn.LayerNorm(width), nn.ReLU())

    def forward(self, x):
        return self.out(self.blocks(self.embed(x)))


# %%
# Data and models
# ---------------
# One auxiliary task related to the main one, one of pure noise.
X, y, _ = make_auxiliary_tasks(n_samples=n_samples, aux_relations=("related", "noise"),
                               main_noise=1.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y[:, 0])
common = dict(early_stopping=True, scoring="roc_auc", n_iter_no_change=10,
              max_iter=max_iter, batch_size=100, random_state=0)
models = {
    "MLP trunk (64, 64)": HydaMultiTaskClassifier(hidden_layer_sizes=(64, 64), **common),
    "residual trunk": HydaMultiTaskClassifier(trunk=ResidualTrunk, **common),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    n_parameters = sum(p.numel() for p in model.net_.module_.trunk.parameters())
    auc = roc_auc_score(y_test[:, 0].astype(int), model.predict_proba(X_test)[:, 1])
    print(f"{name:20s} trunk parameters {n_parameters:6d}  epochs {model.n_iter_:3d}  "
          f"best validation ROC AUC {model.best_validation_score_:.3f}  test ROC AUC {auc:.3f}")

# %%
# The fitted trunk is the module the class built, inside ``net_``; the
# ``trunk`` parameter itself is left as it was (a class), so the estimator
# clones and grid-searches like any other.
residual = models["residual trunk"]
print(type(residual.net_.module_.trunk.module).__name__, "of width",
      residual.net_.module_.trunk.width)
print(residual.trunk is ResidualTrunk)

# %%
# Validation scores and task weights
# ----------------------------------
# ``validation_scores_`` holds the main task's validation ROC AUC of every
# epoch; the weights of the best epoch were restored at the end.
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for name, model in models.items():
    axes[0].plot(range(1, model.n_iter_ + 1), model.validation_scores_, marker=".",
                 label=name)
axes[0].set(xlabel="epoch", ylabel="validation ROC AUC (main task)",
            title="Early stopping on the score")
axes[0].legend()
weights = residual.training_history("epoch").filter(like="weight_")
weights.plot(ax=axes[1], marker=".", title="HydaLearn's mean task weight per epoch\n"
             "(residual trunk)", xlabel="epoch")
fig.tight_layout()
plt.show()
