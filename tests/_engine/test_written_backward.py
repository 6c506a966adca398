"""The written-out per-task backward pass agrees with autograd's, and falls back where it must."""

import numpy as np
import pytest
import torch
from torch import nn

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._engine.representation import head_readers
from hydasklearn._engine.step import TrainingStep
from hydasklearn._engine.written_backward import (
    head_readers_of_record,
    heads_backward,
    last_linear_backward,
    network_jacobian,
    record_forward,
)
from hydasklearn._model.losses import MultiTaskLoss
from hydasklearn._model.network import SharedTrunkNetwork
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import HydaLearn


def batch(seed=0, n=40):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 6, generator=generator)
    y = torch.stack([(torch.rand(n, generator=generator) > 0.5).float(),
                     torch.randint(0, 3, (n,), generator=generator).float(),
                     torch.randn(n, generator=generator)], dim=1)
    y[::3, 2] = float("nan")  # missing auxiliary labels
    return X, y


def steps(activation="relu", head_layer_sizes=(), dropout=0.0, sample_weight=None):
    """The same batch as a step with a record and as one without."""
    net = SharedTrunkNetwork(6, [1, 3, 1], hidden_layer_sizes=(12, 8),
                             head_layer_sizes=head_layer_sizes, activation=activation,
                             dropout=dropout, seed=0)
    criterion = MultiTaskLoss(["binary", "multiclass", "regression"])
    X, y = batch()
    representation, outputs, record = record_forward(net, X)
    losses = criterion.task_losses(outputs, y, sample_weight)
    arguments = (net, criterion, X, y, representation, losses, 0.01)
    return (TrainingStep(*arguments, sample_weight=sample_weight, record=record),
            TrainingStep(*arguments, sample_weight=sample_weight))


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity", "gelu"])
@pytest.mark.parametrize("head_layer_sizes", [(), (5,)])
def test_the_written_jacobian_matches_autograds(activation, head_layer_sizes):
    written, autograd = steps(activation, head_layer_sizes)
    assert written.record is not None
    expected = autograd.jacobian
    assert expected.abs().max() > 0
    torch.testing.assert_close(written.jacobian, expected, rtol=1e-5, atol=1e-7)


def test_row_weights_and_eval_mode_dropout_are_covered():
    weights = torch.linspace(0.2, 2.0, 40)
    written, autograd = steps(sample_weight=weights)
    torch.testing.assert_close(written.jacobian, autograd.jacobian, rtol=1e-5, atol=1e-7)
    net = SharedTrunkNetwork(6, [1], hidden_layer_sizes=(4,), dropout=0.5, seed=0).eval()
    assert record_forward(net, batch()[0])[2] is not None


def test_the_jacobian_can_be_asked_for_under_no_grad():
    # Strategies (torchjd's aggregators) read the Gramian inside torch.no_grad().
    written, autograd = steps()
    with torch.no_grad():
        torch.testing.assert_close(written.gramian, autograd.gramian, rtol=1e-5, atol=1e-7)


def test_active_dropout_has_no_record_and_losses_from_other_outputs_fall_back():
    net = SharedTrunkNetwork(6, [1, 3, 1], hidden_layer_sizes=(12,), dropout=0.5, seed=0)
    X, y = batch()
    representation, outputs, record = record_forward(net, X)
    assert record is None
    assert len(outputs) == 3 and representation.shape == (40, 12)
    net.eval()
    _, _, record = record_forward(net, X)
    criterion = MultiTaskLoss(["binary", "multiclass", "regression"])
    other = criterion.task_losses(net(X), y)  # not computed from the recorded outputs
    assert network_jacobian(net, record, other) is None


def test_a_fit_through_the_written_pass_matches_the_autograd_fit(monkeypatch):
    X, y, _ = make_auxiliary_tasks(n_samples=300, n_features=5, n_informative=3,
                                   aux_relations=("related", "noise"), random_state=0)

    def fit():
        return HydaMultiTaskClassifier(weighting=HydaLearn(gain_every=1),
                                       hidden_layer_sizes=(16, 8), max_iter=4,
                                       random_state=0).fit(X, y)

    written = fit()
    monkeypatch.setattr(TrainingStep, "__init__", _without_record(TrainingStep.__init__))
    autograd = fit()
    np.testing.assert_allclose(written.gain_history_, autograd.gain_history_, rtol=1e-3,
                               atol=1e-9)
    np.testing.assert_allclose(written.predict_proba(X), autograd.predict_proba(X),
                               atol=1e-4)


def _without_record(init):
    def replaced(self, *args, **kwargs):
        kwargs["record"] = None
        init(self, *args, **kwargs)
    return replaced


