"""Fixtures shared by the gradient engine's tests.

``make_step`` builds a real :class:`~hydasklearn._engine.step.TrainingStep` on
a tiny double-precision network (a binary, a regression and a 3-class task,
some labels missing), ``reference_update`` computes by hand the gradients an
update should write, and ``backward_calls`` counts autograd's backward passes,
so a test can tell what the engine reused from what it recomputed.
"""

import pytest
import torch
from _steps import step_on_batch

from hydasklearn._model.network import SharedTrunkNetwork


def build_step(seed=0, n_samples=10, recorded=False, heldout=True, sample_weight=None):
    """A training step on a fresh network, and the network.

    ``recorded``: the losses come from :func:`record_forward`'s outputs, so
    the Jacobian is written out; otherwise autograd computes it.
    ``heldout``: the step can draw a held-out batch (one fixed batch).
    """
    torch.manual_seed(seed)
    module = SharedTrunkNetwork(3, [1, 1, 3], hidden_layer_sizes=(4,),
                                activation="tanh").double()
    X = torch.randn(n_samples, 3, dtype=torch.float64)
    y = torch.stack([(X[:, 0] > 0).double(), X[:, 1],
                     torch.randint(0, 3, (n_samples,)).double()], dim=1)
    y[::3, 1] = float("nan")
    other_X = torch.randn(n_samples, 3, dtype=torch.float64)
    other = (other_X, y[torch.randperm(n_samples)], None)
    sample_batch = (lambda size: other) if heldout else None
    return module, step_on_batch(module, X, y, recorded, sample_weight, sample_batch)


@pytest.fixture
def make_step():
    """``make_step(seed=0, n_samples=10, recorded=False, heldout=True, sample_weight=None)``
    -> ``(module, step)``."""
    return build_step


@pytest.fixture
def reference_update():
    """``reference_update(trunk_weights, head_weights, seed=0)``: by hand, the trunk's
    gradient of ``sum_k w_k L_k`` and every head's of ``sum_k h_k L_k``, parameter
    after parameter as ``module.parameters()`` lists them."""

    def update(trunk_weights, head_weights, seed=0):
        module, step = build_step(seed)
        trunk = torch.autograd.grad(step.losses @ trunk_weights,
                                    list(module.trunk.parameters()), retain_graph=True)
        heads = torch.autograd.grad(step.losses @ head_weights, list(module.heads.parameters()))
        return list(trunk) + list(heads)

    return update


@pytest.fixture
def written_gradients():
    """``written_gradients(module)``: a copy of every parameter's ``.grad``."""
    return lambda module: [p.grad.clone() for p in module.parameters()]


@pytest.fixture
def backward_calls(monkeypatch):
    """Count of autograd backward passes (``torch.autograd.grad`` and ``.backward()``).

    A one-element list; ``backward_calls[0] = 0`` starts counting afresh.
    """
    count = [0]
    grad, backward = torch.autograd.grad, torch.autograd.backward

    def counted(function):
        def call(*args, **kwargs):
            count[0] += 1
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(torch.autograd, "grad", counted(grad))
    monkeypatch.setattr(torch.autograd, "backward", counted(backward))
    return count
