"""The torch module: a shared trunk and one head per task, and a pure forward pass."""

from __future__ import annotations

import math
import threading
from numbers import Integral

import torch
import torch.nn.functional as F
from torch import nn

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


#: Held while a user's trunk is built under torch's (process-wide) seeded generator.
_BUILD_LOCK = threading.Lock()


class CustomTrunk(nn.Module):
    """A user's trunk, ``factory(n_features)``, built under a seed and checked once.

    The contract: ``factory`` is a ``torch.nn.Module`` class or a function,
    called once per fit as ``factory(n_features)``; it returns a fresh
    ``nn.Module`` whose ``forward`` maps a float tensor of shape
    ``(batch, n_features)`` to a float tensor of shape ``(batch, width)``.
    The module is built with torch's global generator seeded by ``seed``
    (and put back afterwards), so the same seed gives the same initial
    parameters. Its floating-point parameters are cast to float32; every
    ``nn.Dropout`` in it is replaced by a :class:`SeededDropout` drawing from
    ``generator``. ``width`` comes from one forward pass, in eval mode and
    without gradients, on a batch of two rows of zeros.

    Parameters
    ----------
    factory : callable
        A module class or a function, not a module instance.
    n_features : int
    seed : int or None
    generator : torch.Generator or None
        Source of the dropout masks.

    Attributes
    ----------
    module : nn.Module
        What ``factory`` built.
    width : int
        Width of the representation.
    """

    def __init__(self, factory, n_features, seed=None, generator=None):
        super().__init__()
        described = getattr(factory, "__name__", repr(factory))
        if isinstance(factory, nn.Module) or not callable(factory):
            raise TypeError(
                f"trunk must be a torch.nn.Module class or a function that builds one from "
                f"n_features, not {type(factory).__name__} {factory!r}: every fit builds "
                "its own trunk.")
        # The lock: fits in parallel threads must not seed each other's draws.
        with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            module = factory(n_features)
            if not isinstance(module, nn.Module):
                raise TypeError(f"trunk({n_features}) must return a torch.nn.Module; "
                                f"{described} returned {type(module).__name__}.")
            module = module.float()
            _seed_dropout(module, generator)
            self.width = _output_width(module, n_features, described)
        self.module = module

    def forward(self, X):
        return self.module(X)

    def __iter__(self):
        """The trunk's layers (leaf modules) in the order they were defined.

        For code that looks layers up by type, such as the trunk's last
        linear layer that GradNorm reads; the forward pass is the module's
        own, not these layers in turn.
        """
        return iter([m for m in self.module.modules() if not any(True for _ in m.children())])


def _seed_dropout(module, generator):
    """Replace every ``nn.Dropout`` inside ``module`` by a :class:`SeededDropout`."""
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                setattr(parent, name, SeededDropout(child.p, generator))


def _output_width(module, n_features, described):
    """Width of ``module``'s output, from one forward pass; raise unless it is 2-D."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            output = module(torch.zeros(2, n_features))
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        raise ValueError(
            f"The trunk built by {described}({n_features}) fails on a float32 batch of shape "
            f"(2, {n_features}): {type(error).__name__}: {error}") from error
    finally:
        for m, training in modes:
            m.training = training
    if not (isinstance(output, torch.Tensor) and output.dim() == 2 and len(output) == 2
            and output.shape[1] > 0 and output.is_floating_point()):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise ValueError(
            f"The trunk built by {described}({n_features}) must map a float tensor of shape "
            f"(batch, {n_features}) to a float tensor of shape (batch, width), width >= 1; "
            f"on a batch of 2 rows it returned {shape}.")
    return int(output.shape[1])


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
    trunk : callable or None
        A user's trunk: ``trunk(n_features)`` builds the shared module (see
        :class:`CustomTrunk`); ``hidden_layer_sizes`` is then not used, and
        ``activation`` and ``dropout`` apply to the heads' hidden layers only.
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
            # A user's trunk keeps its own initialisation (drawn under the seed).
            initialise(self if trunk is None else self.heads,
                       torch.Generator().manual_seed(seed))

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

    Notes
    -----
    A :class:`CustomTrunk`, or a ``Sequential`` with layers of other kinds,
    runs through ``torch.func.functional_call`` with the given parameters
    (and buffers, where ``parameters`` holds them): in eval mode, switched
    on for the call under a lock and switched back, since only the module
    knows what eval mode means for its layers.
    """
    if not _ours(layers):
        return _evaluate_module(layers, parameters, X, prefix)
    for index, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            X = F.linear(X, parameters[f"{prefix}{index}.weight"],
                         parameters.get(f"{prefix}{index}.bias"))
        elif isinstance(layer, CategoricalEmbedding):
            X = layer.evaluate(X, parameters, f"{prefix}{index}.")
        elif not isinstance(layer, (SeededDropout, nn.Dropout)):
            X = layer(X)  # activations hold no state
    return X


_PLAIN_LAYERS = (nn.Linear, SeededDropout, nn.Dropout, CategoricalEmbedding,
                 *ACTIVATIONS.values())
#: Held while a module is switched to eval mode for :func:`evaluate`.
_EVAL_MODE_LOCK = threading.RLock()


def _ours(layers):
    """Whether ``layers`` is a ``Sequential`` of the layers :func:`evaluate` runs itself."""
    return isinstance(layers, nn.Sequential) and all(
        type(layer) in _PLAIN_LAYERS for layer in layers)


def _evaluate_module(module, parameters, X, prefix):
    own = {name[len(prefix):]: value for name, value in parameters.items()
           if name.startswith(prefix)}
    with _EVAL_MODE_LOCK:
        modes = [(m, m.training) for m in module.modules()]
        module.eval()
        try:
            return torch.func.functional_call(module, own, (X,))
        finally:
            for m, training in modes:
                m.training = training


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
    # A user's trunk may hold floating buffers (batch norm statistics): in X's type too.
    parameters.update({name: b.to(X.dtype) for name, b in module.named_buffers()
                       if b.is_floating_point()})
    representation = evaluate(module.trunk, parameters, X, "trunk.")
    return tuple(evaluate(head, parameters, representation, f"heads.{k}.")
                 for k, head in enumerate(module.heads))
