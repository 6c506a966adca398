"""Every task's gradient of every parameter: the per-task Jacobian of a training step.

Written out (:mod:`hydasklearn._engine.written_backward`) where the forward
pass was recorded and the network qualifies, else one batched autograd pass
(``is_grads_batched``), which any network supports.
"""

from __future__ import annotations

import torch

from .written_backward import network_jacobian


def per_task_jacobian(module, losses, layout, record=None):
    """Per-task gradients of the parameters of ``layout``, one row per task.

    Parameters
    ----------
    module : SharedTrunkNetwork
    losses : Tensor of shape (n_tasks,)
        Per-task losses, still attached to the graph.
    layout : ParameterLayout
        The parameters (the columns), usually the trunk's then the heads'.
    record : tuple or None
        What :func:`~hydasklearn._engine.written_backward.record_forward`
        returned for the batch, when ``losses`` were computed from its
        outputs; None (or a record the losses do not come from): autograd.

    Returns
    -------
    Tensor of shape (n_tasks, layout.size)
    """
    n_tasks = len(losses)
    if record is not None:
        written = network_jacobian(module, record, losses)
        if written is not None:
            return layout.flatten([written.get(p) for p in layout.parameters], n_rows=n_tasks)
    identity = torch.eye(n_tasks, dtype=losses.dtype, device=losses.device)
    gradients = torch.autograd.grad(losses, layout.parameters, grad_outputs=identity,
                                    is_grads_batched=True, retain_graph=True, allow_unused=True)
    return layout.flatten(gradients, n_rows=n_tasks)
