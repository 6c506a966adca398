"""Uncertainty weighting: task weights from learned homoscedastic noise levels."""

from __future__ import annotations

from numbers import Real

import torch

from ._base import Decision, WeightingStrategy
from ._common import LEARNING_RATE_CONSTRAINT, learned_parameters


def uncertainty_objective_gradient(log_variances, losses, factors):
    """Gradient of ``sum_k factors[k] exp(-s_k) L_k + s_k`` with respect to ``s``.

    Parameters
    ----------
    log_variances, losses, factors : Tensor of shape (n_tasks,)

    Returns
    -------
    Tensor of shape (n_tasks,)
        ``1 - factors[k] exp(-s_k) L_k``; zero at ``s_k = log(factors[k] L_k)``.

    Examples
    --------
    >>> import torch
    >>> uncertainty_objective_gradient(torch.zeros(2), torch.tensor([2.0, 2.0]),
    ...                                torch.tensor([1.0, 0.5]))
    tensor([-1.,  0.])
    """
    return 1.0 - factors * torch.exp(-log_variances) * losses


class UncertaintyWeighting(WeightingStrategy):
    """Weigh tasks by their learned homoscedastic uncertainty (Kendall et al.).

    Each task k has a learned log-variance ``s_k``; the multi-task objective is
    ``sum_k c_k exp(-s_k) L_k + s_k``, with ``c_k = 1`` for classification
    tasks and ``c_k = 1/2`` for regression tasks (the Gaussian likelihood's
    ``1 / (2 sigma^2)``). The network's update is the gradient of
    ``sum_k w_k L_k`` with ``w_k = c_k exp(-s_k)``; the strategy updates the
    ``s_k`` itself with one Adam step on the closed-form gradient
    ``1 - c_k exp(-s_k) L_k`` of the detached losses, so a noisy task (large
    loss) drifts to a large ``s_k`` and a small weight.

    Parameters
    ----------
    learning_rate : float or None, default=None
        Adam learning rate of the log-variances; ``None`` uses the network's.
    initial_log_variance : float, default=0.0
        Starting value of every ``s_k``.

    Notes
    -----
    A step uses the weights in force before it, then updates ``s``. A task
    with no label in the batch has loss 0 and sits out that step's update
    (otherwise its ``s_k`` would be pushed up for want of data). Attribute
    ``log_variances_`` holds the current ``s``.

    References
    ----------
    .. [1] A. Kendall, Y. Gal, R. Cipolla, "Multi-Task Learning Using
       Uncertainty to Weigh Losses for Scene Geometry and Semantics",
       CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import UncertaintyWeighting
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0] + 0.1 * X[:, 1]])
    >>> model = HydaMultiTaskClassifier(weighting=UncertaintyWeighting(learning_rate=0.01),
    ...                                 max_iter=5, random_state=0).fit(X, y)
    >>> model.weight_history_[0].tolist()  # exp(0) for binary, exp(0) / 2 for regression
    [1.0, 0.5]
    """

    _parameter_constraints = {
        "learning_rate": LEARNING_RATE_CONSTRAINT,
        "initial_log_variance": [Real],
    }

    def __init__(self, learning_rate=None, initial_log_variance=0.0):
        self.learning_rate = learning_rate
        self.initial_log_variance = initial_log_variance

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        self.factors_ = torch.tensor([0.5 if kind == "regression" else 1.0 for kind in task_types])
        self.log_variances_ = torch.full((self.n_tasks_,), float(self.initial_log_variance))
        self._learned = None

    def weigh(self, step):
        self._learned = learned_parameters(self._learned, self.log_variances_, step,
                                         self.learning_rate)
        weights = self.factors_ * torch.exp(-self.log_variances_)
        losses = step.losses.detach().cpu().float()
        gradient = uncertainty_objective_gradient(self.log_variances_, losses, self.factors_)
        present = (step.labeled.cpu() > 0) & torch.isfinite(gradient)
        self.log_variances_ = self._learned.step(torch.where(present, gradient, 0.0)).clone()
        return Decision(weights.to(step.losses.device))
