"""The per-task Jacobian: written out where the forward was recorded, autograd otherwise."""

import pytest
import torch

from hydasklearn._engine.jacobian import per_task_jacobian


@pytest.mark.parametrize("recorded", [False, True])
def test_every_row_is_one_tasks_gradient_of_every_parameter(make_step, recorded):
    module, step = make_step(recorded=recorded)
    layout = step.trunk_layout.concatenated(step.head_layout)
    jacobian = per_task_jacobian(module, step.losses, layout, step.record)
    for k in range(3):
        expected = torch.autograd.grad(step.losses[k], layout.parameters, retain_graph=True,
                                       allow_unused=True)
        torch.testing.assert_close(jacobian[k], layout.flatten(expected))


def test_losses_not_computed_from_the_record_fall_back_on_autograd(make_step):
    module, step = make_step(recorded=True)
    layout = step.trunk_layout.concatenated(step.head_layout)
    other = step.criterion.task_losses(module(step.X), step.y)  # not the recorded outputs
    expected = per_task_jacobian(module, other, layout)
    torch.testing.assert_close(per_task_jacobian(module, other, layout, step.record), expected)
