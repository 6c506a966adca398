"""Constant task weights: user-given static weights, equal weighting, the main task alone."""

from __future__ import annotations

import numpy as np
import torch

from ._base import Decision, WeightingStrategy


class StaticWeighting(WeightingStrategy):
    """Fixed loss weights, the classical multi-task objective ``sum_k w_k L_k``.

    Parameters
    ----------
    weights : sequence of float or None, default=None
        One finite, non-negative weight per task, main task first; the main
        task's must be positive (its head learns from its own loss only).
        ``None`` weighs every task 1 (equal weighting).

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskRegressor
    >>> from hydasklearn.weighting import StaticWeighting
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = np.column_stack([X[:, 0], X[:, 0] + X[:, 1]])
    >>> model = HydaMultiTaskRegressor(weighting=StaticWeighting([1.0, 0.5]),
    ...                                max_iter=5, random_state=0).fit(X, y)
    >>> model.weight_history_[0].tolist()
    [1.0, 0.5]
    """

    _parameter_constraints = {"weights": ["array-like", None]}

    def __init__(self, weights=None):
        self.weights = weights

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        if self.weights is None:
            weights = np.ones(self.n_tasks_)
        else:
            weights = np.asarray(self.weights, dtype=np.float64)
            if weights.shape != (self.n_tasks_,):
                raise ValueError(
                    f"Static weights must give one weight per task ({self.n_tasks_}: "
                    f"{task_names}), got {weights.shape[0] if weights.ndim else 'a scalar'}."
                )
            if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights[0] > 0:
                raise ValueError("Static weights must be finite and >= 0, the main task's > 0; "
                                 f"got {weights.tolist()}.")
        self.weights_ = torch.as_tensor(weights, dtype=torch.float32)

    def weigh(self, step):
        return Decision(self.weights_.to(step.losses.device))


class EqualWeighting(StaticWeighting):
    """Every task weighs 1: ``L = sum_k L_k``.

    Examples
    --------
    >>> from hydasklearn.weighting import EqualWeighting
    >>> EqualWeighting()
    EqualWeighting()
    """

    def __init__(self):
        super().__init__(weights=None)


class MainTaskOnly(StaticWeighting):
    """The main task alone: weight 1 for the main task, 0 for every auxiliary task.

    The trunk and the main head learn as in single-task learning, whatever
    the number of auxiliary columns in ``y`` (their heads do not learn, and
    their predictions mean nothing). It is the baseline to compare a
    multi-task weighting with in one search over ``weighting`` on the same
    ``y``: see "Do my side targets help at all?" in the user guide's
    weighting page.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 1], X[:, 2]])
    >>> model = HydaMultiTaskClassifier(weighting="main-only", max_iter=3,
    ...                                 random_state=0).fit(X, y)
    >>> model.weight_history_[0].tolist()
    [1.0, 0.0, 0.0]
    """

    def __init__(self):
        super().__init__(weights=None)

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        self.weights_[1:] = 0.0  # the static weights of equal weighting, auxiliary tasks off
