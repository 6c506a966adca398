"""The compared methods and their (equal) tuning budgets.

Every network method - single-task, each weighting strategy of the
registry, scikit-learn's ``MLPClassifier`` - searches the same candidate
configurations (architecture, L2 penalty, learning rate); gradient boosting
gets the same number of candidates from a space of its own. Strategy options
(e.g. GradNorm's alpha) keep their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from _registry import resolve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.neural_network import MLPClassifier

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.weighting import STRATEGIES

NETWORK_DEFAULTS = {"hidden_layer_sizes": (64, 64), "alpha": 1e-4, "learning_rate_init": 1e-3}
NETWORK_SPACE = {"hidden_layer_sizes": [(64,), (64, 64), (128, 128)],
                 "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
                 "learning_rate_init": [3e-4, 1e-3, 3e-3]}
BOOSTING_DEFAULTS = {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20,
                     "l2_regularization": 0.0}
BOOSTING_SPACE = {"learning_rate": [0.03, 0.1, 0.3], "max_leaf_nodes": [7, 15, 31, 63],
                  "min_samples_leaf": [10, 20, 50, 100], "l2_regularization": [0.0, 1.0, 10.0]}
BATCH_SIZE = 200


@dataclass(frozen=True)
class Method:
    """A method of the comparison.

    Attributes
    ----------
    name : str
    family : {"network", "boosting"}
        Which candidate list it searches.
    build : callable
        ``build(params, seed, epochs) -> unfitted estimator``.
    multitask : bool
        Fitted on every target column (else on the main column only).
    hydalearn : bool
        Its weight trajectories are recorded.
    """

    name: str
    family: str
    build: Callable
    multitask: bool = False
    hydalearn: bool = False


def _hyda(weighting):
    def build(params, seed, epochs):
        max_iter, patience = epochs
        return HydaMultiTaskClassifier(
            weighting=weighting, batch_size=BATCH_SIZE, max_iter=max_iter,
            early_stopping=True, n_iter_no_change=patience, random_state=seed, **params)
    return build


def _mlp(params, seed, epochs):
    max_iter, patience = epochs
    return MLPClassifier(batch_size=BATCH_SIZE, max_iter=max_iter, early_stopping=True,
                         n_iter_no_change=patience, random_state=seed, **params)


def _boosting(params, seed, epochs):
    return HistGradientBoostingClassifier(max_iter=500, early_stopping=True,
                                          validation_fraction=0.1, random_state=seed, **params)


def methods():
    """Every compared method; the weighting strategies are read from the registry now."""
    found = [Method("single-task", "network", _hyda("equal"))]
    for name in STRATEGIES:
        found.append(Method(name, "network", _hyda(name), multitask=True,
                            hydalearn=name == "hydalearn"))
        if name == "hydalearn":
            # The paper's rule (gains of the current batch, weights proportional to them,
            # set anew on every step) next to the default.
            found.append(Method("hydalearn-paper", "network", _hyda(resolve("hydalearn-paper")),
                                multitask=True, hydalearn=True))
    found.append(Method("MLPClassifier", "network", _mlp))
    found.append(Method("HistGradientBoosting", "boosting", _boosting))
    return found


def candidates(family, budget, seed):
    """The configurations a method of ``family`` tries: the defaults, then random draws.

    The list depends only on the family, the budget and the seed, so every
    network method of a seed tries exactly the same configurations.
    """
    defaults, space = ((NETWORK_DEFAULTS, NETWORK_SPACE) if family == "network"
                       else (BOOSTING_DEFAULTS, BOOSTING_SPACE))
    chosen = [dict(defaults)]
    # Every space is a grid of lists: the sampler draws without replacement.
    for params in ParameterSampler(space, n_iter=len(ParameterGrid(space)), random_state=seed):
        if len(chosen) >= budget:
            break
        if params not in chosen:
            chosen.append(params)
    return chosen[:budget]
