"""From a strategy's decision to the gradients in ``.grad``: the one place.

Rules, in order (see :class:`~hydasklearn._engine.decision.Decision`):

1. ``weights_at_representation``: one backward pass of ``sum_k L_k`` in
   which the trunk receives ``sum_k w_k dL_k/dh``, ``w`` chosen by the rule
   when the gradient reaches the trunk's output; heads at weight 1.
2. ``sample_weights``: the task losses are re-weighted per sample, the
   other rules then apply to the new losses (gradients computed before are
   not reused).
3. ``trunk_gradient``: written into the trunk as it is; every head gets
   ``head_weights @`` its per-task gradients.
4. Otherwise the trunk gets ``weights @`` the per-task gradients and the
   heads ``head_weights @`` theirs, assembled from whatever the strategy
   made the step compute, with no backward pass repeated (it asks
   :meth:`~hydasklearn._engine.step.TrainingStep.has_computed`): from the
   per-task Jacobian if computed; else from the representation gradients if
   computed; else one ordinary backward pass of ``sum_k w_k L_k``, after
   which every head's gradient is rescaled from ``w_k`` to its head weight
   (head k reaches only ``L_k``; a task at weight 0 whose head still learns
   counts at 1 in that pass, and a hook where its head reads the
   representation keeps it out of the trunk; where the heads' graphs are
   not apart, its head's gradient comes from a small pass first).
"""

from __future__ import annotations

import torch

from .decision import Decision
from .representation import backward_through_heads


def apply_decision(step, decision):
    """Write the gradient a decision asks for into the network's ``.grad``.

    Parameters
    ----------
    step : TrainingStep
    decision : Decision

    Returns
    -------
    Decision
        The decision as applied: ``weights`` and ``gains`` filled in where a
        rule chose them during the backward pass.
    """
    if decision.weights_at_representation is not None:
        return _weigh_at_representation(step, decision.weights_at_representation)
    if decision.sample_weights is not None:
        if decision.trunk_gradient is not None:
            raise ValueError("A decision cannot give both sample_weights and a trunk_gradient.")
        step = _reweighted(step, decision.sample_weights)
    weights = _like_losses(decision.weights, step.losses)
    head_weights = (None if decision.head_weights is None
                    else _like_losses(decision.head_weights, step.losses))
    if decision.trunk_gradient is not None:
        step.trunk_layout.set_gradients(decision.trunk_gradient.detach().to(step.losses,
                                                                            copy=True))
        _set_head_gradients(step, weights if head_weights is None else head_weights)
    elif step.has_computed("jacobian"):
        step.trunk_layout.set_gradients(weights @ step.shared_gradients)
        _set_head_gradients(step, weights if head_weights is None else head_weights)
    elif not step.has_computed("representation_gradients"):
        if head_weights is None:
            step.losses.backward(weights)  # d(sum_k w_k L_k), with no op added to the graph
        else:
            _backward_heads_apart(step, weights, head_weights)
    else:
        trunk = weights @ step.representation_gradients
        step.representation.backward(trunk.view_as(step.representation))
        _set_head_gradients(step, weights if head_weights is None else head_weights)
    return decision


def _like_losses(weights, losses):
    """``weights`` detached, in the losses' dtype and device (no op when they already are)."""
    if weights.requires_grad:
        weights = weights.detach()
    if weights.dtype is losses.dtype and weights.device == losses.device:
        return weights
    return weights.to(losses)


def _set_head_gradients(step, head_weights):
    step.head_layout.set_gradients(head_weights @ step.head_gradients)


