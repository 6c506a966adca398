"""The training step and the update along HydaLearn's paths, checked by hand on a tiny network.

What the step computes for HydaLearn (per-task trunk gradients, their
Gramian, gradients at the trunk's output, a held-out main-task gradient,
gradients of the last layer and of half batches) and how the update turns
HydaLearn's decisions into gradients (trunk weighted, heads at weight 1 or
weighted, weights chosen inside the backward pass, held weights).
"""

import numpy as np
import pytest
import torch
from weighting.tiny_network import (
    hand_forward,
    hand_representation_gradients,
    hand_shared_gradients,
    make_step,
    other_batch,
    residuals,
    started,
    tiny_problem,
)

from hydasklearn._engine.decision import Decision
from hydasklearn._engine.step import TrainingStep
from hydasklearn._engine.update import apply_decision
from hydasklearn._model.network import SharedTrunkNetwork
from hydasklearn.weighting import (
    FirstOrderGain,
    HydaLearn,
    ProportionalRule,
    RepresentationGain,
)
from hydasklearn.weighting._hydalearn._arithmetic import gains_to_weights


def gradients_of(parts):
    return torch.cat([p.grad.reshape(-1) for p in parts.parameters()])


# ------------------------------------------------------------------ what the step computes
def test_shared_gradients_and_gramian_match_hand_computation():
    module, X, y = tiny_problem()
    step = make_step(module, X, y)
    expected = hand_shared_gradients(module, X, y)
    torch.testing.assert_close(step.shared_gradients, expected)
    torch.testing.assert_close(step.gramian, expected @ expected.T)
    # Head columns: each task's gradient reaches its own head only.
    h, outputs = hand_forward(module, X)
    r = residuals(outputs, y) / len(X)
    heads = step.jacobian[:, step.n_shared:].reshape(3, 3, 2)
    for k in range(3):
        torch.testing.assert_close(heads[k, k], torch.stack([r[:, k] @ h, r[:, k].sum()]))
        assert torch.all(heads[k, np.arange(3) != k] == 0)


def test_representation_gradients_match_hand_computation():
    module, X, y = tiny_problem()
    torch.testing.assert_close(make_step(module, X, y).representation_gradients,
                               hand_representation_gradients(module, X, y))


@pytest.mark.parametrize("head_layer_sizes, dropout", [((), 0.0), ((3,), 0.0), ((3,), 0.3)])
def test_representation_gradients_match_a_batched_backward(head_layer_sizes, dropout):
    torch.manual_seed(0)
    kinds = ["binary", "multiclass", "regression"]
    module = SharedTrunkNetwork(4, [1, 3, 1], hidden_layer_sizes=(5,),
                                head_layer_sizes=head_layer_sizes, dropout=dropout)
    X = torch.randn(12, 4)
    y = torch.stack([(X[:, 0] > 0).float(), torch.randint(3, (12,)).float(), X[:, 1]], dim=1)
    y[:4, 2] = np.nan
    step = make_step(module, X, y, kinds=kinds)
    eye = torch.eye(3)
    heads = step.head_layout.parameters
    expected = torch.autograd.grad(step.losses, [step.representation] + heads, eye,
                                   is_grads_batched=True, retain_graph=True, allow_unused=True)
    torch.testing.assert_close(step.representation_gradients, expected[0].reshape(3, -1))
    expected_heads = step.head_layout.flatten(expected[1:], n_rows=3)
    # Each head's columns hold its own task's gradient, zeros in the other tasks' rows.
    torch.testing.assert_close(step.head_gradients, expected_heads)
    for task, column in zip(step.head_tasks, expected[1:]):
        assert torch.all(column[np.arange(3) != task] == 0)
    # Losses that are not stacked from separate heads: the batched pass is used.
    unstacked = TrainingStep(module, step.criterion, X, y, step.representation,
                             step.losses * 1.0, learning_rate=0.1)
    assert unstacked.readers is None
    torch.testing.assert_close(unstacked.representation_gradients, expected[0].reshape(3, -1))
    torch.testing.assert_close(unstacked.head_gradients, expected_heads)


def test_the_heldout_main_gradient_is_taken_on_one_other_batch():
    module, X, y = tiny_problem(n_samples=16)
    _, X_out, y_out = tiny_problem(seed=1, n_samples=16)
    drawn = []

    def sample_batch(size):
        drawn.append(size)
        return X_out, y_out, None  # no row weights

    step = make_step(module, X, y, sample_batch=sample_batch)
    torch.testing.assert_close(step.main_gradient("heldout"),
                               hand_shared_gradients(module, X_out, y_out)[0])
    assert drawn == [len(X)]  # one held-out batch of the same size


def test_last_layer_gradients_are_the_columns_of_the_jacobian():
    torch.manual_seed(0)
    module = SharedTrunkNetwork(3, [1, 1, 1], hidden_layer_sizes=(4, 5)).double()
    X = torch.randn(12, 3, dtype=torch.float64)
    y = torch.randn(12, 3, dtype=torch.float64)
    y[:, 0] = (y[:, 0] > 0).double()
    last = make_step(module, X, y).gradients_through_representation("last", False)
    full = make_step(module, X, y)
    torch.testing.assert_close(last, full.shared_gradients[:, full.last_shared_layer_slice])
    first, second = make_step(module, X, y).gradients_through_representation("last", True)
    torch.testing.assert_close(first + second, last)
    assert not torch.allclose(first, second)


def test_half_batch_gradients_are_each_halfs_share():
    module, X, y = tiny_problem(n_samples=16)
    first, second = make_step(module, X, y).gradients_through_representation("all", True)
    torch.testing.assert_close(first, hand_shared_gradients(module, X[:8], y[:8]) / 2)
    torch.testing.assert_close(second, hand_shared_gradients(module, X[8:], y[8:]) / 2)


