"""HydaLearn's rule parts (``weighting/_hydalearn/_rules.py``) on fake gains, no network."""

import inspect

import numpy as np
import pytest
from sklearn.base import clone

from hydasklearn.weighting import EvidenceRule, ProportionalRule


def oscillating(center, spread):
    """Gains that alternate about ``center`` by ``spread``, step by step."""
    center, spread = np.asarray(center, float), np.asarray(spread, float)
    return lambda step: center + spread * (-1) ** step


@pytest.mark.parametrize("rule", [ProportionalRule, EvidenceRule])
def test_a_rule_has_at_most_six_options_and_stores_them_as_given(rule):
    assert len(inspect.signature(rule).parameters) <= 6
    options = {name: p.default for name, p in inspect.signature(rule).parameters.items()}
    assert rule(**options).get_params() == options


def test_the_proportional_rule_weighs_in_proportion_to_the_positive_gains():
    rule = ProportionalRule().start()
    np.testing.assert_allclose(rule.weigh([1.0, 0.5, -1.0]), [2.0, 1.0, 0.0])
    # no memory of the last measurement without smoothing
    np.testing.assert_allclose(rule.weigh([1.0, 2.0, 0.0]), [1.0, 2.0, 0.0])
    np.testing.assert_allclose(rule.smoothed_gains_, [1.0, 2.0, 0.0])


@pytest.mark.parametrize("gain_every, momentum", [(1, 0.5), (2, 0.25)])
def test_proportional_smoothing_keeps_its_time_constant_in_steps(gain_every, momentum):
    rule = ProportionalRule(smoothing=0.5).start(gain_every)
    rule.weigh([1.0, 0.0, 1.0])
    weights = rule.weigh([0.0, 3.0, 1.0])
    average = momentum * np.array([1.0, 0.0, 1.0]) + (1 - momentum) * np.array([0.0, 3.0, 1.0])
    np.testing.assert_allclose(rule.smoothed_gains_, average)
    np.testing.assert_allclose(weights, 3 * average / average.sum())


def test_every_auxiliary_task_starts_on_and_a_clearly_harmful_one_is_switched_off():
    rule = EvidenceRule(warm_up=0).start()
    gains = oscillating([1.0, 0.5, -1.0], [0.0, 0.1, 0.1])
    # at the first measurement the spread is not known: every task stays on (equal weighting)
    np.testing.assert_allclose(rule.weigh(gains(0)), [1.0, 1.0, 1.0])
    off_after = None
    for step in range(1, 50):
        weights = rule.weigh(gains(step))
        assert weights[1] > 0  # the helpful task stays on
        if off_after is None and weights[2] == 0:
            off_after = step
    assert off_after is not None and off_after < 5  # clear harm is found within a few steps
    # its weight goes to the task with evidence of help: the main task keeps its share
    np.testing.assert_allclose(weights, [1.0, 2.0, 0.0])
    np.testing.assert_array_equal(rule.gates_, [1.0, 1.0, 0.0])


def test_a_task_whose_gain_is_zero_on_average_stays_on():
    rule = EvidenceRule(warm_up=0).start()
    for step in range(300):
        weights = rule.weigh(oscillating([1.0, 0.0, 0.0], [0.0, 0.1, 0.2])(step))
        assert weights[1] > 0 and weights[2] > 0


def test_without_a_task_that_helps_the_weight_of_a_task_off_goes_to_all():
    """Main, uncertain (gain 0 on average), harmful: [1.5, 1.5, 0]."""
    rule = EvidenceRule(warm_up=0).start()
    for step in range(50):
        weights = rule.weigh(oscillating([1.0, 0.0, -1.0], [0.0, 1.0, 0.1])(step))
    np.testing.assert_allclose(weights, [1.5, 1.5, 0.0])


def test_a_task_switched_off_comes_back_with_evidence_of_help():
    rule = EvidenceRule(warm_up=0, smoothing=0.9).start()
    for step in range(60):
        weights = rule.weigh(oscillating([1.0, -1.0], [0.0, 0.1])(step))
    assert weights[1] == 0
    for step in range(200):
        weights = rule.weigh(oscillating([1.0, 1.0], [0.0, 0.1])(step))
    assert weights[1] == 1.0


def test_no_task_is_switched_during_the_warm_up_epochs():
    """Clear harm switches nothing in the first ``warm_up`` epochs, then at once."""
    harmful = oscillating([1.0, -1.0], [0.0, 0.1])
    rule = EvidenceRule(warm_up=2).start()
    for epoch in range(2):
        for step in range(30):
            assert rule.weigh(harmful(step))[1] == 1.0
        rule.end_epoch()
    assert rule.n_epochs_ == 2
    # the averages filled during the warm-up: the evidence counts on the first step after it
    assert rule.weigh(harmful(0))[1] == 0.0


def test_no_task_is_switched_while_the_main_task_stalls():
    """A main-task gain about 0 (as when it overfits) holds the gates; a clear one frees them."""
    stalling = oscillating([0.0, -1.0], [1.0, 0.1])  # the auxiliary task clearly harmful
    rule = EvidenceRule(warm_up=0).start()
    for step in range(100):
        assert rule.weigh(stalling(step))[1] == 1.0  # held on: equal weighting
    for step in range(100):  # the main task learns again: the evidence of harm counts
        weights = rule.weigh(oscillating([1.0, -1.0], [0.0, 0.1])(step))
    assert weights[1] == 0.0
    for step in range(300):  # the main task stalls again; then the task turns helpful
        gains = stalling(step) if step < 200 else np.array([(-1.0) ** step, 1.0])
        assert rule.weigh(gains)[1] == 0.0  # a task that is off stays off while it stalls


def test_a_stricter_release_keeps_a_harmful_task_on_longer():
    harmful = oscillating([1.0, -0.3], [0.0, -0.3])
    switched_off = {}
    for release in (0.0, 3.0):
        rule = EvidenceRule(warm_up=0, release=release, smoothing=0.9).start()
        switched_off[release] = next(step for step in range(1000)
                                     if rule.weigh(harmful(step))[1] == 0)
    assert switched_off[0.0] < switched_off[3.0]


def test_starting_resets_the_state_and_clones_share_none():
    rule = EvidenceRule(warm_up=0).start()
    for step in range(20):
        rule.weigh(oscillating([1.0, -1.0], [0.0, 0.1])(step))
    rule.end_epoch()
    copy = clone(rule)
    assert not hasattr(copy, "gates_")
    rule.start()
    assert (rule.moments_, rule.gates_, rule.n_epochs_) == (None, None, 0)


@pytest.mark.parametrize("rule, match", [
    (EvidenceRule(smoothing=0.0), "smoothing"),  # the evidence needs moving averages
    (EvidenceRule(smoothing=1.0), "smoothing"),
    (EvidenceRule(main_evidence=None), "main_evidence"),
    (EvidenceRule(warm_up=-1), "warm_up"),
    (EvidenceRule(release=-1.0), "release"),
    (ProportionalRule(smoothing=1.0), "smoothing"),
])
def test_bad_options_raise_a_clear_error_at_start(rule, match):
    with pytest.raises(ValueError, match=match):
        rule.start()