def _backward_heads_apart(step, weights, head_weights):
    """Trunk at ``weights``, heads at ``head_weights``, at the cost of one ordinary backward."""
    same, missing, loss_weights, scales = _heads_apart_plan(weights, head_weights)
    if same:  # e.g. HydaLearn holding equal weights: nothing to rescale
        step.losses.backward(weights)
        return
    parameters, tasks = step.head_layout.parameters, step.head_tasks
    readers = step.readers if missing else None
    if readers is not None:
        # Their losses count at 1 for their heads, and a hook keeps them out of the trunk.
        _backward_out_of_trunk(step.losses, loss_weights, readers, missing)
    else:
        if missing:  # their heads' gradients from the heads' own small graphs, first
            own = [p for p, task in zip(parameters, tasks) if task in missing]
            picked = weights.new_tensor([float(k in missing) for k in range(len(scales))])
            own_gradients = iter(torch.autograd.grad(step.losses, own, grad_outputs=picked,
                                                     retain_graph=True, allow_unused=True))
        step.losses.backward(weights)
        for parameter, task in zip(parameters, tasks):
            if task in missing:
                gradient = next(own_gradients)
                if gradient is not None:
                    parameter.grad = gradient
    for parameter, task in zip(parameters, tasks):
        if scales[task] != 1 and parameter.grad is not None:
            parameter.grad.mul_(scales[task])


# The last plan, with the tensors it was made from: a strategy that holds its weights
# between measurements (HydaLearn) passes the same tensors step after step, and reading
# their values back costs a held step about 3% (measured). A tensor changed in place has a
# new _version, and a thread that finds another thread's plan makes its own.
_last_plan = [None]


def _heads_apart_plan(weights, head_weights):
    """``(same, missing, loss_weights, scales)`` of a pair of weights, made once per pair.

    ``same``: the heads' weights are the trunk's. ``missing``: the tasks at
    weight 0 whose heads still learn. ``loss_weights``: the trunk's weights
    with those tasks at 1. ``scales``: what every head's gradient is
    multiplied by after the pass, from its loss weight to its head weight.
    """
    versions = (weights._version, head_weights._version)
    last = _last_plan[0]
    if last is not None and last[0] is weights and last[1] is head_weights and (
            last[2] == versions):
        return last[3]
    trunk, heads = weights.tolist(), head_weights.tolist()
    missing = frozenset(k for k in range(len(trunk)) if trunk[k] == 0 and heads[k] != 0)
    loss_weights = weights.new_tensor([1.0 if k in missing else trunk[k]
                                       for k in range(len(trunk))])
    scales = tuple(heads[k] if k in missing else heads[k] / trunk[k] if trunk[k] else 1.0
                   for k in range(len(trunk)))
    plan = (heads == trunk, missing, loss_weights, scales)
    _last_plan[0] = (weights, head_weights, versions, plan)
    return plan


def _backward_out_of_trunk(losses, loss_weights, readers, tasks):
    """One backward pass of ``sum_k loss_weights[k] L_k`` in which ``tasks`` pass nothing
    on to the trunk: their gradient stops where their head reads the representation."""
    def stop(index):
        def hook(grad_inputs, grad_outputs):
            return tuple(None if position == index else gradient
                         for position, gradient in enumerate(grad_inputs))
        return hook

    handles = [node.register_hook(stop(index)) for task, node, index in readers
               if task in tasks]
    try:
        losses.backward(loss_weights)
    finally:
        for handle in handles:
            handle.remove()


def _reweighted(step, sample_weights):
    """The step with its losses re-weighted per sample (rule 2)."""
    weighted = step.sample_losses() * sample_weights.detach().to(step.losses)
    losses = weighted.sum(dim=0) / step.label_totals.clamp(min=1e-12)
    return step.with_losses(losses)


def _weigh_at_representation(step, rule):
    """Rule 1: the weights chosen inside the one backward pass."""
    if step.readers is None:  # the heads' graphs are not apart: choose first, then apply
        weights, gains = rule(step.representation_gradients)
        return apply_decision(step, Decision(weights, gains, head_weights=step.ones()))
    chosen = []

    def reweigh(per_task):
        weights, gains = rule(per_task)
        weights = weights.detach().to(per_task)
        chosen.append((weights, gains))
        return weights @ per_task

    per_task, _ = backward_through_heads(step.losses, step.representation, step.readers,
                                         step.head_layout.parameters, reweigh)
    step.store_representation_gradients(per_task)  # the heads' gradients are in .grad
    weights, gains = chosen[0]
    return Decision(weights, gains)
