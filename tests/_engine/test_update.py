"""apply_decision: every kind of decision, from whatever the step has computed."""

import pytest
import torch

from hydasklearn._engine.decision import Decision
from hydasklearn._engine.update import _reweighted, apply_decision

WEIGHTS = torch.tensor([2.0, 0.5, 0.0], dtype=torch.float64)
# Heads at 1; and heads apart from the trunk: a head off while its task steers
# the trunk, a head on while its task is off the trunk.
HEAD_WEIGHTS = [None, torch.ones(3, dtype=torch.float64),
                torch.tensor([0.0, 3.0, 2.0], dtype=torch.float64)]


@pytest.mark.parametrize("computed", [None, "jacobian", "representation_gradients"])
@pytest.mark.parametrize("head_weights", HEAD_WEIGHTS)
@pytest.mark.parametrize("recorded", [False, True])
def test_weights_and_head_weights_give_the_same_update_from_any_computed_quantity(
        computed, head_weights, recorded, make_step, reference_update, written_gradients):
    module, step = make_step(recorded=recorded)
    if computed:
        getattr(step, computed)
    apply_decision(step, Decision(WEIGHTS, head_weights=head_weights))
    expected = reference_update(WEIGHTS, WEIGHTS if head_weights is None else head_weights)
    for got, want in zip(written_gradients(module), expected):
        torch.testing.assert_close(got, want)


def test_after_the_gramian_is_read_the_update_is_assembled_from_the_jacobian(
        make_step, backward_calls):
    module, step = make_step()
    step.gramian  # noqa: B018 (what an inner-product strategy reads)
    assert step.has_computed("jacobian")
    backward_calls[0] = 0
    apply_decision(step, Decision(WEIGHTS))
    assert backward_calls[0] == 0
    trunk = torch.cat([p.grad.reshape(-1) for p in module.trunk.parameters()])
    torch.testing.assert_close(trunk, WEIGHTS @ step.shared_gradients)


def test_after_representation_gradients_are_read_one_pass_through_the_trunk_remains(
        make_step, backward_calls):
    _, step = make_step()
    step.representation_gradients  # noqa: B018
    backward_calls[0] = 0
    apply_decision(step, Decision(WEIGHTS, head_weights=HEAD_WEIGHTS[2]))
    assert backward_calls[0] == 1
    assert not step.has_computed("jacobian")


@pytest.mark.parametrize("head_weights, readers, passes", [
    (None, True, 1),
    (torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64), True, 1),  # heads rescaled after
    # task 2 is off the trunk, its head learns: a hook stops its gradient at the head ...
    (HEAD_WEIGHTS[1], True, 1),
    (HEAD_WEIGHTS[1], False, 2),  # ... or, where the heads' graphs are not apart, a small pass
])
def test_with_nothing_computed_one_ordinary_pass_and_a_small_one_for_idle_heads(
        make_step, reference_update, written_gradients, backward_calls, head_weights, readers,
        passes):
    module, step = make_step()
    if not readers:
        step.__dict__["readers"] = None  # what head_readers finds for graphs that are not apart
    backward_calls[0] = 0
    apply_decision(step, Decision(WEIGHTS, head_weights=head_weights))
    assert backward_calls[0] == passes
    assert not any(step.has_computed(q) for q in ("jacobian", "representation_gradients"))
    expected = reference_update(WEIGHTS, WEIGHTS if head_weights is None else head_weights)
    for got, want in zip(written_gradients(module), expected):
        torch.testing.assert_close(got, want)


def test_the_same_weights_again_give_the_same_update_and_a_change_in_place_is_read(
        make_step, reference_update, written_gradients):
    """The update derives its plan from a pair of weight tensors once (a strategy holding
    its weights passes the same tensors step after step); a tensor changed in place is
    read again."""
    weights, heads = WEIGHTS.clone(), HEAD_WEIGHTS[1].clone()
    for trunk_weights in ([2.0, 0.5, 0.0], [2.0, 0.5, 0.0], [0.0, 1.0, 3.0]):
        weights.copy_(torch.tensor(trunk_weights))
        module, step = make_step()
        apply_decision(step, Decision(weights, head_weights=heads))
        expected = reference_update(weights, heads)
        for got, want in zip(written_gradients(module), expected):
            torch.testing.assert_close(got, want)


