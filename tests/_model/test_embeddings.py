"""CategoricalEmbedding: widths, the extra rows, and the pure forward pass through it."""

import pytest
import torch

from hydasklearn._model.embeddings import CategoricalEmbedding, embedding_width
from hydasklearn._model.evaluation import evaluate, evaluate_network
from hydasklearn._model.network import SharedTrunkNetwork


@pytest.mark.parametrize("n, width", [(0, 2), (1, 2), (2, 3), (10, 6), (50, 15), (300, 40),
                                      (1000, 50), (10**6, 50)])
def test_width_rule(n, width):
    assert embedding_width(n) == width


def _codes():
    # Two numeric columns, then codes of columns with 3 and 2 categories.
    return torch.tensor([[0.5, -1.0, 0.0, 1.0],
                         [2.0, 3.0, 2.0, 0.0],
                         [0.0, 0.0, 3.0, 2.0],    # unknown, unknown
                         [1.0, 1.0, 4.0, 3.0]])   # missing, missing


def test_output_is_the_numbers_then_the_looked_up_vectors():
    layer = CategoricalEmbedding(2, (3, 2), generator=torch.Generator().manual_seed(0))
    assert [tuple(t.weight.shape) for t in layer.tables] == [(5, 3), (4, 3)]
    assert layer.out_features == 2 + 3 + 3
    X = _codes()
    out = layer(X)
    assert out.shape == (4, 8)
    torch.testing.assert_close(out[:, :2], X[:, :2])
    torch.testing.assert_close(out[1, 2:5], layer.tables[0].weight[2])
    torch.testing.assert_close(out[0, 5:], layer.tables[1].weight[1])
    # Unknown and missing rows start at zero: a neutral input.
    assert not out[2:, 2:].any()


def test_the_same_generator_seed_gives_the_same_tables():
    first, second = (CategoricalEmbedding(1, (4,), torch.Generator().manual_seed(3))
                     for _ in range(2))
    torch.testing.assert_close(first.tables[0].weight, second.tables[0].weight)


def test_pure_evaluation_matches_the_module_in_float32_and_float64():
    network = SharedTrunkNetwork(4, [1, 3], (8,), seed=0, categorical_cardinalities=(3, 2))
    X = _codes()
    expected = network(X)
    parameters = dict(network.named_parameters())
    torch.testing.assert_close(evaluate(network.trunk, parameters, X, "trunk."),
                               network.trunk(X))
    for output, reference in zip(evaluate_network(network, X.double()), expected):
        assert output.dtype == torch.float64
        torch.testing.assert_close(output.float(), reference.detach())


def test_vmap_and_jvp_run_through_the_embeddings():
    network = SharedTrunkNetwork(4, [1], (8,), seed=0, categorical_cardinalities=(3, 2))
    X = _codes()
    parameters = {name: p.detach() for name, p in network.trunk.named_parameters("trunk")}
    batched = {name: torch.stack([value, 2 * value]) for name, value in parameters.items()}
    out = torch.vmap(lambda p: evaluate(network.trunk, p, X, "trunk."))(batched)
    assert out.shape == (2, 4, 8)
    torch.testing.assert_close(out[0], evaluate(network.trunk, parameters, X, "trunk."))
    tangents = {name: torch.ones_like(value) for name, value in parameters.items()}
    _, derivative = torch.func.jvp(lambda p: evaluate(network.trunk, p, X, "trunk."),
                                   (parameters,), (tangents,))
    assert derivative.shape == (4, 8) and torch.isfinite(derivative).all()


def test_without_categorical_columns_the_trunk_is_unchanged():
    plain = SharedTrunkNetwork(3, [1], (8,), seed=0)
    again = SharedTrunkNetwork(3, [1], (8,), seed=0, categorical_cardinalities=())
    assert isinstance(plain.trunk[0], torch.nn.Linear)
    for a, b in zip(plain.parameters(), again.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
