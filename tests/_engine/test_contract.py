"""The strategy -> update contract: a strategy written against it alone, and the step's rules."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._engine.step import TrainingStep
from hydasklearn._engine.update import apply_decision
from hydasklearn._model.losses import MultiTaskLoss
from hydasklearn._model.network import SharedTrunkNetwork
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import Decision, WeightingStrategy


class InverseLoss(WeightingStrategy):
    """Example strategy: the smaller a task's loss, the larger its weight (sum n_tasks)."""

    _parameter_constraints = {"floor": [float]}

    def __init__(self, floor=1e-8):
        self.floor = floor

    def weigh(self, step):
        inverse = 1 / step.losses.detach().clamp(min=self.floor)
        return Decision(weights=inverse * step.n_tasks / inverse.sum())


def test_an_example_strategy_needs_no_network_to_be_tested():
    strategy = InverseLoss()
    strategy.start(["main", "aux"], ["binary", "regression"])
    fake_step = SimpleNamespace(losses=torch.tensor([1.0, 3.0]), n_tasks=2)
    np.testing.assert_allclose(strategy.decide(fake_step).weights, [1.5, 0.5])


def test_the_base_class_validates_declared_options_and_handles_a_single_task():
    with pytest.raises(ValueError, match="floor"):
        InverseLoss(floor="tiny").start(["main", "aux"], ["binary", "binary"])
    strategy = InverseLoss()
    strategy.start(["main"], ["binary"])
    single = SimpleNamespace(losses=torch.tensor([2.0]), n_tasks=1)
    assert strategy.decide(single).weights.tolist() == [1.0]


def test_an_example_strategy_trains_a_model_and_records_its_weights():
    X, y, _ = make_auxiliary_tasks(n_samples=200, n_features=5, n_informative=3, random_state=0)
    model = HydaMultiTaskClassifier(weighting=InverseLoss(), hidden_layer_sizes=(8,),
                                    max_iter=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.weight_history_.sum(axis=1), 3.0, rtol=1e-5)
    losses = model.training_history()[[f"loss_{t}" for t in model.task_names_]].to_numpy()
    inverse = 1 / losses
    np.testing.assert_allclose(model.weight_history_, 3 * inverse / inverse.sum(axis=1)[:, None],
                               rtol=1e-4)


def small_step(seed=0):
    torch.manual_seed(seed)
    kinds = ["binary", "regression", "multiclass"]
    module = SharedTrunkNetwork(3, [1, 1, 3], hidden_layer_sizes=(4,), activation="tanh").double()
    X = torch.randn(10, 3, dtype=torch.float64)
    y = torch.stack([(X[:, 0] > 0).double(), X[:, 1], torch.randint(0, 3, (10,)).double()], 1)
    y[::3, 1] = float("nan")
    criterion = MultiTaskLoss(kinds)
    representation = module.trunk(X)
    losses = criterion.task_losses(module.forward_heads(representation), y)
    return module, TrainingStep(module, criterion, X, y, representation, losses, 0.1)


def gradients(module):
    return [p.grad.clone() for p in module.parameters()]


def reference_update(trunk_weights, head_weights, seed=0):
    """By hand: the trunk's gradient of sum w_k L_k, each head's of sum h_k L_k."""
    module, step = small_step(seed)
    trunk = torch.autograd.grad(step.losses @ trunk_weights, list(module.trunk.parameters()),
                                retain_graph=True)
    heads = torch.autograd.grad(step.losses @ head_weights, list(module.heads.parameters()))
    return list(trunk) + list(heads)


def test_the_step_writes_no_gradient_until_the_decision_is_applied():
    module, step = small_step()
    step.jacobian, step.gramian, step.representation_gradients  # noqa: B018
    assert all(p.grad is None for p in module.parameters())


@pytest.mark.parametrize("computed", [None, "jacobian", "representation_gradients"])
def test_weights_and_head_weights_give_the_same_update_from_any_cached_quantity(computed):
    weights = torch.tensor([2.0, 0.5, 0.0], dtype=torch.float64)
    # Heads at 1; and heads apart from the trunk: a head off while its task
    # steers the trunk, a head on while its task is off the trunk.
    for heads in (torch.ones(3), torch.tensor([0.0, 3.0, 2.0])):
        _check_update(computed, weights, heads.double())


def _check_update(computed, weights, heads):
    for head_weights in (None, heads):
        module, step = small_step()
        if computed:
            getattr(step, computed)
        apply_decision(step, Decision(weights, head_weights=head_weights))
        expected = reference_update(weights, weights if head_weights is None else heads)
        for got, want in zip(gradients(module), expected):
            torch.testing.assert_close(got, want)


def test_a_trunk_gradient_is_written_as_given_and_heads_follow_their_weights():
    module, step = small_step()
    direction = torch.arange(step.n_shared, dtype=torch.float64)
    heads = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    apply_decision(step, Decision(step.ones(), head_weights=heads, trunk_gradient=direction))
    trunk = torch.cat([p.grad.reshape(-1) for p in module.trunk.parameters()])
    torch.testing.assert_close(trunk, direction)
    expected = reference_update(heads, heads)[len(list(module.trunk.parameters())):]
    for got, want in zip([p.grad for p in module.heads.parameters()], expected):
        torch.testing.assert_close(got, want)


def test_sample_weights_reweigh_each_tasks_samples():
    module, step = small_step()
    sample_weights = torch.rand(10, 3, dtype=torch.float64)
    weights = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    apply_decision(step, Decision(weights, sample_weights=sample_weights))
    got = gradients(module)
    module, step = small_step()
    labelled = (~torch.isnan(step.y)).sum(0)
    losses = (step.sample_losses() * sample_weights).sum(0) / labelled
    expected = torch.autograd.grad(losses @ weights, list(module.parameters()))
    for g, want in zip(got, expected):
        torch.testing.assert_close(g, want)
    with pytest.raises(ValueError, match="both"):
        apply_decision(step, Decision(weights, sample_weights=sample_weights,
                                      trunk_gradient=torch.zeros(step.n_shared)))


def test_weights_at_the_representation_are_chosen_in_one_backward_pass():
    module, step = small_step()
    seen = []

    def rule(representation_gradients):
        seen.append(representation_gradients.shape)
        return torch.tensor([1.0, 0.0, 3.0], dtype=torch.float64), None

    applied = apply_decision(step, Decision(weights_at_representation=rule))
    assert seen == [(3, 10 * 4)]
    assert applied.weights.tolist() == [1.0, 0.0, 3.0]
    expected = reference_update(applied.weights, torch.ones(3, dtype=torch.float64))
    for got, want in zip(gradients(module), expected):
        torch.testing.assert_close(got, want)
