"""A network small enough to compute HydaLearn's gradients by hand, and steps on it.

Shared by the HydaLearn tests (``tests/weighting/hydalearn/``), the engine's
HydaLearn paths (``tests/_engine/test_hydalearn_paths.py``) and the
benchmarks' HydaLearn parts; ``tests/`` is on pytest's ``pythonpath``, so
they import it as ``from weighting.tiny_network import ...``.

The network: two features, a trunk of one tanh unit ``h = tanh(a . x + b)``
and three linear heads ``o_k = c_k h + d_k`` (main binary, two regression
auxiliary tasks), in float64.
"""

import torch
import torch.nn.functional as F
from _steps import step_on_batch

from hydasklearn._model.network import SharedTrunkNetwork

KINDS = ["binary", "regression", "regression"]


def tiny_problem(seed=0, n_samples=16):
    """The tiny network and a batch whose first auxiliary task is related to the main one."""
    torch.manual_seed(seed)
    module = SharedTrunkNetwork(2, [1, 1, 1], hidden_layer_sizes=(1,), activation="tanh").double()
    with torch.no_grad():  # heads of one sign, so that a related task's step helps the main one
        module.trunk[0].weight.copy_(torch.tensor([[0.5, -0.3]]))
        module.trunk[0].bias.fill_(0.1)
        for head, weight in zip(module.heads, (1.0, 0.8, 0.6)):
            head[-1].weight.fill_(weight)
    X = torch.randn(n_samples, 2, dtype=torch.float64)
    y = torch.randn(n_samples, 3, dtype=torch.float64)
    y[:, 0] = (X[:, 0] + 0.5 * torch.randn(n_samples, dtype=torch.float64) > 0).double()
    y[:, 1] = X[:, 0] + 0.1 * y[:, 1]  # related to the main task
    return module, X, y


def make_step(module, X, y, learning_rate=0.1, sample_batch=None, kinds=KINDS, recorded=False):
    """A TrainingStep; ``recorded``: with the record of every layer's output, as the
    training loop builds it."""
    return step_on_batch(module, X, y, recorded, sample_batch=sample_batch, kinds=kinds,
                         learning_rate=learning_rate)


def other_batch(size):
    """A fixed held-out batch for the tiny problem (``sample_batch`` of a step)."""
    _, X, y = tiny_problem(seed=1, n_samples=size)
    return X, y, None  # no row weights


def started(strategy, n_tasks=3):
    """``strategy`` started on a main binary task and ``n_tasks - 1`` regression tasks."""
    strategy.start(["main"] + [f"aux_{k}" for k in range(1, n_tasks)],
                   ["binary"] + ["regression"] * (n_tasks - 1))
    return strategy


def parameters_of(module):
    """Trunk (a, b) and heads (c_k, d_k) of the tiny network as plain tensors."""
    trunk = module.trunk[0]
    a, b = trunk.weight.detach()[0], trunk.bias.detach()[0]
    c = torch.stack([head[-1].weight.detach()[0, 0] for head in module.heads])
    d = torch.stack([head[-1].bias.detach()[0] for head in module.heads])
    return a, b, c, d


def residuals(outputs, y):
    """dL_k / d output, per sample and before the mean: sigmoid(o) - t or o - t."""
    r = outputs - y
    r[:, 0] = torch.sigmoid(outputs[:, 0]) - y[:, 0]
    return torch.nan_to_num(r)


def hand_forward(module, X, a=None, b=None):
    """The representation and the three outputs, with the trunk's (a, b) replaced if given."""
    a0, b0, c, d = parameters_of(module)
    a = a0 if a is None else a
    b = b0 if b is None else b
    h = torch.tanh(X @ a + b)
    return h, h[:, None] * c + d


def hand_main_loss(module, X, y, a=None, b=None):
    """The main task's log-loss, with the trunk's (a, b) replaced if given."""
    _, outputs = hand_forward(module, X, a, b)
    return F.binary_cross_entropy_with_logits(outputs[:, 0], y[:, 0])


def hand_shared_gradients(module, X, y):
    """g_k = dL_k / d(a, b), shape (3, 3): columns a_1, a_2, b."""
    h, outputs = hand_forward(module, X)
    _, _, c, _ = parameters_of(module)
    labeled = (~torch.isnan(y)).sum(0).clamp(min=1)
    r = residuals(outputs, y) * c / labeled  # dL_k / dh_i
    dz = r * (1 - h[:, None] ** 2)
    return torch.cat([dz.T @ X, dz.sum(0)[:, None]], dim=1)


def hand_representation_gradients(module, X, y):
    """dL_k / dh, shape (3, n_samples)."""
    _, outputs = hand_forward(module, X)
    _, _, c, _ = parameters_of(module)
    labeled = (~torch.isnan(y)).sum(0).clamp(min=1)
    return (residuals(outputs, y) * c / labeled).T
