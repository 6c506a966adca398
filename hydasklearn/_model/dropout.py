"""Dropout whose masks come from a generator of its own, not torch's global one."""

from __future__ import annotations

import torch
from torch import nn


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
