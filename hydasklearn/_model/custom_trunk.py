"""A user's trunk: built under a seed, its dropout seeded, its output width checked once."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch
from torch import nn

from .dropout import SeededDropout

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
    ``nn.Dropout`` in it is replaced by a
    :class:`~hydasklearn._model.dropout.SeededDropout` drawing from
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
    """Replace every ``nn.Dropout`` inside ``module`` by a seeded one."""
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                setattr(parent, name, SeededDropout(child.p, generator))


@contextmanager
def eval_mode(module):
    """``module`` in eval mode inside the block; every submodule's own mode restored after."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in modes:
            m.training = training


def _output_width(module, n_features, described):
    """Width of ``module``'s output, from one forward pass; raise unless it is 2-D."""
    try:
        with eval_mode(module), torch.no_grad():
            output = module(torch.zeros(2, n_features))
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        raise ValueError(
            f"The trunk built by {described}({n_features}) fails on a float32 batch of shape "
            f"(2, {n_features}): {type(error).__name__}: {error}") from error
    if not (isinstance(output, torch.Tensor) and output.dim() == 2 and len(output) == 2
            and output.shape[1] > 0 and output.is_floating_point()):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise ValueError(
            f"The trunk built by {described}({n_features}) must map a float tensor of shape "
            f"(batch, {n_features}) to a float tensor of shape (batch, width), width >= 1; "
            f"on a batch of 2 rows it returned {shape}.")
    return int(output.shape[1])
