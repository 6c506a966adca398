"""The trunk's last linear layer's per-task gradients (``_engine/last_layer.py``) against autograd.

``step.last_layer`` answers inner products of every task's gradient of the
last linear layer's parameters (weight flattened, then bias) with a
direction, and the main task's gradient itself; written out from the step's
record where there is one, else from autograd's rows. Every expectation here
is one ``torch.autograd.grad`` per task.
"""

import pytest
import torch
from _steps import step_on_batch
from _trunks import NoLinearTrunk, ResidualTrunk
from torch import nn

from hydasklearn._engine.step import TrainingStep
from hydasklearn._model.network import SharedTrunkNetwork, last_linear_layer

KINDS = ["binary", "multiclass", "regression"]
N_FEATURES = 5


def labeled_batch(n_samples=24, seed=0, missing="some"):
    """Features and encoded targets (binary, 3-class, regression), float64.

    ``missing``: "some" of the regression labels NaN, "all" of them, or "none".
    """
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, N_FEATURES, generator=generator, dtype=torch.float64)
    y = torch.stack([(X[:, 0] > 0).double(),
                     torch.randint(0, 3, (n_samples,), generator=generator).double(),
                     X[:, 1] + 0.1 * torch.randn(n_samples, generator=generator,
                                                 dtype=torch.float64)], dim=1)
    if missing == "some":
        y[::3, 2] = float("nan")
    elif missing == "all":
        y[:, 2] = float("nan")
    return X, y


def network(activation="tanh", hidden_layer_sizes=(7, 6), ends_in_linear=False, dropout=0.0,
            trunk=None, head_layer_sizes=()):
    """A seeded float64 network; ``ends_in_linear`` drops the activation after the last layer."""
    module = SharedTrunkNetwork(N_FEATURES, [1, 3, 1], hidden_layer_sizes=hidden_layer_sizes,
                                head_layer_sizes=head_layer_sizes, activation=activation,
                                dropout=dropout, seed=0, trunk=trunk).double()
    if ends_in_linear:
        module.trunk = nn.Sequential(*list(module.trunk)[:-1])
        assert isinstance(module.trunk[-1], nn.Linear)
    return module


def step_on(module, recorded=True, sample_weight=None, missing="some", seed=0):
    """A training step on ``module``, its losses from a record when ``recorded``."""
    X, y = labeled_batch(seed=seed, missing=missing)
    return step_on_batch(module, X, y, recorded, sample_weight, kinds=KINDS)


def autograd_rows(step, parameters):
    """Every task's gradient of ``parameters``, flattened and laid end to end."""
    rows = []
    for loss in step.losses:
        gradients = torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                               for g, p in zip(gradients, parameters)]))
    return torch.stack(rows)


def last_layer_rows(step):
    linear = last_linear_layer(step.module.trunk)
    return autograd_rows(step, [linear.weight, linear.bias])


def directions(size, n_directions=3, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n_directions, size, generator=generator, dtype=torch.float64)


def assert_matches_autograd(step, expected):
    layer = step.last_layer
    assert layer.layout.size == expected.shape[1]
    assert expected.abs().max() > 0
    for direction in directions(expected.shape[1]):
        torch.testing.assert_close(layer.products(direction), expected @ direction)
    torch.testing.assert_close(layer.main_gradient(), expected[0])
    # against the main gradient itself: the products first-order gains are made of
    torch.testing.assert_close(layer.products(layer.main_gradient()), expected @ expected[0])


@pytest.fixture
def no_fallback(monkeypatch):
    """Make the autograd fallback fail, so that a passing test went the written way."""
    def refused(self, *args, **kwargs):
        raise AssertionError("the written path fell back on autograd's rows")
    monkeypatch.setattr(TrainingStep, "gradients_through_representation", refused)


@pytest.mark.parametrize("activation, ends_in_linear", [
    ("relu", False), ("tanh", False), ("logistic", False), ("gelu", False),
    ("identity", False), ("tanh", True)])
@pytest.mark.parametrize("hidden_layer_sizes", [(7, 6), (6,)])
def test_the_written_products_are_the_autograd_gradients_dotted(
        activation, ends_in_linear, hidden_layer_sizes, no_fallback):
    step = step_on(network(activation, hidden_layer_sizes, ends_in_linear))
    assert step.record is not None
    assert_matches_autograd(step, last_layer_rows(step))
    # the per-task gradients of the trunk were not formed, nor those at its output
    assert not step.has_computed("jacobian")
    assert not step.has_computed("representation_gradients")


