"""Small helpers that several strategies share."""

from __future__ import annotations

from numbers import Real

import torch

from ._base import TaskWeights


def equal_weights(step):
    """Weight 1 for every task: the answer to a single-task step, or a neutral one."""
    return TaskWeights(torch.ones(step.n_tasks, device=step.losses.device))


def trunk_update(step, coefficients, gains=None):
    """Decision of a strategy that steers only the trunk: ``sum_k c_k g_k``.

    The trunk moves along ``sum_k coefficients[k] * g_k`` (``g_k`` the rows of
    ``step.shared_gradients``), returned as the shared gradient; every head
    keeps its own loss's gradient (``step.head_weights`` set to ones), as in
    the papers of these methods. The coefficients are the recorded task
    weights, so ``weight_history_`` holds the effective trunk weights.

    Parameters
    ----------
    step : TrainingStep
    coefficients : Tensor of shape (n_tasks,)
    gains : Tensor of shape (n_tasks,) or None
        Scores to record in ``gain_history_``.

    Returns
    -------
    TaskWeights
    """
    shared = step.shared_gradients
    coefficients = coefficients.detach().to(shared)
    step.head_weights = torch.ones_like(coefficients)
    return TaskWeights(coefficients, gains=gains, shared_gradient=coefficients @ shared)


class LearntParameters:
    """A vector of strategy parameters trained with Adam on gradients we give it.

    Strategies such as GradNorm and uncertainty weighting learn a few
    parameters of their own next to the network, from closed-form gradients.

    Parameters
    ----------
    initial : Tensor of shape (n,)
    learning_rate : float
    """

    def __init__(self, initial, learning_rate):
        self.values = initial.detach().clone().requires_grad_(True)
        self.optimizer = torch.optim.Adam([self.values], lr=learning_rate)

    def step(self, gradient):
        """One Adam step along ``-gradient``; returns the new values (detached)."""
        self.values.grad = gradient.detach().to(self.values).clone()
        self.optimizer.step()
        return self.values.detach()


def check_learning_rate(strategy, value):
    """Raise unless a strategy's own learning rate is a positive number or None."""
    if value is not None and not (isinstance(value, Real) and value > 0):
        raise ValueError(f"{type(strategy).__name__} learning_rate must be > 0 or None, "
                         f"got {value!r}.")


def learnt_parameters(learnt, initial, step, learning_rate):
    """``learnt``, or new :class:`LearntParameters` when it is None.

    Created at the first step because the network's learning rate, the
    default of ``learning_rate``, is known only then.
    """
    if learnt is not None:
        return learnt
    rate = step.learning_rate if learning_rate is None else learning_rate
    return LearntParameters(initial, rate)
