"""The torch module: a shared trunk and one head per task."""

from __future__ import annotations

import math
from numbers import Integral

import torch
from torch import nn

from .custom_trunk import CustomTrunk
from .dropout import SeededDropout
from .embeddings import CategoricalEmbedding, EmbeddedTrunk

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
    "gelu": nn.GELU,
}


def layer_sizes(sizes):
    """Layer widths as a list of positive integers."""
    sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if any(not isinstance(s, Integral) or s < 1 for s in sizes):
        raise ValueError(f"Layer sizes must be positive integers, got {sizes}.")
    return sizes


def _mlp(n_inputs, layer_sizes, activation, dropout, generator, seeded):
    """Linear -> activation -> dropout blocks; returns the layers and the output width."""
    layers = []
    for width in layer_sizes:
        layers += [_linear(n_inputs, width, seeded), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(SeededDropout(dropout, generator))
        n_inputs = width
    return layers, n_inputs


def last_linear_index(trunk):
    """The position of the trunk's last ``nn.Linear`` among its layers; None where it has none."""
    linear = [index for index, layer in enumerate(trunk) if isinstance(layer, nn.Linear)]
    return linear[-1] if linear else None


def last_linear_layer(trunk):
    """The trunk's last ``nn.Linear`` in its layers' order, for weightings that read it.

    Raises
    ------
    ValueError
        If the trunk (a user's, see ``custom_trunk.CustomTrunk``) has none.
    """
    last = last_linear_index(trunk)
    if last is None:
        users = [layer.module for layer in trunk.modules() if isinstance(layer, CustomTrunk)]
        name = type(users[0] if users else trunk).__name__
        raise ValueError(
            "This weighting reads the trunk's last linear layer (GradNorm balances the tasks' "
            f"gradient norms there), but the trunk ({name}) has no torch.nn.Linear layer; add "
            "one or choose another weighting.")
    return list(trunk)[last]


class SharedTrunkNetwork(nn.Module):
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
    generator : torch.Generator or None
        Source of the dropout masks (see
        :class:`~hydasklearn._model.dropout.SeededDropout`).
    seed : int or None
        Seeds the initial parameters from a generator of their own (torch's
        default initialization of ``nn.Linear``), so that the global random
        state, which threads share, plays no part; None keeps torch's draws.
    trunk : callable or None
        A user's trunk: ``trunk(n_features)`` builds the shared module (see
        :class:`~hydasklearn._model.custom_trunk.CustomTrunk`);
        ``hidden_layer_sizes`` is then not used, and ``activation`` and
        ``dropout`` apply to the heads' hidden layers only.
        None: the MLP of ``hidden_layer_sizes``.
    categorical_cardinalities : tuple of int, default=()
        Categories seen in fit of every categorical column: the last
        ``len(categorical_cardinalities)`` of the ``n_features`` input
        columns hold their integer codes, and the trunk starts with a
        :class:`~hydasklearn._model.embeddings.CategoricalEmbedding` of them
        (shared trunk parameters like any other; a user's ``trunk`` is built
        for the embedded width). Empty: no such layer.
    """

    def __init__(self, n_features, task_outputs, hidden_layer_sizes=(100,),
                 head_layer_sizes=(), activation="relu", dropout=0.0, generator=None,
                 seed=None, trunk=None, categorical_cardinalities=()):
        super().__init__()
        seeded = seed is not None
        embedding = []
        if categorical_cardinalities:  # a generator of its own; the dropout masks take seed + 1
            embedding = [CategoricalEmbedding(
                n_features - len(categorical_cardinalities), categorical_cardinalities,
                None if seed is None else torch.Generator().manual_seed(seed + 2))]
            n_features = embedding[0].out_features
        if trunk is None:
            trunk_layers, width = _mlp(n_features, hidden_layer_sizes, activation, dropout,
                                       generator, seeded)
            self.trunk = nn.Sequential(*embedding, *trunk_layers)
        else:
            self.trunk = CustomTrunk(trunk, n_features, seed, generator)
            width = self.trunk.width
            if embedding:
                self.trunk = EmbeddedTrunk(embedding[0], self.trunk)
        heads = []
        for n_outputs in task_outputs:
            head_layers, head_width = _mlp(width, head_layer_sizes, activation, dropout,
                                           generator, seeded)
            heads.append(nn.Sequential(*head_layers, _linear(head_width, n_outputs, seeded)))
        self.heads = nn.ModuleList(heads)
        if seed is not None:
            # A user's trunk keeps its own initialization (drawn under the seed).
            initialize(self if trunk is None else self.heads,
                       torch.Generator().manual_seed(seed))

    def forward(self, X):
        """Outputs of every head, as a tuple (task order)."""
        return self.forward_heads(self.trunk(X))

    def forward_heads(self, representation):
        """Apply every head to the shared representation."""
        return tuple(head(representation) for head in self.heads)


def _linear(n_inputs, n_outputs, seeded):
    """A float32 linear layer; uninitialized (no global random draw) when seeded later."""
    if seeded:
        return torch.nn.utils.skip_init(nn.Linear, n_inputs, n_outputs, dtype=torch.float32)
    return nn.Linear(n_inputs, n_outputs, dtype=torch.float32)


@torch.no_grad()
def initialize(module, generator):
    """Draw every linear layer's parameters as ``nn.Linear`` does, from ``generator``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
