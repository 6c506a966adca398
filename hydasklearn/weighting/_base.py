"""The interface every task-weighting strategy implements."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from sklearn.base import BaseEstimator


@dataclass
class TaskWeights:
    """What a strategy decides for one mini-batch.

    Attributes
    ----------
    weights : Tensor of shape (n_tasks,)
        Loss weights. The update is the gradient of ``sum_k weights[k] * L_k``
        (heads included).
    gains : Tensor of shape (n_tasks,) or None
        Per-task scores the weights were derived from (HydaLearn's main-task
        gains), recorded in ``gain_history_``.
    shared_gradient : Tensor of shape (n_shared,) or None
        For gradient-surgery methods: the trunk's update direction, replacing
        ``weights @ shared_gradients``. The heads still use ``weights``.
    """

    weights: torch.Tensor
    gains: torch.Tensor | None = None
    shared_gradient: torch.Tensor | None = None


class WeightingStrategy(BaseEstimator):
    """Base class of task-weighting strategies.

    A strategy is a scikit-learn style object: ``__init__`` stores its options
    (so ``clone``, ``get_params`` and nested grid-search parameters such as
    ``weighting__approximation`` work), and the estimator fits a clone of it.

    Subclasses implement :meth:`weigh`; they may override :meth:`start` (reset
    state at the beginning of a fit) and :meth:`end_epoch` (epoch-level
    statistics, e.g. for DWA). :meth:`weigh` receives a
    :class:`~hydasklearn._step.TrainingStep`, which computes per-task gradients,
    their Gramian, representation gradients and look-ahead losses only when a
    strategy asks for them; a strategy that only reads ``step.losses`` costs a
    single backward pass.
    """

    def start(self, task_names, task_types):
        """Reset the strategy's state before training.

        Parameters
        ----------
        task_names : list of str
        task_types : list of {"binary", "multiclass", "regression"}
        """
        self.n_tasks_ = len(task_names)

    def weigh(self, step):
        """Choose the task weights for one mini-batch.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        TaskWeights
        """
        raise NotImplementedError

    def end_epoch(self, task_losses):
        """Receive the mean training loss of every task over the epoch just ended.

        Parameters
        ----------
        task_losses : ndarray of shape (n_tasks,)
        """
