"""The contract between a task-weighting strategy and the training step.

A strategy reads one mini-batch's :class:`~hydasklearn._engine.step.TrainingStep`
(losses, and lazily computed gradients, Gramian, ...) and returns a
:class:`Decision`. It never writes ``.grad`` and never runs a backward pass
itself: :func:`hydasklearn._engine.update.apply_decision` alone turns a decision
into gradients, by the rules written in :class:`Decision`.
"""

from __future__ import annotations

import torch
from sklearn.base import BaseEstimator

from .._engine.decision import Decision


class WeightingStrategy(BaseEstimator):
    """Base class of task-weighting strategies.

    A strategy is a scikit-learn style object: ``__init__`` stores its
    options (so ``clone``, ``get_params`` and nested grid-search parameters
    such as ``weighting__gain_every`` work), declared in
    ``_parameter_constraints`` as in scikit-learn and checked by
    :meth:`start`. The net that trains the network owns a started clone: it
    calls :meth:`start` once before training, :meth:`decide` on every
    mini-batch and :meth:`end_epoch` after every epoch.

    Subclasses implement :meth:`weigh` and may extend :meth:`start` (call
    ``super().start(...)`` first, then reset state) and :meth:`end_epoch`.
    :meth:`weigh` is only called with two tasks or more: with a single task
    every strategy is single-task learning.

    Examples
    --------
    A strategy that trusts the task with the smallest loss most:

    >>> import torch
    >>> from hydasklearn.weighting import Decision, WeightingStrategy
    >>> class InverseLoss(WeightingStrategy):
    ...     def weigh(self, step):
    ...         inverse = 1 / step.losses.detach().clamp(min=1e-8)
    ...         return Decision(weights=inverse * step.n_tasks / inverse.sum())
    """

    _parameter_constraints: dict = {}

    def start(self, task_names, task_types, random_state=None):
        """Check the options and reset the strategy's state before training.

        Parameters
        ----------
        task_names : list of str
        task_types : list of {"binary", "multiclass", "regression"}
        random_state : int or None
            The fit's seed, for strategies that draw random numbers.
        """
        self._validate_params()
        self.n_tasks_ = len(task_names)

    def decide(self, step):
        """The decision for one mini-batch: :meth:`weigh`'s, or weight 1 for a single task.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        Decision
        """
        if step.n_tasks == 1:
            return self._single_task_decision(step.losses)
        return self.weigh(step)

    def _single_task_decision(self, losses):
        # Made once per fit, not on every step: single-task learning costs
        # what a plain training loop costs.
        cached = self.__dict__.get("_single_task")
        if cached is None or cached.weights.dtype != losses.dtype or (
                cached.weights.device != losses.device):
            cached = Decision(weights=torch.ones_like(losses.detach()))
            self._single_task = cached
        return cached

    def weigh(self, step):
        """Choose the decision for one mini-batch of two tasks or more.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        Decision
        """
        raise NotImplementedError

    def end_epoch(self, task_losses):
        """Receive the mean training loss of every task over the epoch just ended.

        Parameters
        ----------
        task_losses : ndarray of shape (n_tasks,)
        """
