"""OL-AUX: auxiliary weights learned online from accumulated gradient inner products."""

from __future__ import annotations

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval

from ._base import Decision, WeightingStrategy


class OLAux(WeightingStrategy):
    """Online learning of auxiliary task weights (OL-AUX).

    The main task weighs 1. Every ``update_every`` (N) optimizer steps, each
    auxiliary weight takes a gradient step on the main-task loss:

    ``w_k <- w_k + beta * alpha * sum_{last N steps} <g_0, g_k>``,

    ``g_k`` the gradient of task k's loss with respect to the shared
    parameters on that step's batch, ``alpha`` the model's learning rate and
    ``beta`` (``weight_learning_rate``) the weights' own. The inner products
    are the first row of the Gramian of the task gradients, the same code
    path as HydaLearn's first-order gains.

    Parameters
    ----------
    update_every : int, default=5
        Number of steps N between weight updates.
    weight_learning_rate : float, default=1.0
        The weights' learning rate ``beta``.
    initial_weight : float, default=1.0
        Starting weight of every auxiliary task.

    Notes
    -----
    A step uses the weights in force before it; its inner products count
    towards the next update. Weights are kept >= 0 (our choice: a negative
    weight would make the network ascend an auxiliary loss). ``gain_history_``
    records ``alpha <g_0, g_k>`` of every step (HydaLearn's first-order
    gains). A task with no label in a batch contributes 0 on that batch.

    References
    ----------
    .. [1] X. Lin, H. S. Baweja, G. Kantor, D. Held, "Adaptive Auxiliary Task
       Weighting for Reinforcement Learning", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskRegressor
    >>> from hydasklearn.weighting import OLAux
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0], X[:, 0] + 0.1 * X[:, 1], rng.normal(size=200)])
    >>> model = HydaMultiTaskRegressor(weighting=OLAux(update_every=2, weight_learning_rate=50),
    ...                                max_iter=10, batch_size=50, random_state=0).fit(X, y)
    >>> weights = model.weight_history_
    >>> bool(np.all(weights[:, 0] == 1)), bool(np.all(weights[:2, 1:] == 1))
    (True, True)
    >>> bool(weights[-1, 1] > weights[-1, 2])  # the related task outgrows the noise
    True
    """

    _parameter_constraints = {
        "update_every": [Interval(Integral, 1, None, closed="left")],
        "weight_learning_rate": [Interval(Real, 0, None, closed="left")],
        "initial_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, update_every=5, weight_learning_rate=1.0, initial_weight=1.0):
        self.update_every = update_every
        self.weight_learning_rate = weight_learning_rate
        self.initial_weight = initial_weight

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        self.weights_ = torch.full((self.n_tasks_,), float(self.initial_weight))
        self.weights_[0] = 1.0
        self.accumulated_ = torch.zeros(self.n_tasks_, dtype=torch.float64)
        self.n_steps_ = 0

    def weigh(self, step):
        weights = self.weights_.clone().to(step.losses.device)
        gains = step.learning_rate * step.gramian[0].detach()
        finite = torch.nan_to_num(gains, nan=0.0, posinf=0.0, neginf=0.0)
        self.accumulated_ += finite.double().cpu()
        self.n_steps_ += 1
        if self.n_steps_ % self.update_every == 0:
            update = self.weight_learning_rate * self.accumulated_[1:]
            self.weights_[1:] = (self.weights_[1:].double() + update).clamp(min=0).float()
            self.accumulated_.zero_()
        return Decision(weights, gains=gains)
