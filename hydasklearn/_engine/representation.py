"""Per-task gradients at the trunk's output, caught during one backward pass.

Each task's loss reaches the shared representation ``h`` only through its
own head. So in the graph of ``losses = stack(L_0, ..., L_K)`` every head
reads ``h`` at its own nodes, and hooks on those nodes see each task's part
``dL_k/dh`` separately during one ordinary backward pass of ``sum_k L_k``.
A pre-hook on ``h`` itself runs once all heads have passed their gradient
on, before the trunk's turn: it can replace what the trunk receives.
"""

from __future__ import annotations

import torch


def head_readers(losses, representation):
    """``(task, node, input index)`` for every graph node where a task's head reads
    the representation, or None where the tasks' graphs are not separate
    (the losses were not stacked from separate heads)."""
    stack, target = losses.grad_fn, representation.grad_fn
    n_tasks = len(losses)
    if (target is None or type(stack).__name__ != "StackBackward0"
            or len(stack.next_functions) != n_tasks):
        return None
    readers, seen = [], set()
    for task, (root, _) in enumerate(stack.next_functions):
        pending, mine = [root], set()
        while pending:
            node = pending.pop()
            if node is None or node in mine:
                continue
            if node in seen:  # shared by two tasks
                return None
            mine.add(node)
            for index, (child, _) in enumerate(node.next_functions):
                if child is target:
                    readers.append((task, node, index))
                else:
                    pending.append(child)
        seen |= mine
    return readers


def backward_through_heads(losses, representation, readers, head_parameters,
                           reweigh=None):
    """One backward pass of ``sum_k L_k`` that keeps the tasks apart at ``h``.

    Parameters
    ----------
    losses : Tensor of shape (n_tasks,)
    representation : Tensor of shape (batch_size, width)
    readers : list
        What :func:`head_readers` found (not None).
    head_parameters : list of Parameter
        The heads' parameters; their gradients are returned, each head's
        being its own task's gradient (head k's parameters only reach L_k).
    reweigh : callable or None
        ``reweigh(per_task) -> Tensor of shape (batch_size * width,)``. With
        it, the pass continues into the trunk, which receives what
        ``reweigh`` returns instead of ``sum_k dL_k/dh``, and every
        parameter's ``.grad`` is written (heads at weight 1). Without it,
        the pass stops at ``h`` and nothing is written.

    Returns
    -------
    per_task : Tensor of shape (n_tasks, batch_size * width)
        ``dL_k/dh`` for every task.
    head_gradients : tuple of Tensor or None
        Without ``reweigh``: the heads' gradients, one per parameter (None
        for a parameter that no loss reached); with it, None (they are in
        ``.grad``).
    """
    caught = [None] * len(losses)  # each task's gradient at h, summed over its readers

    def catch(task, index):
        def hook(grad_inputs, grad_outputs):
            gradient = grad_inputs[index]
            if gradient is not None:
                caught[task] = gradient if caught[task] is None else caught[task] + gradient
        return hook

    def stacked():
        rows = [representation.new_zeros(representation.shape) if each is None else each
                for each in caught]
        return torch.stack(rows).view(len(losses), -1)

    handles = [node.register_hook(catch(task, index)) for task, node, index in readers]
    try:
        if reweigh is None:
            gradients = torch.autograd.grad(losses.sum(), [representation] + head_parameters,
                                            retain_graph=True, allow_unused=True)
            return stacked(), gradients[1:]
        per_task = []

        def replace(grad_outputs):
            # Every head has passed its gradient on: the trunk's turn.
            per_task.append(stacked())
            replaced = list(grad_outputs)
            replaced[representation.output_nr] = reweigh(per_task[0]).view_as(representation)
            return tuple(replaced)

        handles.append(representation.grad_fn.register_prehook(replace))
        losses.sum().backward(retain_graph=True)
        return per_task[0], None
    finally:
        for handle in handles:
            handle.remove()


def through_trunk(representation, per_task, layout, halves=False):
    """Per-task gradients of trunk parameters, from the gradients at the trunk's output.

    One batched backward pass from the representation through the trunk,
    as far as ``layout``'s parameters need (the trunk's last linear layer
    alone costs a small fraction of the whole trunk).

    Parameters
    ----------
    representation : Tensor of shape (batch_size, width)
        The trunk's output, still attached to its graph.
    per_task : Tensor of shape (n_tasks, batch_size * width)
        ``dL_k/dh`` for every task.
    layout : ParameterLayout
        The trunk parameters wanted (the gradients' columns).
    halves : bool, default=False
        Each half of the batch's share of the gradients (the first and the
        second half of the rows), for cross-fitted gains.

    Returns
    -------
    Tensor of shape (n_tasks, layout.size), or a pair of them when ``halves``.
    """
    n_tasks = len(per_task)
    outputs = per_task.view((n_tasks,) + representation.shape)
    if halves:
        first = torch.arange(len(representation), device=outputs.device) < (
            len(representation) // 2)
        first = first.view((1, -1) + (1,) * (representation.dim() - 1))
        outputs = torch.cat([outputs * first, outputs * ~first])
    gradients = torch.autograd.grad(representation, layout.parameters, grad_outputs=outputs,
                                    is_grads_batched=True, retain_graph=True,
                                    allow_unused=True)
    flat = layout.flatten(gradients, n_rows=len(outputs))
    return (flat[:n_tasks], flat[n_tasks:]) if halves else flat


def gradients_at_representation(losses, representation, readers, head_layout, head_tasks):
    """Every task's gradient at the trunk's output and of its own head, in one pass.

    The pass stops at the representation: nothing is written into ``.grad``.

    Parameters
    ----------
    losses : Tensor of shape (n_tasks,)
    representation : Tensor of shape (batch_size, width)
    readers : list or None
        What :func:`head_readers` found; None: one batched backward pass
        (``is_grads_batched``) instead of one ordinary pass with hooks.
    head_layout : ParameterLayout
        The heads' parameters, head after head.
    head_tasks : list of int
        The task of every parameter of ``head_layout``.

    Returns
    -------
    per_task : Tensor of shape (n_tasks, batch_size * width)
        ``dL_k/dh`` for every task.
    head_gradients : Tensor of shape (n_tasks, head_layout.size)
        Every task's gradient of the heads' parameters (zero outside its own head).
    """
    n_tasks = len(losses)
    if readers is None:
        identity = torch.eye(n_tasks, dtype=losses.dtype, device=losses.device)
        gradients = torch.autograd.grad(
            losses, [representation] + head_layout.parameters, grad_outputs=identity,
            is_grads_batched=True, retain_graph=True, allow_unused=True,
        )
        return (gradients[0].reshape(n_tasks, -1),
                head_layout.flatten(gradients[1:], n_rows=n_tasks))
    per_task, summed = backward_through_heads(losses, representation, readers,
                                              head_layout.parameters)
    # Head k's parameters reach L_k only: the summed pass's gradient is its task's row.
    rows = representation.new_zeros((n_tasks, head_layout.size))
    columns = head_layout.flatten(summed)
    offset = 0
    for size, task in zip(head_layout.sizes, head_tasks):
        rows[task, offset:offset + size] = columns[offset:offset + size]
        offset += size
    return per_task, rows