# ------------------------------------------------------------------ the update of a decision
def test_heads_learn_their_own_task_whatever_its_weight():
    module, X, y = tiny_problem()
    y[:, 2] = -3 * X[:, 0]  # a task whose step raises the main loss: weight 0
    step = make_step(module, X, y)
    decision = started(HydaLearn.paper_rule()).weigh(step)
    assert decision.weights[2] == 0
    apply_decision(step, decision)
    head_gradients = [p.grad.clone() for p in module.heads.parameters()]
    trunk_gradients = [p.grad.clone() for p in module.trunk.parameters()]
    # Reference: each head's own loss at weight 1, the trunk along sum_k w_k g_k.
    module.zero_grad()
    make_step(module, X, y).losses.sum().backward()
    for got, parameter in zip(head_gradients, module.heads.parameters()):
        torch.testing.assert_close(got, parameter.grad)
    module.zero_grad()
    (decision.weights * make_step(module, X, y).losses).sum().backward()
    for got, parameter in zip(trunk_gradients, module.trunk.parameters()):
        torch.testing.assert_close(got, parameter.grad)
    assert torch.all(module.heads[2][-1].weight.grad == 0)


def test_weigh_heads_scales_the_heads_too():
    module, X, y = tiny_problem()
    y[:, 2] = -3 * X[:, 0]
    step = make_step(module, X, y)
    decision = started(HydaLearn.paper_rule(weigh_heads=True)).weigh(step)
    assert decision.head_weights is None and decision.weights[2] == 0
    apply_decision(step, decision)
    got = [p.grad.clone() for p in module.parameters()]
    module.zero_grad()
    (decision.weights * make_step(module, X, y).losses).sum().backward()
    for gradient, parameter in zip(got, module.parameters()):
        torch.testing.assert_close(gradient, parameter.grad)


@pytest.mark.parametrize("stacked", [True, False])
def test_representation_weights_are_chosen_inside_one_backward_pass(stacked):
    module, X, y = tiny_problem()
    step = make_step(module, X, y)
    if not stacked:  # graphs not separate: weights chosen first, then applied
        step = TrainingStep(module, step.criterion, X, y, step.representation,
                            step.losses * 1.0, learning_rate=0.1)
    strategy = started(HydaLearn.paper_rule(gain=RepresentationGain(per_unit_length=False)))
    undecided = strategy.weigh(step)
    assert undecided.weights is None and undecided.weights_at_representation is not None
    decision = apply_decision(step, undecided)
    got = [p.grad.clone() for p in module.parameters()]
    # Reference: gains from the representation gradients, trunk along
    # sum_k w_k g_k, every head along its own task's gradient.
    module.zero_grad()
    reference = make_step(module, X, y)
    gains = 0.1 * (reference.representation_gradients @ reference.representation_gradients[0])
    torch.testing.assert_close(decision.gains, gains)
    np.testing.assert_allclose(decision.weights.numpy(), gains_to_weights(gains), rtol=1e-12)
    apply_decision(reference, Decision(decision.weights,
                                       head_weights=torch.ones(3, dtype=torch.float64)))
    for gradient, parameter in zip(got, module.parameters()):
        torch.testing.assert_close(gradient, parameter.grad)


@pytest.mark.parametrize("head_weights", [None, [1.0, 1.0, 1.0]])
def test_the_update_is_the_same_from_any_computed_gradients(head_weights):
    module, X, y = tiny_problem()
    weights = torch.tensor([2.0, 0.7, 0.3], dtype=torch.float64)
    updates = []
    for computed in (None, "jacobian", "representation_gradients"):
        module.zero_grad()
        step = make_step(module, X, y)
        if computed is not None:
            getattr(step, computed)
        apply_decision(step, Decision(weights, head_weights=None if head_weights is None else
                                      torch.tensor(head_weights, dtype=torch.float64)))
        updates.append([p.grad.clone() for p in module.parameters()])
    for update in updates[1:]:
        for got, expected in zip(update, updates[0]):
            torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("gain", [FirstOrderGain(), FirstOrderGain(reference="batch")])
def test_the_update_of_first_order_gains_is_the_weighted_trunk_gradient(gain):
    module, X, y = tiny_problem()
    strategy = started(HydaLearn(gain=gain, rule=ProportionalRule()))
    step = make_step(module, X, y, sample_batch=other_batch)
    module.zero_grad()
    decision = apply_decision(step, strategy.weigh(step))
    reference = make_step(module, X, y)
    jacobian = reference.jacobian
    torch.testing.assert_close(gradients_of(module.trunk),
                               decision.weights.double() @ jacobian[:, :reference.n_shared])
    torch.testing.assert_close(gradients_of(module.heads), jacobian[:, reference.n_shared:].sum(0))


def test_between_measurements_the_trunk_is_weighted_and_heads_learn_at_weight_one():
    module, X, y = tiny_problem()
    strategy = started(HydaLearn(rule=ProportionalRule(), gain_every=3))
    first = strategy.weigh(make_step(module, X, y))
    for _ in range(2):  # two held steps: the same weights
        module.zero_grad()
        step = make_step(module, X, y)
        decision = apply_decision(step, strategy.weigh(step))
        torch.testing.assert_close(decision.weights, first.weights)
        torch.testing.assert_close(decision.gains, first.gains)
        reference = make_step(module, X, y)
        jacobian = reference.jacobian
        torch.testing.assert_close(gradients_of(module.trunk), decision.weights.double()
                                   @ jacobian[:, :reference.n_shared])
        torch.testing.assert_close(gradients_of(module.heads),
                                   jacobian[:, reference.n_shared:].sum(0))
