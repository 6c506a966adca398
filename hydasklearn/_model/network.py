"""The torch module: a shared trunk and one head per task, and a pure forward pass."""

from __future__ import annotations

import math
from numbers import Integral

import torch
import torch.nn.functional as F
from torch import nn

from .embeddings import CategoricalEmbedding

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

class SeededDropout(nn.Module):
    """Dropout whose masks come from a given ``torch.Generator``.

    ``nn.Dropout`` draws from torch's global generator, which every thread of
    the process shares: two fits in parallel threads would then draw each
    other's masks. With a generator of its own, a fit is reproducible
    whatever else the process does.

    Parameters
    ----------
    p : float
        Probability of zeroing a value (training mode only).
    generator : torch.Generator or None
        Source of the masks; ``None`` uses torch's global generator.
    """

    def __init__(self, p, generator=None):
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)

    def extra_repr(self):
        return f"p={self.p}"

    def __getstate__(self):
        # The generator's state, not the generator: a CUDA generator cannot be
        # rebuilt on a machine without CUDA.
        state = self.__dict__.copy()
        generator = state.pop("generator")
        state["_generator"] = None if generator is None else (
            generator.device.type, generator.get_state())
        return state

    def __setstate__(self, state):
        saved = state.pop("_generator", None)
        self.__dict__.update(state)
        self.generator = None
        if saved is not None:
            device, generator_state = saved
            if device == "cuda" and not torch.cuda.is_available():  # continues on the CPU
                seed = int.from_bytes(bytes(generator_state[:8].tolist()), "little")
                self.generator = torch.Generator().manual_seed(seed)
            else:
                self.generator = torch.Generator(device=device)
                self.generator.set_state(generator_state)


def _mlp(n_inputs, layer_sizes, activation, dropout, generator, seeded):
    """Linear -> activation -> dropout blocks; returns the layers and the output width."""
    layers = []
    for width in layer_sizes:
        layers += [_linear(n_inputs, width, seeded), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(SeededDropout(dropout, generator))
        n_inputs = width
    return layers, n_inputs


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
        Source of the dropout masks (see :class:`SeededDropout`).
    seed : int or None
        Seeds the initial parameters from a generator of their own (torch's
        default initialisation of ``nn.Linear``), so that the global random
        state, which threads share, plays no part; None keeps torch's draws.
    categorical_cardinalities : tuple of int, default=()
        Categories seen in fit of every categorical column: the last
        ``len(categorical_cardinalities)`` of the ``n_features`` input
        columns hold their integer codes, and the trunk starts with a
        :class:`~hydasklearn._model.embeddings.CategoricalEmbedding` of them
        (shared trunk parameters like any other). Empty: no such layer.
    """

    def __init__(self, n_features, task_outputs, hidden_layer_sizes=(100,),
                 head_layer_sizes=(), activation="relu", dropout=0.0, generator=None,
                 seed=None, categorical_cardinalities=()):
        super().__init__()
        seeded = seed is not None
        embedding = []
        if categorical_cardinalities:  # a generator of its own; the dropout masks take seed + 1
            embedding = [CategoricalEmbedding(
                n_features - len(categorical_cardinalities), categorical_cardinalities,
                None if seed is None else torch.Generator().manual_seed(seed + 2))]
            n_features = embedding[0].out_features
        trunk_layers, width = _mlp(n_features, hidden_layer_sizes, activation, dropout,
                                   generator, seeded)
        self.trunk = nn.Sequential(*embedding, *trunk_layers)
        heads = []
        for n_outputs in task_outputs:
            head_layers, head_width = _mlp(width, head_layer_sizes, activation, dropout,
                                           generator, seeded)
            heads.append(nn.Sequential(*head_layers, _linear(head_width, n_outputs, seeded)))
        self.heads = nn.ModuleList(heads)
        if seed is not None:
            initialise(self, torch.Generator().manual_seed(seed))

    def forward(self, X):
        """Outputs of every head, as a tuple (task order)."""
        return self.forward_heads(self.trunk(X))

    def forward_heads(self, representation):
        """Apply every head to the shared representation."""
        return tuple(head(representation) for head in self.heads)


def _linear(n_inputs, n_outputs, seeded):
    """A float32 linear layer; uninitialised (no global random draw) when seeded later."""
    if seeded:
        return torch.nn.utils.skip_init(nn.Linear, n_inputs, n_outputs, dtype=torch.float32)
    return nn.Linear(n_inputs, n_outputs, dtype=torch.float32)


@torch.no_grad()
def initialise(module, generator):
    """Draw every linear layer's parameters as ``nn.Linear`` does, from ``generator``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def evaluate(layers, parameters, X, prefix=""):
    """Output of a ``Sequential`` of ours in eval mode, with the given parameters.

    A pure function: the module is only read for its structure, never
    changed (no parameters swapped in, no train/eval switch), so that threads
    may call it at once, and ``torch.func`` transforms (``vmap``, ``jvp``)
    may run through it. Dropout is left out, as in eval mode.

    Parameters
    ----------
    layers : nn.Sequential
        The trunk, or a head, of a :class:`SharedTrunkNetwork`.
    parameters : dict of str to Tensor
        Parameter values by name, as ``layers.named_parameters(prefix)``
        names them.
    X : Tensor of shape (n_samples, n_inputs)
    prefix : str
        Prefix of the names in ``parameters`` (``"trunk."``, ``"heads.0."``).

    Returns
    -------
    Tensor
    """
    for index, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            X = F.linear(X, parameters[f"{prefix}{index}.weight"],
                         parameters.get(f"{prefix}{index}.bias"))
        elif isinstance(layer, CategoricalEmbedding):
            X = layer.evaluate(X, parameters, f"{prefix}{index}.")
        elif not isinstance(layer, (SeededDropout, nn.Dropout)):
            X = layer(X)  # activations hold no state
    return X


@torch.no_grad()
def evaluate_network(module, X):
    """Every head's output on ``X``, in eval mode, in ``X``'s floating-point type.

    Predictions pass float64 ``X``: in float32 the last bit of a matrix
    product can depend on how many rows it holds, so a row's prediction
    would depend on the rows predicted with it; in float64 such differences
    are far below any tolerance users or scikit-learn's checks apply. The
    module is not changed (see :func:`evaluate`), so concurrent calls are safe.

    Parameters
    ----------
    module : SharedTrunkNetwork
    X : Tensor of shape (n_samples, n_features)

    Returns
    -------
    tuple of Tensor
        One (n_samples, n_outputs) tensor per task.
    """
    parameters = {name: p.detach().to(X.dtype) for name, p in module.named_parameters()}
    representation = evaluate(module.trunk, parameters, X, "trunk.")
    return tuple(evaluate(head, parameters, representation, f"heads.{k}.")
                 for k, head in enumerate(module.heads))