def recorded(activation="relu", hidden_layer_sizes=(12, 8), head_layer_sizes=(), trunk=None,
             sample_weight=None):
    """A network, its record on the batch and the task losses computed from the record."""
    net = SharedTrunkNetwork(6, [1, 3, 1], hidden_layer_sizes=hidden_layer_sizes,
                             head_layer_sizes=head_layer_sizes, activation=activation, seed=0)
    if trunk is not None:
        net.trunk = trunk
    X, y = batch()
    _, outputs, record = record_forward(net, X)
    assert record is not None
    losses = MultiTaskLoss(["binary", "multiclass", "regression"]).task_losses(outputs, y,
                                                                               sample_weight)
    return net, record, losses


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity", "gelu"])
@pytest.mark.parametrize("hidden_layer_sizes", [(12, 8), (12,)])
def test_the_last_linear_backward_is_the_derivative_of_the_layers_after_it(activation,
                                                                           hidden_layer_sizes):
    net, record, _ = recorded(activation, hidden_layer_sizes)
    X, trunk_outputs, _ = record
    last = len(net.trunk) - 2  # Linear, then the activation
    to_layer_output, inputs = last_linear_backward(net, record)
    # the layer's own input: it gives the recorded output of the layer
    torch.testing.assert_close(net.trunk[last](inputs), trunk_outputs[last])
    assert not inputs.requires_grad
    if len(hidden_layer_sizes) == 1:
        assert inputs is X or torch.equal(inputs, X)
    # dL/dz from any gradient dL/dh at the trunk's output, as autograd passes it back
    at_output = torch.randn(trunk_outputs[-1].shape, generator=torch.Generator().manual_seed(3))
    expected = torch.autograd.grad(trunk_outputs[-1], trunk_outputs[last],
                                   grad_outputs=at_output, retain_graph=True)[0]
    at_layer = to_layer_output(at_output)
    assert not at_layer.requires_grad
    torch.testing.assert_close(at_layer, expected, rtol=1e-5, atol=1e-7)


def test_the_last_linear_backward_passes_the_gradient_on_where_the_trunk_ends_in_the_layer():
    trunk = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 12))
    net, record, _ = recorded(hidden_layer_sizes=(12,), trunk=trunk)  # heads of width 12
    to_layer_output, inputs = last_linear_backward(net, record)
    gradient = torch.randn(40, 12)
    assert to_layer_output(gradient) is gradient
    torch.testing.assert_close(inputs, record[1][1])


def test_the_last_linear_backward_of_a_trunk_without_a_linear_layer_is_none():
    net, record, _ = recorded(hidden_layer_sizes=(6,), trunk=nn.Sequential(nn.Tanh()))
    assert last_linear_backward(net, record) is None


@pytest.mark.parametrize("head_layer_sizes", [(), (5,)])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_gradients_at_the_representation_are_autograds(head_layer_sizes, weighted):
    sample_weight = torch.linspace(0.2, 2.0, 40) if weighted else None
    net, record, losses = recorded("tanh", head_layer_sizes=head_layer_sizes,
                                   sample_weight=sample_weight)
    representation = record[1][-1]
    expected = torch.stack([torch.autograd.grad(loss, representation, retain_graph=True)[0]
                            for loss in losses])
    per_task = heads_backward(net, record, losses)
    assert per_task.shape == (3,) + representation.shape
    assert expected.abs().max() > 0
    torch.testing.assert_close(per_task, expected, rtol=1e-5, atol=1e-7)
    # nothing in .grad, and the graph is kept for the update's ordinary backward pass
    assert all(p.grad is None for p in net.parameters())
    losses.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_the_gradients_at_the_representation_need_losses_from_the_record():
    net, record, _ = recorded()
    X, y = batch()
    other = MultiTaskLoss(["binary", "multiclass", "regression"]).task_losses(net(X), y)
    assert heads_backward(net, record, other) is None


def test_the_heads_readers_from_the_record_are_those_of_the_graph():
    net, record, losses = recorded(head_layer_sizes=(5,))
    assert head_readers_of_record(record) == head_readers(losses, record[1][-1])


def test_a_head_that_does_not_read_the_trunk_in_its_first_layer_has_its_graph_walked():
    net = SharedTrunkNetwork(6, [1, 3, 1], hidden_layer_sizes=(12,), seed=0)
    net.heads[0] = nn.Sequential(nn.Identity(), *net.heads[0])
    X, _ = batch()
    _, _, record = record_forward(net, X)
    assert record is not None and head_readers_of_record(record) is None
