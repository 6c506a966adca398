"""ParameterLayout: the one place that knows where every parameter sits in a gradient vector."""

import torch

from hydasklearn._engine.layout import ParameterLayout, network_layouts
from hydasklearn._model.network import SharedTrunkNetwork


def network():
    return SharedTrunkNetwork(3, [1, 2], hidden_layer_sizes=(4, 5), seed=0)


def test_flatten_and_unflatten_are_inverse_and_none_counts_as_zeros():
    layout = ParameterLayout(network().trunk.named_parameters())
    assert layout.sizes == [12, 4, 20, 5] and layout.size == 41 and len(layout) == 4
    vector = torch.arange(41.0)
    parts = layout.unflatten(vector)
    assert [tuple(part.shape) for part in parts.values()] == [(4, 3), (4,), (5, 4), (5,)]
    torch.testing.assert_close(layout.flatten(list(parts.values())), vector)
    rows = layout.unflatten(torch.stack([vector, -vector]))
    assert rows[layout.names[0]].shape == (2, 4, 3)
    flat = layout.flatten([None, torch.ones(2, 4), None, None], n_rows=2)
    assert flat.shape == (2, 41) and flat.sum() == 8 and flat[:, 12:16].sum() == 8


def test_set_gradients_writes_views_and_columns_of_finds_a_layer():
    module = network()
    layout = ParameterLayout(module.trunk.named_parameters())
    vector = torch.arange(41.0)
    layout.set_gradients(vector)
    assert layout.parameters[0].grad.data_ptr() == vector.data_ptr()  # a view, no copy
    last = list(module.trunk.parameters())[2:]
    columns = layout.columns_of(last)
    assert (columns.start, columns.stop) == (16, 41)


def test_frozen_parameters_are_left_out_and_layouts_concatenate():
    module = network()
    module.heads[1][0].bias.requires_grad_(False)
    trunk, heads, head_tasks, last_layer = network_layouts(module)
    assert trunk.names[0].startswith("trunk.") and heads.names[0].startswith("heads.0.")
    assert head_tasks == [0, 0, 1]
    assert last_layer.names == ["weight", "bias"]
    assert last_layer.parameters == list(module.trunk[-2].parameters())
    both = trunk.concatenated(heads)
    assert both.names == trunk.names + heads.names and both.size == trunk.size + heads.size


def test_a_last_linear_layer_that_does_not_learn_has_no_layout():
    module = network()
    for parameter in module.trunk[-2].parameters():
        parameter.requires_grad_(False)
    assert network_layouts(module).last_layer.size == 0
    assert network_layouts(SharedTrunkNetwork(3, [1, 2], hidden_layer_sizes=(), seed=0)
                           ).last_layer is None
