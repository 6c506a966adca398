"""Per-task gradients of a :class:`SharedTrunkNetwork`, by a backward pass written out.

HydaLearn's measured steps need every task's gradient of the trunk. Autograd's
batched backward pass (``is_grads_batched``) computes them at about 2.3
ordinary backward passes for 3 tasks (2 x 128 trunk, batch 256, CPU): the
heads' outer products run as matrix products with an inner dimension of 1
over all tasks' rows, and the trunk's as batched products of transposed
copies. Written out, each head is passed back for its own task only (head k
reaches only the loss ``L_k``), and every trunk layer is one matrix product
for all tasks together, with the derivative kernels autograd itself uses.

Only networks made of ``nn.Linear``, the activations of ``ACTIVATIONS`` and
inactive dropout (probability 0, or eval mode), the trunk a ``nn.Sequential``
of them (not a user's ``trunk``), qualify:
:func:`record_forward` returns None otherwise, and the step falls back on
autograd.
"""

from __future__ import annotations

import torch
from torch import nn

from .._model.dropout import SeededDropout
from .._model.network import last_linear_index

_aten = torch.ops.aten


def _inactive_dropout(layer):
    return isinstance(layer, (SeededDropout, nn.Dropout)) and (layer.p == 0
                                                                or not layer.training)


# d(layer output)/d(input) applied to the gradient at the output: (layer, gradient, input, output).
_ELEMENTWISE = {
    nn.ReLU: lambda layer, grad, x, y: _aten.threshold_backward(grad, x, 0),
    nn.Tanh: lambda layer, grad, x, y: _aten.tanh_backward(grad, y),
    nn.Sigmoid: lambda layer, grad, x, y: _aten.sigmoid_backward(grad, y),
    # oneDNN's GELU kernel does not broadcast the input over the tasks' rows.
    nn.GELU: lambda layer, grad, x, y: _aten.gelu_backward(
        grad, x.expand_as(grad).contiguous(), approximate=layer.approximate),
    nn.Identity: lambda layer, grad, x, y: grad,
}


def _written(layer):
    return isinstance(layer, nn.Linear) or type(layer) in _ELEMENTWISE or (
        _inactive_dropout(layer))


def record_forward(module, X):
    """The network's forward pass, keeping every layer's output.

    Parameters
    ----------
    module : SharedTrunkNetwork
    X : Tensor of shape (batch_size, n_features)

    Returns
    -------
    representation : Tensor
        The trunk's output.
    outputs : tuple of Tensor
        Every head's output.
    record : tuple or None
        ``(X, trunk_outputs, head_outputs)``: the outputs of every layer of
        the trunk and of every head, for :func:`network_jacobian`; None
        where a layer has no written backward pass.
    """
    # A user's trunk (not a Sequential of layers run in turn) counts as one unknown layer.
    trunk = module.trunk if isinstance(module.trunk, nn.Sequential) else [module.trunk]
    layers = list(trunk) + [layer for head in module.heads for layer in head]
    if not all(_written(layer) for layer in layers):
        representation = module.trunk(X)
        return representation, module.forward_heads(representation), None
    trunk_outputs = _outputs(module.trunk, X)
    representation = trunk_outputs[-1]
    head_outputs = [_outputs(head, representation) for head in module.heads]
    outputs = tuple(each[-1] for each in head_outputs)
    return representation, outputs, (X, trunk_outputs, head_outputs)


def _outputs(layers, x):
    outputs = []
    for layer in layers:
        x = layer(x)
        outputs.append(x)
    return outputs


def network_jacobian(module, record, losses):
    """Every task's gradient of every parameter, from a :func:`record_forward` record.

    Parameters
    ----------
    module : SharedTrunkNetwork
    record : tuple
        What :func:`record_forward` returned for the batch.
    losses : Tensor of shape (n_tasks,)
        The task losses computed from the recorded outputs, head k's output
        reaching only ``losses[k]`` (as :class:`MultiTaskLoss` computes them).

    Returns
    -------
    dict of Parameter to Tensor, or None
        Each parameter's gradients, one row per task (shape ``(n_tasks,) +
        parameter.shape``); None where an output does not reach its loss
        (the losses were not computed from this record).
    """
    X, trunk_outputs, head_outputs = record
    output_gradients = _output_gradients(head_outputs, losses)
    if output_gradients is None:
        return None
    n_tasks = len(losses)
    gradients = {}
    representation = trunk_outputs[-1]
    with torch.no_grad():
        per_task = []
        for task, (head, recorded, gradient) in enumerate(
                zip(module.heads, head_outputs, output_gradients)):
            own = {}
            at_input = _backward(head, representation, recorded, gradient[:, None], own)
            per_task.append(at_input[:, 0])
            for parameter, rows in own.items():
                full = rows.new_zeros((n_tasks,) + rows.shape[1:])
                full[task] = rows[0]
                gradients[parameter] = full
        _backward(module.trunk, X, trunk_outputs, torch.stack(per_task, dim=1), gradients,
                  need_input=False)
    return gradients


def _output_gradients(head_outputs, losses):
    """``dL_k/d(output_k)`` of every head, or None where an output does not reach its loss."""
    outputs = [each[-1] for each in head_outputs]
    # grad_outputs instead of losses.sum(): a sum taken under no_grad (where a
    # strategy may ask for the Jacobian) would have no graph to differentiate.
    gradients = torch.autograd.grad(losses, outputs, grad_outputs=torch.ones_like(losses),
                                    retain_graph=True, allow_unused=True)
    return None if any(gradient is None for gradient in gradients) else gradients


