"""HydaLearn's gain parts (``weighting/_hydalearn/_gains.py``) against hand computations."""

import inspect

import pytest
import torch
from weighting.tiny_network import (
    hand_main_loss,
    hand_representation_gradients,
    hand_shared_gradients,
    make_step,
    parameters_of,
    tiny_problem,
)

from hydasklearn.weighting import ExactGain, FirstOrderGain, RepresentationGain
from hydasklearn.weighting._hydalearn._arithmetic import per_unit_length

GAINS = [FirstOrderGain, ExactGain, RepresentationGain]


@pytest.mark.parametrize("gain", GAINS)
def test_a_gain_part_has_at_most_six_options_and_stores_them_as_given(gain):
    assert len(inspect.signature(gain).parameters) <= 6
    options = {name: p.default for name, p in inspect.signature(gain).parameters.items()}
    assert gain(**options).get_params() == options


def test_first_order_batch_gains_are_the_main_row_of_the_gramian():
    module, X, y = tiny_problem()
    g = hand_shared_gradients(module, X, y)
    gain = FirstOrderGain(reference="batch", per_unit_length=False).start()
    # the look-ahead step is the optimizer's learning rate
    torch.testing.assert_close(gain.measure(make_step(module, X, y, learning_rate=0.05)),
                               0.05 * (g @ g[0]))


def test_per_unit_length_divides_each_gain_by_its_gradients_length():
    module, X, y = tiny_problem()
    g = hand_shared_gradients(module, X, y)
    gain = FirstOrderGain(reference="batch", per_unit_length=True).start()
    torch.testing.assert_close(gain.measure(make_step(module, X, y)),
                               0.1 * (g @ g[0]) / torch.linalg.vector_norm(g, dim=1))


def test_previous_gains_use_the_last_batchs_main_gradient():
    module, X, y = tiny_problem(n_samples=32)
    gain = FirstOrderGain(reference="previous", per_unit_length=False).start()
    assert gain.reference_gradient_ is None
    first = hand_shared_gradients(module, X[:16], y[:16])
    second = hand_shared_gradients(module, X[16:], y[16:])
    # the first step has no previous batch: the batch's own main gradient
    torch.testing.assert_close(gain.measure(make_step(module, X[:16], y[:16])),
                               0.1 * first @ first[0])
    torch.testing.assert_close(gain.measure(make_step(module, X[16:], y[16:])),
                               0.1 * second @ first[0])
    torch.testing.assert_close(gain.reference_gradient_, second[0])
    gain.start()  # the next fit starts without a reference
    assert gain.reference_gradient_ is None


class FakeStep:
    """What a first-order gain reads of a step: the per-task trunk gradients, the rate."""

    def __init__(self, shared_gradients, learning_rate=1.0):
        self.shared_gradients = torch.as_tensor(shared_gradients, dtype=torch.float64)
        self.learning_rate = learning_rate


def test_a_non_finite_main_gradient_is_kept_as_zeros_for_the_next_step():
    gain = FirstOrderGain(per_unit_length=False).start()
    gain.measure(FakeStep([[float("nan"), 1.0], [1.0, 1.0]]))
    torch.testing.assert_close(gain.reference_gradient_, torch.tensor([0.0, 1.0],
                                                                      dtype=torch.float64))
    gains = gain.measure(FakeStep([[2.0, 3.0], [1.0, -1.0]], learning_rate=0.5))
    torch.testing.assert_close(gains, torch.tensor([1.5, -0.5], dtype=torch.float64))


def test_exact_gains_are_real_look_ahead_losses():
    module, X, y = tiny_problem()
    g = hand_shared_gradients(module, X, y)
    a, b, _, _ = parameters_of(module)
    eta = 0.5
    before = hand_main_loss(module, X, y)
    expected = torch.stack([
        before - hand_main_loss(module, X, y, a - eta * g[k, :2], b - eta * g[k, 2])
        for k in range(3)
    ])
    gains = ExactGain(data="batch", step_size=eta).start().measure(make_step(module, X, y))
    torch.testing.assert_close(gains, expected)


def test_exact_gains_leave_the_model_and_its_mode_untouched():
    module, X, y = tiny_problem()
    before = [p.detach().clone() for p in module.parameters()]
    ExactGain(data="batch", step_size=1.0).start().measure(make_step(module, X, y))
    assert module.training
    for saved, parameter in zip(before, module.parameters()):
        assert torch.equal(saved, parameter)


def test_exact_and_first_order_gains_agree_as_the_step_shrinks():
    module, X, y = tiny_problem()
    first_order = FirstOrderGain(reference="batch", per_unit_length=False).start()
    errors = []
    for eta in (1e-1, 1e-2, 1e-3, 1e-4):
        exact = ExactGain(data="batch").start().measure(make_step(module, X, y, eta))
        first = first_order.measure(make_step(module, X, y, eta))
        errors.append(float((exact - first).norm() / first.norm()))
    # The gap is second order in the step, so relative to the gains it shrinks like eta.
    assert all(later < 0.2 * earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[-1] < 1e-3


def test_heldout_exact_gains_measure_the_main_loss_on_another_batch():
    module, X, y = tiny_problem(n_samples=16)
    _, X_out, y_out = tiny_problem(seed=1, n_samples=16)
    drawn = []

    def sample_batch(size):
        drawn.append(size)
        return X_out, y_out, None  # no row weights

    eta = 1e-2
    step = make_step(module, X, y, sample_batch=sample_batch)
    gains = ExactGain(data="heldout", step_size=eta).start().measure(step)
    g = hand_shared_gradients(module, X, y)
    a, b, _, _ = parameters_of(module)
    expected = torch.stack([
        hand_main_loss(module, X_out, y_out)
        - hand_main_loss(module, X_out, y_out, a - eta * g[k, :2], b - eta * g[k, 2])
        for k in range(3)
    ])
    torch.testing.assert_close(gains, expected)
    assert drawn == [len(X)]  # one held-out batch of the same size, drawn once
    on_batch = ExactGain(data="batch", step_size=eta).start().measure(make_step(module, X, y))
    assert not torch.allclose(gains, on_batch)


@pytest.mark.parametrize("unit", [False, True])
def test_representation_gains_use_gradients_of_the_trunk_output(unit):
    module, X, y = tiny_problem()
    expected = hand_representation_gradients(module, X, y)
    gain = RepresentationGain(per_unit_length=unit).start()
    gains = gain.measure(make_step(module, X, y, learning_rate=0.1))
    raw = 0.1 * (expected @ expected[0])
    torch.testing.assert_close(gains, per_unit_length(raw, expected) if unit else raw)
    assert gain.reads_representation_only
    assert not FirstOrderGain.reads_representation_only and not ExactGain.reads_representation_only


@pytest.mark.parametrize("gain, match", [
    (FirstOrderGain(reference="heldout"), "reference"),
    (FirstOrderGain(per_unit_length="yes"), "per_unit_length"),
    (ExactGain(data="previous"), "data"),  # the exact gains need data to evaluate the loss on
    (ExactGain(step_size=0.0), "step_size"),
    (ExactGain(step_size=-1.0), "step_size"),
])
def test_bad_options_raise_a_clear_error_at_start(gain, match):
    with pytest.raises(ValueError, match=match):
        gain.start()


def test_the_representation_gain_has_no_choice_of_data():
    # it compares the same samples' gradients: a reference other than the batch cannot be written
    with pytest.raises(TypeError):
        RepresentationGain(reference="previous")