@pytest.mark.parametrize("missing", ["none", "some", "all"])
@pytest.mark.parametrize("head_layer_sizes", [(), (4,)])
def test_missing_auxiliary_labels_and_hidden_head_layers(missing, head_layer_sizes):
    module = network("relu", head_layer_sizes=head_layer_sizes)
    step = step_on(module, missing=missing)
    expected = last_layer_rows(step)
    if missing == "all":  # a task without labels in the batch has no gradient
        assert torch.all(expected[2] == 0)
    assert_matches_autograd(step, expected)


def test_sample_weights_are_counted():
    weights = torch.linspace(0.1, 3.0, 24, dtype=torch.float64)
    weighted = step_on(network("tanh"), sample_weight=weights)
    expected = last_layer_rows(weighted)
    assert_matches_autograd(weighted, expected)
    unweighted = last_layer_rows(step_on(network("tanh")))
    assert not torch.allclose(expected, unweighted)


@pytest.mark.parametrize("activation, ends_in_linear", [("relu", False), ("tanh", True)])
def test_the_written_path_and_the_autograd_fallback_agree(activation, ends_in_linear):
    written = step_on(network(activation, ends_in_linear=ends_in_linear), recorded=True)
    fallback = step_on(network(activation, ends_in_linear=ends_in_linear), recorded=False)
    assert fallback.record is None
    for direction in directions(written.last_layer.layout.size):
        torch.testing.assert_close(written.last_layer.products(direction),
                                   fallback.last_layer.products(direction))
    torch.testing.assert_close(written.last_layer.main_gradient(),
                               fallback.last_layer.main_gradient())
    assert fallback.has_computed("representation_gradients")  # it went through autograd
    assert_matches_autograd(fallback, last_layer_rows(fallback))


def test_active_dropout_falls_back_on_autograd():
    step = step_on(network("relu", dropout=0.4))
    assert step.record is None  # dropout in training mode has no written backward pass
    assert_matches_autograd(step, last_layer_rows(step))


def test_a_users_trunk_reads_its_last_linear_layer_through_autograd():
    module = network(trunk=ResidualTrunk)
    step = step_on(module)
    assert step.record is None
    assert last_linear_layer(module.trunk) is module.trunk.module.block[2]
    assert_matches_autograd(step, last_layer_rows(step))


def test_a_trunk_without_a_linear_layer_counts_as_one_layer():
    module = network(trunk=NoLinearTrunk)
    step = step_on(module)
    with pytest.raises(ValueError, match="no torch.nn.Linear"):
        last_linear_layer(module.trunk)
    expected = autograd_rows(step, list(module.trunk.parameters()))
    assert step.last_layer_layout is None  # so gains cannot be read from the trunk's output
    assert step.last_layer.layout.size == step.n_shared == expected.shape[1]
    assert_matches_autograd(step, expected)
    torch.testing.assert_close(step.last_layer.products(directions(step.n_shared)[0]),
                               step.shared_gradients @ directions(step.n_shared)[0])


@pytest.mark.parametrize("recorded", [True, False])
def test_reading_the_last_layer_writes_no_gradient_and_keeps_the_graph(recorded):
    weights = torch.tensor([1.0, 0.5, 2.0], dtype=torch.float64)
    reference = step_on(network("tanh"), recorded=recorded)
    expected = torch.autograd.grad(reference.losses @ weights,
                                   list(reference.module.parameters()))
    step = step_on(network("tanh"), recorded=recorded)
    layer = step.last_layer
    layer.products(layer.main_gradient())
    if recorded:
        assert all(p.grad is None for p in step.module.parameters())
    else:  # the fallback's pass to the trunk's output may fill the heads' .grad: not the trunk's
        assert all(p.grad is None for p in step.module.trunk.parameters())
    step.module.zero_grad(set_to_none=True)
    step.losses.backward(weights)  # the ordinary backward pass of the update
    for parameter, gradient in zip(step.module.parameters(), expected):
        torch.testing.assert_close(parameter.grad, gradient)
    assert step.last_layer is layer  # computed once per step
