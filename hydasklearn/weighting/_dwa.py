"""Dynamic weight average (DWA): task weights from the tasks' recent rates of loss decrease."""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._base import Decision, WeightingStrategy


def dwa_weights(previous_losses, last_losses, temperature):
    """DWA's weights from two consecutive epochs' mean task losses.

    Parameters
    ----------
    previous_losses, last_losses : array-like of shape (n_tasks,)
        Mean training loss of every task over epochs t-2 and t-1.
    temperature : float

    Returns
    -------
    ndarray of shape (n_tasks,)
        ``n_tasks * softmax(r / T)`` with ``r_k = L_k(t-1) / L_k(t-2)``: a task
        whose loss fell less gets more weight. A ratio that is not finite (a
        loss of 0, a task never labeled) counts as 1.

    Examples
    --------
    >>> dwa_weights([1.0, 1.0], [1.0, 1.0], temperature=2.0)
    array([1., 1.])
    >>> dwa_weights([1.0, 2.0], [0.5, 2.0], temperature=2.0).round(4)
    array([0.8756, 1.1244])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (np.asarray(last_losses, dtype=np.float64)
                  / np.asarray(previous_losses, dtype=np.float64))
    ratios = np.where(np.isfinite(ratios), ratios, 1.0)
    scores = np.exp((ratios - ratios.max()) / temperature)
    return len(ratios) * scores / scores.sum()


class DWA(WeightingStrategy):
    """Dynamic weight average: weigh up the tasks whose loss decreases slowest.

    At epoch t every task weighs ``w_k = K exp(r_k / T) / sum_j exp(r_j / T)``
    with ``r_k = L_k(t-1) / L_k(t-2)`` the ratio of task k's mean training
    losses over the last two epochs and K the number of tasks. The first two
    epochs use equal weights. It needs only the epoch losses
    (:meth:`end_epoch`): no per-task gradient, so it costs what equal
    weighting costs.

    Parameters
    ----------
    temperature : float, default=2.0
        Softness ``T`` of the softmax; large values tend to equal weights.

    References
    ----------
    .. [1] S. Liu, E. Johns, A. J. Davison, "End-to-End Multi-Task Learning
       with Attention", CVPR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskRegressor
    >>> from hydasklearn.weighting import DWA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0], X[:, 1] > 0, rng.normal(size=200)])
    >>> model = HydaMultiTaskRegressor(weighting=DWA(), max_iter=4, random_state=0).fit(X, y)
    >>> weights = model.weight_history_  # one step per epoch here (batch of 200)
    >>> weights[:2].tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    >>> bool(np.allclose(weights.sum(axis=1), 3.0))
    True
    """

    _parameter_constraints = {"temperature": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, temperature=2.0):
        self.temperature = temperature

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        self.epoch_losses_ = []
        self.weights_ = torch.ones(self.n_tasks_)

    def weigh(self, step):
        return Decision(self.weights_.to(step.losses.device))

    def end_epoch(self, task_losses):
        self.epoch_losses_.append(np.asarray(task_losses, dtype=np.float64))
        if len(self.epoch_losses_) >= 2:
            weights = dwa_weights(self.epoch_losses_[-2], self.epoch_losses_[-1], self.temperature)
            self.weights_ = torch.as_tensor(weights, dtype=torch.float32)
