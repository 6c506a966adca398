"""Where every parameter of the network sits in one flat gradient vector."""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._model.network import last_linear_layer


class ParameterLayout:
    """Flatten and unflatten the gradients of a list of named parameters.

    The per-task gradient matrices of a training step have one column per
    parameter value, the parameters laid end to end in the order given here.
    This class is the one place that knows those offsets.

    Parameters
    ----------
    named_parameters : iterable of (str, Parameter)
        Only parameters that require a gradient are kept.

    Attributes
    ----------
    names : list of str
    parameters : list of Parameter
    sizes : list of int
        Number of values of every parameter.
    size : int
        Total number of values.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> layout = ParameterLayout(layer.named_parameters())
    >>> layout.names, layout.size
    (['weight', 'bias'], 3)
    >>> {name: tuple(v.shape) for name, v in layout.unflatten(torch.arange(3.0)).items()}
    {'weight': (1, 2), 'bias': (1,)}
    """

    def __init__(self, named_parameters):
        kept = [(name, p) for name, p in named_parameters if p.requires_grad]
        self.names = [name for name, _ in kept]
        self.parameters = [p for _, p in kept]
        self.sizes = [p.numel() for p in self.parameters]
        self.size = sum(self.sizes)

    def __len__(self):
        return len(self.parameters)

    def flatten(self, gradients, n_rows=None):
        """Per-parameter gradients -> one vector (or matrix with ``n_rows`` rows).

        Parameters
        ----------
        gradients : sequence of Tensor or None
            One per parameter, each of the parameter's shape, with a leading
            axis of ``n_rows`` when given; ``None`` counts as zeros.
        n_rows : int or None

        Returns
        -------
        Tensor of shape (size,) or (n_rows, size)
        """
        leading = () if n_rows is None else (n_rows,)
        return torch.cat([
            (g if g is not None else p.new_zeros(leading + p.shape)).reshape(leading + (-1,))
            for g, p in zip(gradients, self.parameters)
        ], dim=-1)

    def unflatten(self, vector):
        """One vector (or a batch of them, leading axes kept) -> views by parameter name."""
        leading = vector.shape[:-1]
        return {name: chunk.reshape(leading + p.shape) for name, p, chunk in
                zip(self.names, self.parameters, vector.split(self.sizes, dim=-1))}

    def values(self):
        """The parameters' current values by name (detached)."""
        return {name: p.detach() for name, p in zip(self.names, self.parameters)}

    def set_gradients(self, vector):
        """Write ``vector`` into the parameters' ``.grad``, as views (no copy)."""
        for parameter, chunk in zip(self.parameters, vector.split(self.sizes)):
            parameter.grad = chunk.view_as(parameter)

    def columns_of(self, parameters):
        """The slice of columns that holds the given (consecutive) parameters."""
        wanted = {id(p) for p in parameters}
        offset, start, stop = 0, None, None
        for parameter, size in zip(self.parameters, self.sizes):
            if id(parameter) in wanted:
                start = offset if start is None else start
                stop = offset + size
            offset += size
        return slice(start, stop)

    def concatenated(self, other):
        """A layout of this layout's parameters followed by ``other``'s."""
        layout = ParameterLayout(())
        layout.names, layout.parameters = self.names + other.names, (
            self.parameters + other.parameters)
        layout.sizes, layout.size = self.sizes + other.sizes, self.size + other.size
        return layout


class NetworkLayouts(NamedTuple):
    """A network's layouts, built once per fit: see :func:`network_layouts`."""

    trunk: ParameterLayout
    heads: ParameterLayout
    head_tasks: list
    last_layer: ParameterLayout | None


def network_layouts(module):
    """Layouts of a :class:`SharedTrunkNetwork`'s trunk and of its heads, head after head.

    Returns
    -------
    NetworkLayouts
        ``trunk``: names prefixed ``"trunk."``; ``heads``: names prefixed
        ``"heads.<k>."``; ``head_tasks``: the task of every parameter of
        ``heads``; ``last_layer``: the trunk's last ``nn.Linear`` (names
        ``"weight"``, ``"bias"``; empty where it does not learn), None where
        the trunk has none.
    """
    trunk = ParameterLayout(module.trunk.named_parameters(prefix="trunk"))
    heads = ParameterLayout(module.heads.named_parameters(prefix="heads"))
    head_tasks = [int(name.split(".")[1]) for name in heads.names]
    try:
        last_layer = ParameterLayout(last_linear_layer(module.trunk).named_parameters())
    except ValueError:  # no nn.Linear in the trunk
        last_layer = None
    return NetworkLayouts(trunk, heads, head_tasks, last_layer)
