"""The contract between a weighting strategy and the gradient engine: a :class:`Decision`.

A strategy reads one mini-batch's :class:`~hydasklearn._engine.step.TrainingStep`
and returns a decision; :func:`~hydasklearn._engine.update.apply_decision`
alone turns it into gradients. The engine owns this type, so that it depends
on no strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Decision:
    """What a strategy decides for one mini-batch.

    Every field but ``weights`` is optional; the kinds combine as follows.

    Attributes
    ----------
    weights : Tensor of shape (n_tasks,)
        Task weights of the shared trunk's update: the trunk receives the
        gradient of ``sum_k weights[k] * L_k``. Recorded in ``weight_history_``.
    gains : Tensor of shape (n_tasks,) or None
        Per-task scores the weights were derived from, recorded in
        ``gain_history_`` (NaN when None).
    head_weights : Tensor of shape (n_tasks,) or None
        Weight of every task's loss in its own head's update; None: the same
        as ``weights`` (the gradient of ``sum_k w_k L_k`` taken literally).
    sample_weights : Tensor of shape (batch_size, n_tasks) or None
        Multiplier of every sample's loss inside its task's loss: ``L_k``
        becomes ``sum_i s[i, k] l_k(x_i) / n_k``, ``n_k`` the task's labeled
        samples (all ones change nothing); the rules above then apply to
        these losses.
    trunk_gradient : Tensor of shape (n_shared,) or None
        The trunk's update direction itself (gradient surgery, aggregators),
        replacing ``weights @ step.shared_gradients``; the heads follow
        ``head_weights`` (or ``weights``). ``weights`` are then what is
        recorded (the effective trunk weights where the direction is a
        combination of the task gradients). Not combinable with
        ``sample_weights``.
    weights_at_representation : callable or None
        ``rule(representation_gradients) -> (weights, gains)``, for weights
        that depend on the gradients at the trunk's output only: the step
        calls it during its one backward pass, once every head has passed its
        gradient on, so that the whole weighted update costs what equal
        weighting costs. The trunk then receives ``sum_k w_k dL_k/dh``, every
        head its own task's gradient at weight 1; ``weights`` and ``gains``
        of the decision are left None and filled in from the rule.
    """

    weights: torch.Tensor | None = None
    gains: torch.Tensor | None = None
    head_weights: torch.Tensor | None = None
    sample_weights: torch.Tensor | None = None
    trunk_gradient: torch.Tensor | None = None
    weights_at_representation: Callable | None = None
