"""The network's pure forward pass: given parameters, eval mode, the module never changed."""

from __future__ import annotations

import threading

import torch
import torch.nn.functional as F
from torch import nn

from .custom_trunk import eval_mode
from .dropout import SeededDropout
from .embeddings import CategoricalEmbedding
from .network import ACTIVATIONS


def evaluate(layers, parameters, X, prefix=""):
    """Output of a ``Sequential`` of ours in eval mode, with the given parameters.

    A pure function: the module is only read for its structure, never
    changed (no parameters swapped in, no train/eval switch), so that threads
    may call it at once, and ``torch.func`` transforms (``vmap``, ``jvp``)
    may run through it. Dropout is left out, as in eval mode.

    Parameters
    ----------
    layers : nn.Sequential
        The trunk, or a head, of a
        :class:`~hydasklearn._model.network.SharedTrunkNetwork`.
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
    A :class:`~hydasklearn._model.custom_trunk.CustomTrunk`, or a
    ``Sequential`` with layers of other kinds, runs through
    ``torch.func.functional_call`` with the given parameters (and buffers,
    where ``parameters`` holds them): in eval mode, switched on for the call
    under a lock and switched back, since only the module knows what eval
    mode means for its layers.
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
    with _EVAL_MODE_LOCK, eval_mode(module):
        return torch.func.functional_call(module, own, (X,))


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