def _backward(layers, x, outputs, gradient, gradients, need_input=True):
    """Pass ``gradient`` (shape (batch, n_rows, width)) back through ``layers``.

    Fills ``gradients`` (parameter -> rows; None: no parameter's gradient is
    computed) and returns the gradient at the input ``x`` (None when not
    ``need_input``). Batch first, so that every matrix product reads the
    gradient as it lies, with no transposed copy.
    """
    inputs = [x] + outputs[:-1]
    batch, n_rows = gradient.shape[:2]
    for index in range(len(layers) - 1, -1, -1):
        layer, inputs_here = layers[index], inputs[index].detach()
        if isinstance(layer, nn.Linear):
            # All rows at once: (n_rows * out, batch) @ (batch, in), the first a transposed view.
            if gradients is not None:
                flat = gradient.reshape(batch, n_rows * layer.out_features)
                gradients[layer.weight] = (flat.T @ inputs_here).view(
                    n_rows, layer.out_features, layer.in_features)
                if layer.bias is not None:
                    gradients[layer.bias] = gradient.sum(dim=0)
            if index == 0 and not need_input:
                return None
            gradient = (gradient.reshape(batch * n_rows, -1) @ layer.weight.detach()).view(
                batch, n_rows, layer.in_features)
        elif type(layer) in _ELEMENTWISE:
            gradient = _ELEMENTWISE[type(layer)](layer, gradient, inputs_here.unsqueeze(1),
                                                 outputs[index].detach().unsqueeze(1))
        # inactive dropout: the identity
    return gradient


def last_linear_backward(module, record):
    """Back from the trunk's output to its last linear layer's output, and that layer's input.

    The layers after the last linear layer are elementwise, so the gradient
    at that layer's output ``z`` is the gradient at the trunk's output times
    their derivative at the recorded values.

    Parameters
    ----------
    module : SharedTrunkNetwork
    record : tuple
        What :func:`record_forward` returned for the batch.

    Returns
    -------
    tuple or None
        ``(to_layer_output, inputs)``: ``to_layer_output(gradient)`` maps a
        gradient of shape (batch_size, width) at the trunk's output to the
        one at ``z`` (the same tensor where no layer follows); ``inputs``,
        the layer's input, of shape (batch_size, in_features). None where the
        trunk has no linear layer.
    """
    X, trunk_outputs, _ = record
    last = last_linear_index(module.trunk)
    if last is None:
        return None
    # (derivative, layer, input, output) of every layer after it, last first; dropout is off
    after = [(_ELEMENTWISE[type(layer)], layer, trunk_outputs[index - 1].detach(),
              trunk_outputs[index].detach())
             for index, layer in reversed(list(enumerate(module.trunk)))
             if index > last and type(layer) in _ELEMENTWISE]

    def to_layer_output(gradient):  # of a detached gradient: no graph is recorded
        for derivative, layer, x, y in after:
            gradient = derivative(layer, gradient, x, y)
        return gradient

    inputs = X if last == 0 else trunk_outputs[last - 1]
    return to_layer_output, inputs.detach()


def head_readers_of_record(record):
    """Where each head's first layer reads the trunk's output, from a record of the forward.

    The same ``(task, node, input index)`` triples as
    :func:`~hydasklearn._engine.representation.head_readers` finds by walking
    the losses' graph, found here from each head's first output alone.

    Returns
    -------
    list or None
        None where a head's first layer does not read the trunk's output at
        exactly one input (an identity, say): walk the graph instead.
    """
    _, trunk_outputs, head_outputs = record
    target = trunk_outputs[-1].grad_fn
    if target is None:
        return None
    readers = []
    for task, outputs in enumerate(head_outputs):
        node = outputs[0].grad_fn
        indices = [] if node is None else [
            index for index, (child, _) in enumerate(node.next_functions) if child is target]
        if len(indices) != 1:
            return None
        readers.append((task, node, indices[0]))
    return readers


def heads_backward(module, record, losses):
    """Every task's gradient at the trunk's output, passed back through its own head only.

    Nothing is written into ``.grad`` and the losses' graph is kept.

    Parameters
    ----------
    module : SharedTrunkNetwork
    record : tuple
        What :func:`record_forward` returned for the batch.
    losses : Tensor of shape (n_tasks,)
        The task losses computed from the recorded outputs.

    Returns
    -------
    Tensor of shape (n_tasks, batch_size, width), or None
        None where an output does not reach its loss.
    """
    _, trunk_outputs, head_outputs = record
    output_gradients = _output_gradients(head_outputs, losses)
    if output_gradients is None:
        return None
    representation = trunk_outputs[-1]
    with torch.no_grad():
        return torch.stack([_back_through_head(head, representation, recorded, gradient)
                            for head, recorded, gradient in zip(module.heads, head_outputs,
                                                                output_gradients)])


def _back_through_head(head, representation, recorded, gradient):
    """The gradient at a head's input from the one at its output (no parameter's gradient)."""
    if len(head) == 1 and isinstance(head[0], nn.Linear):  # the usual head: one product
        return gradient @ head[0].weight.detach()
    return _backward(head, representation, recorded, gradient[:, None], None)[:, 0]
