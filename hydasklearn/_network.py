"""The torch module: a shared trunk and one head per task."""

from __future__ import annotations

from itertools import chain

import torch
from torch import nn
from torch.func import functional_call

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
    "gelu": nn.GELU,
}


def _mlp(n_inputs, layer_sizes, activation, dropout):
    """Linear -> activation -> dropout blocks; returns the layers and the output width."""
    layers = []
    for width in layer_sizes:
        layers += [nn.Linear(n_inputs, width), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        n_inputs = width
    return layers, n_inputs


class MultiTaskNetwork(nn.Module):
    """Shared trunk followed by one head per task.

    Parameters
    ----------
    n_features : int
        Number of input features.
    task_outputs : list of int
        Output width of each task's head (1 for binary and regression tasks,
        the number of classes for multiclass tasks).
    hidden_layer_sizes : tuple of int
        Widths of the shared trunk's hidden layers (at least one).
    head_layer_sizes : tuple of int
        Widths of the hidden layers inside every head (may be empty).
    activation : str
        Name of the activation, a key of ``ACTIVATIONS``.
    dropout : float
        Dropout probability after every hidden layer.
    """

    def __init__(self, n_features, task_outputs, hidden_layer_sizes=(100,),
                 head_layer_sizes=(), activation="relu", dropout=0.0):
        super().__init__()
        trunk_layers, width = _mlp(n_features, hidden_layer_sizes, activation, dropout)
        self.trunk = nn.Sequential(*trunk_layers)
        heads = []
        for n_outputs in task_outputs:
            head_layers, head_width = _mlp(width, head_layer_sizes, activation, dropout)
            heads.append(nn.Sequential(*head_layers, nn.Linear(head_width, n_outputs)))
        self.heads = nn.ModuleList(heads)

    def forward(self, X):
        """Outputs of every head, as a tuple (task order)."""
        representation = self.trunk(X)
        return self.forward_heads(representation)

    def forward_heads(self, representation):
        """Apply every head to the shared representation."""
        return tuple(head(representation) for head in self.heads)


@torch.no_grad()
def forward_float64(module, X, batch_size):
    """Every head's output on ``X``, computed in float64, ``batch_size`` rows at a time.

    The module's own (float32) parameters are left as they are. In float32 the
    last bit of a matrix product can depend on how many rows it holds, so a
    row's prediction would depend on the rows predicted with it; in float64
    such differences are far below any tolerance users or scikit-learn's
    checks apply.

    Parameters
    ----------
    module : MultiTaskNetwork
    X : Tensor of shape (n_samples, n_features), float64
    batch_size : int

    Returns
    -------
    list of Tensor
        One (n_samples, n_outputs) float64 tensor per task, in eval mode (no dropout).
    """
    state = {name: tensor.double() if tensor.is_floating_point() else tensor
             for name, tensor in chain(module.named_parameters(), module.named_buffers())}
    was_training = module.training
    module.eval()
    try:
        chunks = [functional_call(module, state, (X[start:start + batch_size],))
                  for start in range(0, len(X), batch_size)]
    finally:
        module.train(was_training)
    return [torch.cat([chunk[k] for chunk in chunks]) for k in range(len(chunks[0]))]


def shared_parameters(module):
    """The trunk's parameters (those that all tasks share)."""
    return [p for p in module.trunk.parameters() if p.requires_grad]


def head_parameters(module):
    """The heads' parameters, head after head."""
    return [p for p in module.heads.parameters() if p.requires_grad]


def count_parameters(parameters):
    return sum(p.numel() for p in parameters)


__all__ = ["MultiTaskNetwork", "forward_float64", "shared_parameters", "head_parameters", "torch"]