def test_a_trunk_gradient_is_written_as_given_and_heads_follow_their_weights(
        make_step, reference_update):
    module, step = make_step()
    direction = torch.arange(step.n_shared, dtype=torch.float64)
    heads = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    apply_decision(step, Decision(step.ones(), head_weights=heads, trunk_gradient=direction))
    trunk = torch.cat([p.grad.reshape(-1) for p in module.trunk.parameters()])
    torch.testing.assert_close(trunk, direction)
    assert trunk.data_ptr() != direction.data_ptr()  # a copy: the optimizer may change it
    expected = reference_update(heads, heads)[len(list(module.trunk.parameters())):]
    for got, want in zip([p.grad for p in module.heads.parameters()], expected):
        torch.testing.assert_close(got, want)


def test_sample_weights_reweigh_each_tasks_samples(make_step, written_gradients):
    module, step = make_step()
    sample_weights = torch.rand(10, 3, dtype=torch.float64)
    weights = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    apply_decision(step, Decision(weights, sample_weights=sample_weights))
    got = written_gradients(module)
    module, step = make_step()
    labeled = (~torch.isnan(step.y)).sum(0)
    losses = (step.sample_losses() * sample_weights).sum(0) / labeled
    expected = torch.autograd.grad(losses @ weights, list(module.parameters()))
    for g, want in zip(got, expected):
        torch.testing.assert_close(g, want)
    with pytest.raises(ValueError, match="both"):
        apply_decision(step, Decision(weights, sample_weights=sample_weights,
                                      trunk_gradient=torch.zeros(step.n_shared)))


def test_sample_weights_of_one_give_the_same_losses_on_a_step_with_nothing_computed(make_step):
    _, step = make_step(sample_weight=torch.linspace(0.5, 1.5, 10, dtype=torch.float64))
    step.gramian  # noqa: B018
    reweighted = _reweighted(step, torch.ones(10, 3))
    torch.testing.assert_close(reweighted.losses, step.losses)
    assert reweighted is not step and not reweighted.has_computed("jacobian")


@pytest.mark.parametrize("stacked", [True, False])
def test_weights_at_the_representation_are_chosen_in_one_backward_pass(
        make_step, reference_update, written_gradients, backward_calls, stacked):
    module, step = make_step()
    if not stacked:  # the heads' graphs are not apart: chosen first, then applied
        step = step.with_losses(step.losses * torch.ones(3, dtype=torch.float64))
    seen = []

    def rule(representation_gradients):
        seen.append(representation_gradients.clone())
        return torch.tensor([1.0, 0.0, 3.0], dtype=torch.float64), torch.zeros(3)

    backward_calls[0] = 0
    applied = apply_decision(step, Decision(weights_at_representation=rule))
    assert backward_calls[0] == (1 if stacked else 2)
    assert len(seen) == 1 and seen[0].shape == (3, 10 * 4)
    assert step.has_computed("representation_gradients")
    torch.testing.assert_close(step.representation_gradients, seen[0])
    assert applied.weights.tolist() == [1.0, 0.0, 3.0] and applied.gains.tolist() == [0.0] * 3
    expected = reference_update(applied.weights, torch.ones(3, dtype=torch.float64))
    for got, want in zip(written_gradients(module), expected):
        torch.testing.assert_close(got, want)


def test_weights_are_cast_to_the_losses_dtype(make_step, reference_update, written_gradients):
    module, step = make_step()
    apply_decision(step, Decision(WEIGHTS.float().requires_grad_()))
    for got, want in zip(written_gradients(module), reference_update(WEIGHTS, WEIGHTS)):
        assert got.dtype == torch.float64
        torch.testing.assert_close(got, want)
