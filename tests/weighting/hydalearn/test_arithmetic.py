"""HydaLearn's arithmetic (``weighting/_hydalearn/_arithmetic.py``) on fake inputs, no network."""

import numpy as np
import pytest
import torch

from hydasklearn.weighting._hydalearn._arithmetic import (
    evidence_weights,
    gains_to_weights,
    moving_average_and_error,
    moving_moments,
    per_unit_length,
    reference_gains,
    smooth,
)


def test_weights_follow_the_gains_and_negative_gains_get_zero():
    weights = gains_to_weights([3.0, 1.0, -2.0, 2.0])
    assert weights[2] == 0
    assert float(weights.sum()) == pytest.approx(4.0)
    assert float(weights[0] / weights[1]) == pytest.approx(3.0)
    assert float(weights[3] / weights[1]) == pytest.approx(2.0)


@pytest.mark.parametrize("gains", [[-1.0, -2.0, 0.0], [0.0, 0.0, 0.0], [-1.0, float("nan"), 0.0]])
def test_no_positive_gain_puts_all_weight_on_the_main_task(gains):
    np.testing.assert_allclose(gains_to_weights(gains), [3.0, 0.0, 0.0])


def test_non_finite_gains_count_as_zero():
    weights = gains_to_weights(torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 1.0]))
    np.testing.assert_allclose(weights, [2.5, 0.0, 0.0, 0.0, 2.5])


def test_reference_gains_are_inner_products_with_the_reference():
    g = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [3.0, 0.0, -1.0]])
    reference = torch.tensor([1.0, -1.0, 2.0])
    torch.testing.assert_close(reference_gains(g, reference, step_size=0.1),
                               0.1 * torch.tensor([-1.0, 1.0, 1.0]))


def test_per_unit_length_divides_by_the_gradient_norm():
    g = torch.tensor([[3.0, 4.0], [0.0, 0.0], [0.0, 2.0]])
    torch.testing.assert_close(per_unit_length(torch.tensor([10.0, 1.0, -4.0]), g),
                               torch.tensor([2.0, 0.0, -2.0]))


def test_smoothing_is_an_exponential_moving_average():
    average = None
    for value in ([1.0, 0.0], [0.0, 1.0], [0.0, 1.0]):
        average = smooth(average, value, 0.5)
    np.testing.assert_allclose(average, [0.25, 0.75])
    np.testing.assert_allclose(smooth([5.0], [1.0], 0.0), [1.0])
    np.testing.assert_allclose(smooth(None, [float("nan"), 2.0], 0.9), [0.0, 2.0])


def test_evidence_weights_need_a_clear_average_to_switch_on_and_a_positive_one_to_stay():
    mean = np.array([0.3, 0.5, 0.1, -0.4, 0.1])
    error = np.full(5, 0.23)
    np.testing.assert_array_equal(evidence_weights(mean, error), [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(evidence_weights(mean, error, evidence=0.0), [1, 1, 1, 0, 1])
    # a task already on stays on while its average is positive
    previous = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(evidence_weights(mean, error, previous=previous),
                                  [1, 1, 1, 0, 0])
    # with a release of 2 standard errors (0.46) it stays on until its average is below -0.46
    np.testing.assert_array_equal(evidence_weights(mean, error, previous=previous, release=2.0),
                                  [1, 1, 1, 1, 0])
    np.testing.assert_array_equal(
        evidence_weights(mean - 0.6, error, previous=np.ones(5), release=2.0), [1, 1, 0, 0, 0])
    # an unknown error (one value so far) decides nothing: off stays off, on stays on
    unknown = np.full(5, np.inf)
    np.testing.assert_array_equal(evidence_weights(mean, unknown), [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        evidence_weights(mean, unknown, previous=np.ones(5), release=2.0), [1, 1, 1, 1, 1])
    # the main task always weighs 1, whatever its gain
    assert evidence_weights(-mean, error)[0] == 1.0


def test_moving_moments_give_the_unbiased_average_and_its_standard_error():
    momentum = 0.9
    values = np.random.RandomState(0).normal(size=(60, 2)) + [1.0, -2.0]
    moments = None
    for value in values:
        moments = moving_moments(moments, value, momentum)
    weights = momentum ** np.arange(len(values))[::-1]  # the newest value weighs most
    weights = weights / weights.sum()
    expected = weights @ values
    mean, error = moving_average_and_error(moments)
    np.testing.assert_allclose(mean, expected)
    # the reliability-weighted sample variance, times sum(w^2) for normalized weights w
    spread = weights @ (values - expected) ** 2 / (1 - np.sum(weights ** 2))
    np.testing.assert_allclose(error, np.sqrt(spread * np.sum(weights ** 2)))
    # after one value nothing is known about the spread; long runs tend to the EMA formula
    assert np.all(np.isinf(moving_average_and_error(moving_moments(None, [1.0], 0.9))[1]))
    constant = None
    for i in range(2000):  # 0, 2, 0, 2, ...: mean 1, variance 1
        constant = moving_moments(constant, [2.0 * (i % 2)], momentum)
    _, error = moving_average_and_error(constant)
    np.testing.assert_allclose(error, np.sqrt(1.0 * (1 - momentum) / (1 + momentum)), rtol=0.05)


def test_moving_moments_count_non_finite_values_as_zero():
    moments = moving_moments(None, [float("nan"), float("inf")], 0.5)
    moments = moving_moments(moments, [2.0, 2.0], 0.5)
    np.testing.assert_allclose(moving_average_and_error(moments)[0], [4 / 3, 4 / 3])
