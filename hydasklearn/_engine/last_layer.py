"""What the trunk's last linear layer's per-task gradients say, read from the trunk's output.

A gain measured on the last linear layer ``z = W a + b`` needs, per task,
only inner products of the task's gradient ``sum_i delta_ik a_i^T`` (and
``sum_i delta_ik`` for the bias) with a fixed direction ``(D, d)``:
``sum_i delta_ik . (D a_i + d)``. Given every task's gradient at the
trunk's output, passed back through its own head alone
(:func:`~hydasklearn._engine.written_backward.heads_backward`), ``delta`` is
that gradient times the derivative of the elementwise layers after ``z``,
and the products of all tasks are one matrix-vector product: no task's
gradient matrix is formed.
"""

from __future__ import annotations

import torch

from .written_backward import heads_backward, last_linear_backward


class LastLayerGradients:
    """Per-task gradients of the trunk's last linear layer on one step, read through products.

    Built by :meth:`TrainingStep.last_layer
    <hydasklearn._engine.step.TrainingStep.last_layer>`. Written out from
    the step's record where there is one: each head is passed back for its
    own task (nothing is written into ``.grad``, so that the update is one
    ordinary backward pass, as under equal weighting). Else (a user's trunk,
    active dropout) from the per-task gradients of the layer's parameters
    (``step.gradients_through_representation("last")``).

    Parameters
    ----------
    step : TrainingStep
    layout : ParameterLayout
        The last linear layer's parameters (weight, then bias if any): the
        order of every vector here.
    rows : Tensor of shape (n_tasks, layout.size) or None
        Per-task gradients already computed (of a trunk with no linear
        layer, the whole trunk's), read as they are.
    at_representation : Tensor of shape (n_tasks, batch_size, width) or None
        Every task's gradient at the trunk's output, already computed (caught
        during the update's backward pass), instead of the heads passed back
        here; only with a record.
    """

    def __init__(self, step, layout, rows=None, at_representation=None):
        self.layout = layout
        self._rows = rows
        if rows is not None:
            return
        written = None
        if step.record is not None:
            layer = last_linear_backward(step.module, step.record)
            if at_representation is None:
                at_representation = heads_backward(step.module, step.record, step.losses)
            if layer is not None and at_representation is not None:
                written = (*layer, at_representation.detach())
        if written is None:
            self._rows = step.gradients_through_representation("last")
            return
        self._to_layer_output, self._inputs, self._at_representation = written

    def products(self, direction):
        """Inner product of every task's gradient of the layer with ``direction``.

        Parameters
        ----------
        direction : Tensor of shape (layout.size,)

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        if self._rows is not None:
            return self._rows @ direction
        # Every tensor here is detached: no graph is recorded, with no no_grad block to enter.
        parts = self.layout.unflatten(direction.detach())
        # D a_i + d for every sample, in one kernel where the layer has both
        if "weight" not in parts:
            at_output = parts["bias"].expand_as(self._at_representation[0])
        elif "bias" in parts:
            at_output = torch.addmm(parts["bias"], self._inputs, parts["weight"].T)
        else:
            at_output = self._inputs @ parts["weight"].T
        # sum_i delta_ik . (D a_i + d), with delta_ik = s_i * (dL_k/dh)_i, s the
        # derivative of the layers after z: s_i * (D a_i + d) once for all tasks
        weighted = self._to_layer_output(at_output).reshape(-1)
        return self._at_representation.reshape(len(self._at_representation), -1) @ weighted

    def main_gradient(self):
        """The main task's gradient of the layer, shape (layout.size,)."""
        if self._rows is not None:
            return self._rows[0]
        main = self._to_layer_output(self._at_representation[0])
        parts = [(main.T @ self._inputs).reshape(-1)] if "weight" in self.layout.names else []
        if "bias" in self.layout.names:
            parts.append(main.sum(dim=0))
        return torch.cat(parts)
