"""Small helpers that several strategies share."""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval

from ._base import Decision

#: A strategy's own learning rate: positive, or None for the network's.
LEARNING_RATE_CONSTRAINT = [Interval(Real, 0, None, closed="neither"), None]


def trunk_update(step, coefficients, gains=None):
    """Decision of a strategy that steers only the trunk: ``sum_k c_k g_k``.

    The trunk moves along ``sum_k coefficients[k] * g_k`` (``g_k`` the rows of
    ``step.shared_gradients``), returned as the shared gradient; every head
    keeps its own loss's gradient (head weights 1), as in
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
    Decision
    """
    shared = step.shared_gradients
    coefficients = coefficients.detach().to(shared)
    return Decision(coefficients, gains=gains, head_weights=torch.ones_like(coefficients),
                    trunk_gradient=coefficients @ shared)


class LearnedParameters:
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


def learned_parameters(learned, initial, step, learning_rate):
    """``learned``, or new :class:`LearnedParameters` when it is None.

    Created at the first step because the network's learning rate, the
    default of ``learning_rate``, is known only then.
    """
    if learned is not None:
        return learned
    rate = step.learning_rate if learning_rate is None else learning_rate
    return LearnedParameters(initial, rate)
