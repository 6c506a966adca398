"""What a training step measures on other data or other parameters than its own batch.

Main-task gains and sample-level weights read a held-out batch, the
main-task gradient on it, the main-task loss after look-ahead steps of the
trunk, and every sample's gradient along a trunk direction. These are plain
functions of the network, the loss and a :class:`Batch`;
:class:`~hydasklearn._engine.step.TrainingStep` calls them with its own. Every
evaluation away from the current parameters is a pure forward pass
(:func:`~hydasklearn._model.evaluation.evaluate`), so the module is never changed.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch

from .._model.evaluation import evaluate
from .._model.losses import per_sample_loss


class Batch(NamedTuple):
    """Rows of training data with their encoded targets.

    Attributes
    ----------
    X : Tensor of shape (batch_size, n_features)
    y : Tensor of shape (batch_size, n_tasks)
        Encoded targets, NaN where missing.
    sample_weight : Tensor of shape (batch_size,) or None
        The user's row weights.
    """

    X: torch.Tensor
    y: torch.Tensor
    sample_weight: torch.Tensor | None = None


def per_sample_task_losses(outputs, y, task_kinds, sample_weight=None):
    """Loss of every sample on every task, shape (batch_size, n_tasks).

    Parameters
    ----------
    outputs : sequence of Tensor
        Every head's output, one per task.
    y : Tensor of shape (batch_size, n_tasks)
        Encoded targets, NaN where missing.
    task_kinds : sequence of str
        The kind of every task (see :func:`~hydasklearn._model.losses.per_sample_loss`).
    sample_weight : Tensor of shape (batch_size,) or None

    Returns
    -------
    Tensor of shape (batch_size, n_tasks)
        0 where unlabeled; times the row weight where one is given.
    """
    labeled = ~torch.isnan(y)
    targets = torch.where(labeled, y, torch.zeros_like(y))
    losses = torch.stack([
        per_sample_loss(kind, output, targets[:, k]) * labeled[:, k]
        for k, (kind, output) in enumerate(zip(task_kinds, outputs))
    ], dim=1)
    return losses if sample_weight is None else losses * sample_weight[:, None]


def main_task_gradient(module, criterion, trunk_layout, batch):
    """Gradient of the main-task loss on ``batch`` with respect to the shared parameters.

    Parameters
    ----------
    module : SharedTrunkNetwork
    criterion : MultiTaskLoss
    trunk_layout : ParameterLayout
        Layout of the trunk's parameters (the gradient's columns).
    batch : Batch

    Returns
    -------
    Tensor of shape (trunk_layout.size,)
    """
    X, y, weight = batch
    outputs = module.heads[0](module.trunk(X))
    loss = criterion.task_losses((outputs,), y[:, :1], weight)[0]
    gradients = torch.autograd.grad(loss, trunk_layout.parameters, allow_unused=True)
    return trunk_layout.flatten(gradients)


@torch.no_grad()
def main_task_losses_after_steps(module, criterion, trunk_layout, directions, batch):
    """Main-task loss on ``batch`` after moving the trunk by ``-direction``.

    Parameters
    ----------
    module : SharedTrunkNetwork
    criterion : MultiTaskLoss
    trunk_layout : ParameterLayout
    directions : Tensor of shape (n_directions, trunk_layout.size)
        Each row is a full step (learning rate included) subtracted from the
        shared parameters; the heads stay fixed. A zero row gives the
        current loss.
    batch : Batch

    Returns
    -------
    Tensor of shape (n_directions,)
        Evaluated without dropout, all directions in one batched
        (``torch.vmap``) forward pass; the model is not copied or changed.
    """
    X, y, weight = batch
    trunk, main_head = module.trunk, module.heads[0]
    current = trunk_layout.values()
    shifted = {name: current[name].unsqueeze(0) - step
               for name, step in trunk_layout.unflatten(directions).items()}

    def main_loss(parameters):
        representation = evaluate(trunk, parameters, X, "trunk.")
        return criterion.task_losses((main_head(representation),), y[:, :1], weight)[0]

    return torch.vmap(main_loss)(shifted)


def sample_gradients_along(module, criterion, trunk_layout, batch, direction):
    """Inner product of every sample's task gradient with a trunk direction.

    Entry ``[i, k]`` is ``<d l_k(x_i) / d theta, direction>``: the
    derivative of sample i's loss on task k along ``direction`` in the
    shared parameters (heads fixed), 0 where the sample has no label for
    task k. It equals the per-sample gradients (``vmap(grad(...))``) times
    ``direction``, without materializing them: by the chain rule it is
    ``<d l_k(x_i) / d h_i, J_i direction>``, ``h_i`` the sample's
    representation, so one forward-mode pass through the trunk
    (``torch.func.jvp``) gives every ``J_i direction``, and one batched
    backward pass through the heads every ``d l_k(x_i) / d h_i``.

    Parameters
    ----------
    module : SharedTrunkNetwork
    criterion : MultiTaskLoss
        Gives the tasks' kinds.
    trunk_layout : ParameterLayout
    batch : Batch
    direction : Tensor of shape (trunk_layout.size,)

    Returns
    -------
    Tensor of shape (batch_size, n_tasks)
        Evaluated without dropout, as :func:`main_task_losses_after_steps`.
    """
    X, y, weight = batch
    trunk, n_tasks = module.trunk, len(criterion.task_kinds)
    tangents = trunk_layout.unflatten(direction.detach())

    def representation_of(parameters):
        return evaluate(trunk, parameters, X, "trunk.")

    with torch.no_grad(), warnings.catch_warnings():
        # torch compiles its forward-mode rules with the deprecated
        # torch.jit.script on first use; the warning is torch's own.
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*",
                                category=DeprecationWarning)
        representation, moved = torch.func.jvp(representation_of, (trunk_layout.values(),),
                                               (tangents,))
    representation.requires_grad_(True)
    with torch.enable_grad():
        outputs = tuple(evaluate(head, dict(head.named_parameters()), representation)
                        for head in module.heads)
        losses = per_sample_task_losses(outputs, y, criterion.task_kinds, weight)
        identity = torch.eye(n_tasks, dtype=losses.dtype, device=losses.device)
        (per_sample,) = torch.autograd.grad(losses.sum(dim=0), representation,
                                            grad_outputs=identity, is_grads_batched=True)
    # Sample i's losses depend on h_i only, so row i of each task's gradient is its own.
    return torch.einsum("kbw,bw->bk", per_sample, moved)
