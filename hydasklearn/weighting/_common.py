"""Small helpers that several strategies share."""

from __future__ import annotations

import torch

from ._base import TaskWeights


def equal_weights(step):
    """Weight 1 for every task: the answer to a single-task step, or a neutral one."""
    return TaskWeights(torch.ones(step.n_tasks, device=step.losses.device))


def trunk_update(step, coefficients):
    """Decision of a strategy that changes only the trunk's update direction.

    The trunk moves along ``sum_k coefficients[k] * g_k`` (``g_k`` the rows of
    ``step.shared_gradients``); every head keeps its own gradient (weight 1),
    as in the papers of these methods. The coefficients are recorded as the
    step's gains, so ``gain_history_`` holds the effective trunk weights while
    ``weight_history_`` holds the heads' weights (all ones).

    Parameters
    ----------
    step : TrainingStep
    coefficients : Tensor of shape (n_tasks,)

    Returns
    -------
    TaskWeights
    """
    shared = step.shared_gradients
    coefficients = coefficients.detach().to(shared)
    return TaskWeights(torch.ones_like(coefficients), gains=coefficients,
                       shared_gradient=coefficients @ shared)


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
