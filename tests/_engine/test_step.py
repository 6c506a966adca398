"""TrainingStep: what it computes, once, and what it says it has computed."""

import pytest
import torch

from hydasklearn._engine import step as step_module
from hydasklearn._engine.layout import network_layouts
from hydasklearn._engine.step import GRADIENT_QUANTITIES


def by_hand(step, parameters):
    """Every task's gradient of ``parameters``, one autograd pass per task."""
    rows = []
    for k in range(step.n_tasks):
        gradients = torch.autograd.grad(step.losses[k], parameters, retain_graph=True,
                                        allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                               for g, p in zip(gradients, parameters)]))
    return torch.stack(rows)


def test_a_fresh_step_has_computed_nothing_and_rejects_unknown_quantities(make_step):
    _, step = make_step()
    assert not any(step.has_computed(quantity) for quantity in GRADIENT_QUANTITIES)
    with pytest.raises(ValueError, match="Unknown quantity 'hessian'"):
        step.has_computed("hessian")


def test_reading_the_gramian_computes_the_jacobian_once(make_step, backward_calls):
    module, step = make_step()
    backward_calls[0] = 0
    gramian = step.gramian
    assert backward_calls[0] == 1
    assert step.has_computed("jacobian") and step.has_computed("gramian")
    assert not step.has_computed("representation_gradients")
    step.gramian, step.jacobian, step.shared_gradients, step.head_gradients  # noqa: B018
    assert backward_calls[0] == 1
    expected = by_hand(step, list(module.trunk.parameters()))
    torch.testing.assert_close(step.shared_gradients, expected)
    torch.testing.assert_close(gramian, expected @ expected.T)


def test_representation_gradients_and_head_gradients_come_from_one_pass(make_step,
                                                                          backward_calls):
    module, step = make_step()
    backward_calls[0] = 0
    per_task = step.representation_gradients
    assert backward_calls[0] == 1
    assert step.has_computed("representation_gradients") and step.has_computed("head_gradients")
    assert not step.has_computed("jacobian")
    heads = step.head_gradients
    assert backward_calls[0] == 1
    assert per_task.shape == (3, 10 * 4)
    expected = by_hand(step, [step.representation])
    torch.testing.assert_close(per_task, expected)
    torch.testing.assert_close(heads, by_hand(step, list(module.heads.parameters())))


def test_head_gradients_are_read_from_the_jacobian_once_it_is_computed(make_step,
                                                                       backward_calls):
    _, step = make_step()
    step.jacobian  # noqa: B018
    backward_calls[0] = 0
    torch.testing.assert_close(step.head_gradients, step.head_jacobian)
    assert backward_calls[0] == 0
    assert not step.has_computed("representation_gradients")


def test_unstacked_losses_fall_back_on_one_batched_pass(make_step):
    _, step = make_step()
    _, reference = make_step()
    # Losses not stacked from separate heads: the hooks cannot tell the tasks apart.
    unstacked = step.with_losses(step.losses * torch.ones(3, dtype=torch.float64))
    assert unstacked.readers is None and reference.readers is not None
    torch.testing.assert_close(unstacked.representation_gradients,
                               reference.representation_gradients)
    torch.testing.assert_close(unstacked.head_gradients, reference.head_gradients)


def test_stored_representation_gradients_are_read_back_and_missing_heads_computed(make_step):
    _, step = make_step()
    _, reference = make_step()
    marked = torch.full((3, 40), 7.0, dtype=torch.float64)
    step.store_representation_gradients(marked)
    assert step.has_computed("representation_gradients")
    assert not step.has_computed("head_gradients")
    assert step.representation_gradients is marked
    torch.testing.assert_close(step.head_gradients, reference.head_gradients)
    assert step.representation_gradients is marked  # not overwritten by the heads' pass


def test_with_losses_keeps_the_batch_and_starts_with_nothing_computed(make_step):
    _, step = make_step(recorded=True)
    step.gramian  # noqa: B018
    heldout = step.heldout_batch
    doubled = step.with_losses(2 * step.losses)
    assert doubled.X is step.X and doubled.y is step.y and doubled.module is step.module
    assert doubled.layouts is step.layouts and doubled.learning_rate == step.learning_rate
    assert not any(doubled.has_computed(quantity) for quantity in GRADIENT_QUANTITIES)
    assert doubled.record is None  # the new losses are not the recorded outputs'
    assert doubled.heldout_batch is heldout
    torch.testing.assert_close(doubled.jacobian, 2 * step.jacobian)


def test_the_step_writes_no_gradient(make_step):
    module, step = make_step()
    step.jacobian, step.gramian, step.representation_gradients  # noqa: B018
    step.gradients_through_representation("last", halves=True)
    assert all(p.grad is None for p in module.parameters())


def test_layouts_are_built_only_when_gradients_are_needed(make_step, monkeypatch):
    built = []

    def counted(module):
        built.append(module)
        return network_layouts(module)

    monkeypatch.setattr(step_module, "network_layouts", counted)
    module, step = make_step()
    step.losses, step.ones(), step.labeled
    assert built == []
    assert step.n_shared == 3 * 4 + 4 and step.head_tasks == [0, 0, 1, 1, 2, 2]
    step.jacobian, step.with_losses(step.losses).jacobian
    assert built == [module]  # once, and passed on to the re-weighted step


@pytest.mark.parametrize("layer", ["all", "last"])
def test_gradients_through_the_representation_are_the_trunks_per_task_gradients(make_step,
                                                                                layer):
    _, step = make_step()
    full = step.gradients_through_representation(layer)
    columns = slice(None) if layer == "all" else step.last_shared_layer_slice
    torch.testing.assert_close(full, step.shared_gradients[:, columns])
    first, second = step.gradients_through_representation(layer, halves=True)
    torch.testing.assert_close(first + second, full)
    assert first.abs().max() > 0 and second.abs().max() > 0
    assert step.gradients_through_representation(layer) is full  # once per argument pair


def test_labeled_counts_and_label_totals_follow_missing_labels_and_row_weights(make_step):
    _, step = make_step()
    assert step.labeled.tolist() == [10, 6, 10]
    weight = torch.linspace(0.5, 2.0, 10, dtype=torch.float64)
    _, weighted = make_step(sample_weight=weight)
    labeled = ~torch.isnan(weighted.y[:, 1])
    torch.testing.assert_close(weighted.label_totals[1], weight[labeled].sum())
    assert step.ones().tolist() == [1.0, 1.0, 1.0] and step.ones().dtype == torch.float64
