"""Gain data: the held-out batch, the main-task gradient, look-ahead losses, sample products."""

import copy

import pytest
import torch

from hydasklearn._engine.gain_data import Batch, per_sample_task_losses
from hydasklearn._engine.step import TrainingStep


def test_gain_data_is_the_batch_or_one_heldout_batch_drawn_once(make_step):
    _, step = make_step(heldout=False)
    drawn = []

    def sample_batch(size):
        drawn.append(size)
        return torch.zeros(size, 3), torch.zeros(size, 3), None

    assert step.gain_data("batch") == Batch(step.X, step.y, None)
    with pytest.raises(RuntimeError, match="No held-out data"):
        step.heldout_batch  # noqa: B018
    with pytest.raises(ValueError, match="Unknown gain data 'validation'"):
        step.gain_data("validation")
    step = TrainingStep(step.module, step.criterion, step.X, step.y, step.representation,
                        step.losses, 0.1, sample_batch=sample_batch)
    first = step.gain_data("heldout")
    assert isinstance(first, Batch) and step.heldout_batch is first and drawn == [10]
    assert step.with_losses(2 * step.losses).gain_data("heldout") is first  # same batch


def test_the_main_gradient_on_the_batch_is_row_zero_and_on_heldout_data_autograds(make_step):
    module, step = make_step()
    torch.testing.assert_close(step.main_gradient("batch"), step.shared_gradients[0])
    X, y, _ = step.heldout_batch
    loss = step.criterion.task_losses((module.heads[0](module.trunk(X)),), y[:, :1])[0]
    expected = torch.autograd.grad(loss, list(module.trunk.parameters()))
    torch.testing.assert_close(step.main_gradient("heldout"),
                               torch.cat([g.reshape(-1) for g in expected]))


@pytest.mark.parametrize("source", ["batch", "heldout"])
def test_look_ahead_losses_are_those_of_a_moved_copy_and_leave_the_module_alone(make_step,
                                                                              source):
    module, step = make_step()
    before = [p.detach().clone() for p in module.parameters()]
    direction = 0.3 * torch.randn(step.n_shared, dtype=torch.float64)
    losses = step.main_loss_after_steps(torch.stack([torch.zeros_like(direction), direction]),
                                        source=source)
    moved = copy.deepcopy(module)
    with torch.no_grad():
        for parameter, change in zip(moved.trunk.parameters(),
                                     step.trunk_layout.unflatten(direction).values()):
            parameter -= change
    X, y, weight = step.gain_data(source)
    for network, got in ((module, losses[0]), (moved, losses[1])):
        expected = step.criterion.task_losses((network.heads[0](network.trunk(X)),),
                                              y[:, :1], weight)[0]
        torch.testing.assert_close(got, expected)
    assert losses[0] != losses[1]
    for parameter, value in zip(module.parameters(), before):
        assert torch.equal(parameter, value)


@pytest.mark.parametrize("weighted", [False, True])
def test_sample_products_add_up_to_the_task_gradients_along_the_direction(make_step, weighted):
    weight = torch.linspace(0.5, 2.0, 10, dtype=torch.float64) if weighted else None
    _, step = make_step(sample_weight=weight)
    direction = torch.randn(step.n_shared, dtype=torch.float64)
    products = step.sample_gradient_products(direction)
    assert products.shape == (10, 3)
    assert (products[torch.isnan(step.y)] == 0).all()
    # L_k is the (weighted) mean of its labeled samples' losses.
    torch.testing.assert_close(products.sum(dim=0) / step.label_totals,
                               step.shared_gradients @ direction)


def test_per_sample_losses_are_zero_where_unlabeled_and_average_to_the_task_losses(make_step):
    module, step = make_step()
    losses = per_sample_task_losses(module.forward_heads(step.representation), step.y,
                                    step.criterion.task_kinds)
    assert (losses[torch.isnan(step.y)] == 0).all()
    torch.testing.assert_close(losses.sum(dim=0) / step.labeled, step.losses)
    torch.testing.assert_close(step.sample_losses(), losses)
