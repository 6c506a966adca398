"""Per-task gradients at the trunk's output: the hooks' pass, and the way back into the trunk."""

import torch

from hydasklearn._engine.representation import (
    backward_through_heads,
    gradients_at_representation,
    head_readers,
    through_trunk,
)


def per_task_at_representation(step):
    return torch.stack([torch.autograd.grad(loss, step.representation, retain_graph=True)[0]
                        .reshape(-1) for loss in step.losses])


def test_readers_are_found_per_task_and_none_where_tasks_share_a_node(make_step):
    _, step = make_step()
    readers = head_readers(step.losses, step.representation)
    assert sorted(task for task, _, _ in readers) == [0, 1, 2]
    shared = torch.stack([step.losses[0], step.losses[0] + step.losses[1], step.losses[2]])
    assert head_readers(shared, step.representation) is None
    assert head_readers(step.losses.sum().expand(3), step.representation) is None


def test_the_hooks_pass_keeps_the_tasks_apart_and_writes_nothing(make_step):
    module, step = make_step()
    readers = head_readers(step.losses, step.representation)
    per_task, heads = backward_through_heads(step.losses, step.representation, readers,
                                             step.head_layout.parameters)
    torch.testing.assert_close(per_task, per_task_at_representation(step))
    summed = torch.autograd.grad(step.losses.sum(), step.head_layout.parameters,
                                 retain_graph=True)
    for got, want in zip(heads, summed):
        torch.testing.assert_close(got, want)
    assert all(p.grad is None for p in module.parameters())


def test_reweighing_replaces_what_the_trunk_receives_and_heads_stay_at_weight_one(make_step):
    module, step = make_step()
    weights = torch.tensor([0.5, 0.0, 2.0], dtype=torch.float64)
    readers = head_readers(step.losses, step.representation)
    backward_through_heads(step.losses, step.representation, readers,
                           step.head_layout.parameters, lambda per_task: weights @ per_task)
    trunk = torch.autograd.grad(step.losses @ weights, list(module.trunk.parameters()),
                                retain_graph=True)
    heads = torch.autograd.grad(step.losses.sum(), list(module.heads.parameters()))
    for parameter, want in zip(module.parameters(), trunk + heads):
        torch.testing.assert_close(parameter.grad, want)


def test_both_ways_to_the_representation_agree(make_step):
    _, step = make_step()
    arguments = (step.losses, step.representation)
    hooked = gradients_at_representation(*arguments, head_readers(*arguments),
                                         step.head_layout, step.head_tasks)
    batched = gradients_at_representation(*arguments, None, step.head_layout, step.head_tasks)
    for got, want in zip(hooked, batched):
        torch.testing.assert_close(got, want)
    torch.testing.assert_close(hooked[1], step.head_jacobian)


def test_through_the_trunk_gives_the_trunks_per_task_gradients(make_step):
    _, step = make_step()
    gradients = through_trunk(step.representation, per_task_at_representation(step),
                              step.trunk_layout)
    torch.testing.assert_close(gradients, step.shared_gradients)
