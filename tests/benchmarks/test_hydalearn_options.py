"""HydaLearn configurations of the benchmarks' labels (``benchmarks/_hydalearn_options.py``).

The options that lost on the grid live there as subclasses of the package's
parts; these tests check them by hand on the tiny network and on fake gains.
"""

import ast
import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from weighting.tiny_network import (
    hand_shared_gradients,
    make_step,
    other_batch,
    started,
    tiny_problem,
)

from hydasklearn.weighting import (
    EvidenceRule,
    ExactGain,
    FirstOrderGain,
    HydaLearn,
    ProportionalRule,
    RepresentationGain,
)

OPTIONS = Path(__file__).resolve().parents[2] / "benchmarks" / "_hydalearn_options.py"


@pytest.fixture(scope="module")
def options():
    spec = importlib.util.spec_from_file_location("benchmarks_hydalearn_options", OPTIONS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_package_defaults_and_the_paper_need_no_benchmark_part(options):
    assert repr(options.hydalearn_from_options(**options.PACKAGE_DEFAULT)) == repr(HydaLearn())
    paper = options.hydalearn_from_options(gain_data="batch", rule="proportional",
                                           unit_length=False, smoothing=0.0, gain_every=1)
    assert repr(paper) == repr(HydaLearn.paper_rule())


@pytest.mark.parametrize("label, gain, rule", [
    ({"approximation": "exact"}, ExactGain(data="heldout"), EvidenceRule()),
    ({"approximation": "representation", "unit_length": False},
     RepresentationGain(per_unit_length=False), EvidenceRule()),
    ({"gain_data": "batch", "warm_up": 0}, FirstOrderGain(reference="batch"),
     EvidenceRule(warm_up=0)),
    ({"rule": "proportional", "smoothing": 0.9}, FirstOrderGain(),
     ProportionalRule(smoothing=0.9)),
])
def test_options_the_package_has_become_its_parts(options, label, gain, rule):
    strategy = options.hydalearn_from_options(**label)
    assert (repr(strategy.gain), repr(strategy.rule)) == (repr(gain), repr(rule))


@pytest.mark.parametrize("label, gain, rule", [
    ({"gain_data": "crossfit"}, "ReferenceGain", "EvidenceRule"),
    ({"approximation": "last_layer"}, "ReferenceGain", "EvidenceRule"),
    ({"gain_data": "running"}, "ReferenceGain", "EvidenceRule"),
    ({"gain_data": "heldout"}, "ReferenceGain", "EvidenceRule"),
    ({"step_size": 0.1}, "ReferenceGain", "EvidenceRule"),
    ({"approximation": "representation", "step_size": 0.1}, "ScaledRepresentationGain",
     "EvidenceRule"),
    ({"hysteresis": False}, "FirstOrderGain", "GridEvidenceRule"),
    ({"auxiliary_weight": 2.0}, "FirstOrderGain", "GridEvidenceRule"),
    ({"keep_auxiliary_share": False}, "FirstOrderGain", "GridEvidenceRule"),
    ({"gain_ratio": 0.2}, "FirstOrderGain", "GridEvidenceRule"),
    ({"main_evidence": None}, "FirstOrderGain", "GridEvidenceRule"),
    ({"normalization": "max"}, "FirstOrderGain", "MainWeightBounds"),
    ({"min_main_weight": 1.0}, "FirstOrderGain", "MainWeightBounds"),
])
def test_options_that_lost_become_benchmark_parts_that_start(options, label, gain, rule):
    strategy = started(options.hydalearn_from_options(**label))
    assert (type(strategy.gain).__name__, type(strategy.rule).__name__) == (gain, rule)
    module, X, y = tiny_problem()
    decision = strategy.weigh(make_step(module, X, y, sample_batch=other_batch))
    if decision.weights is not None:
        assert torch.all(torch.isfinite(decision.weights))


@pytest.mark.parametrize("label, error, match", [
    ({"gain_ratio": 0.2, "unknown": 1}, TypeError, "unknown"),
    ({"approximation": "exact", "gain_data": "previous"}, ValueError, "'batch' or 'heldout'"),
    ({"approximation": "representation", "gain_data": "crossfit"}, ValueError,
     "gain_data='batch'"),
    ({"rule": "evidence", "smoothing": 0.0}, ValueError, "smoothing > 0"),
    ({"approximation": "second_order"}, ValueError, "approximation"),
    ({"rule": "softmax"}, ValueError, "rule"),
])
def test_options_that_cannot_work_raise(options, label, error, match):
    with pytest.raises(error, match=match):
        options.hydalearn_from_options(**label)


def test_bounds_are_checked_at_start(options):
    strategy = options.hydalearn_from_options(min_main_weight=2.0, max_main_weight=1.0)
    with pytest.raises(ValueError, match="max_main_weight"):
        started(strategy)


def _literal(value):
    """A label's value: a Python literal, else the word itself ("last_layer", "max")."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def test_every_label_of_the_grids_results_resolves(options):
    grid = OPTIONS.parent / "results" / "grid.csv"
    if not grid.exists():
        pytest.skip("no grid results")
    with grid.open() as lines:
        labels = {row["variant"] for row in csv.DictReader(lines)}
    for label in sorted(name for name in labels if name.startswith("hydalearn:")):
        pairs = dict(item.split("=") for item in label.split(":", 1)[1].split(","))
        values = {key: _literal(value) for key, value in pairs.items()}
        started(options.hydalearn_from_options(**values))


# ------------------------------------------------------------------ gains against other references
def test_running_reference_is_a_moving_average_of_earlier_main_gradients(options):
    module, X, y = tiny_problem(n_samples=48)
    gain = options.ReferenceGain(reference="running", per_unit_length=False,
                                 reference_momentum=0.5, step_size=1.0).start()
    batches = [(X[i:i + 16], y[i:i + 16]) for i in (0, 16, 32)]
    mains = [hand_shared_gradients(module, *b)[0] for b in batches]
    for batch in batches[:2]:
        gain.measure(make_step(module, *batch))
    gains = gain.measure(make_step(module, *batches[2]))
    torch.testing.assert_close(gains, hand_shared_gradients(module, *batches[2])
                               @ (0.5 * mains[0] + 0.5 * mains[1]))


@pytest.mark.parametrize("layers", ["all", "last"])
def test_crossfit_gains_pair_the_halves_of_the_batch(options, layers):
    module, X, y = tiny_problem(n_samples=16)
    gain = options.ReferenceGain(reference="crossfit", per_unit_length=False, layers=layers,
                                 step_size=0.1).start()
    first, second = make_step(module, X, y).gradients_through_representation(layers, True)
    torch.testing.assert_close(gain.measure(make_step(module, X, y)),
                               options.crossfit_gains(first, second, step_size=0.1))


def test_heldout_first_order_gains_use_the_main_gradient_of_another_batch(options):
    module, X, y = tiny_problem(n_samples=16)
    gain = options.ReferenceGain(reference="heldout", per_unit_length=False,
                                 step_size=0.01).start()
    gains = gain.measure(make_step(module, X, y, sample_batch=other_batch))
    _, X_out, y_out = tiny_problem(seed=1, n_samples=16)
    torch.testing.assert_close(gains, 0.01 * hand_shared_gradients(module, X, y)
                               @ hand_shared_gradients(module, X_out, y_out)[0])


def test_last_layer_previous_gains_use_the_last_layers_gradients(options):
    torch.manual_seed(0)
    from hydasklearn._model.network import SharedTrunkNetwork

    module = SharedTrunkNetwork(3, [1, 1, 1], hidden_layer_sizes=(4, 5)).double()
    X = torch.randn(24, 3, dtype=torch.float64)
    y = torch.randn(24, 3, dtype=torch.float64)
    y[:, 0] = (y[:, 0] > 0).double()
    gain = options.ReferenceGain(per_unit_length=False, layers="last").start()
    steps = [make_step(module, X[:12], y[:12]), make_step(module, X[12:], y[12:])]
    gain.measure(steps[0])
    gains = gain.measure(steps[1])
    last = [step.shared_gradients[:, step.last_shared_layer_slice] for step in steps]
    torch.testing.assert_close(gains, 0.1 * last[1] @ last[0][0])


# ------------------------------------------------------------- rules with the options that lost
def test_an_auxiliary_weight_above_one_weighs_every_task_on_more(options):
    rule = options.GridEvidenceRule(warm_up=0, auxiliary_weight=2.0).start()
    np.testing.assert_allclose(rule.weigh([1.0, 0.5, -1.0]), [0.6, 1.2, 1.2])


def test_without_the_hysteresis_a_task_needs_evidence_to_be_on(options):
    rule = options.GridEvidenceRule(warm_up=0, hysteresis=False).start()
    np.testing.assert_allclose(rule.weigh([1.0, 0.5, -1.0]), [3.0, 0.0, 0.0])


def test_starting_off_keeps_only_tasks_with_evidence_of_help_and_then_latches(options):
    started_on, started_off = (options.GridEvidenceRule(warm_up=0, smoothing=0.9,
                                                        start_on=start_on).start()
                               for start_on in (True, False))
    for step in range(50):  # the first task clearly helps; the second has no evidence
        gains = np.array([1.0, 0.5, 0.0]) + np.array([0.0, 0.1, 0.1]) * (-1) ** step
        on, off = started_on.weigh(gains), started_off.weigh(gains)
    np.testing.assert_allclose(on, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(off, [1.0, 2.0, 0.0])
    for step in range(50):  # the first task's evidence fades: once on, it stays on
        off = started_off.weigh(np.array([1.0, 0.02 + 0.1 * (-1) ** step, 0.0]))
    assert off[1] > 0


@pytest.mark.parametrize("keep_share, expected", [(True, [1.0, 2.8, 0.2, 0.0]),
                                                  (False, np.array([1.0, 1.0, 0.2, 0.0]) / 0.55)])
def test_a_task_with_no_evidence_either_way_keeps_the_unproven_weight(options, keep_share,
                                                                       expected):
    rule = options.GridEvidenceRule(warm_up=0, smoothing=0.9, unproven_weight=0.2,
                                    keep_auxiliary_share=keep_share).start()
    for step in range(50):  # helps clearly, no evidence, hurts clearly
        weights = rule.weigh(np.array([1.0, 0.5, 0.0, -0.5]) + 0.1 * (-1) ** step * np.ones(4))
    np.testing.assert_allclose(weights, expected)


def test_without_keeping_the_share_the_main_task_takes_the_weight_of_a_task_off(options):
    kept, split = (options.GridEvidenceRule(warm_up=0, keep_auxiliary_share=keep).start()
                   for keep in (True, False))
    for step in range(50):
        gains = np.array([1.0, 0.5, -1.0]) + np.array([0.0, 0.1, 0.1]) * (-1) ** step
        with_share, without = kept.weigh(gains), split.weigh(gains)
    np.testing.assert_allclose(with_share, [1.0, 2.0, 0.0])
    np.testing.assert_allclose(without, [1.5, 1.5, 0.0])


def test_without_the_hold_a_stalling_main_task_switches_tasks(options):
    held, free = (options.GridEvidenceRule(warm_up=0, main_evidence=evidence).start()
                  for evidence in (2.0, None))
    for step in range(100):
        gains = np.array([(-1.0) ** step, -1.0 + 0.1 * (-1) ** step])
        kept, dropped = held.weigh(gains), free.weigh(gains)
    assert (kept[1], dropped[1]) == (1.0, 0.0)


def test_gain_ratio_switches_off_a_task_that_helps_much_less_than_the_main_task(options):
    weak = [np.array([1.0, 0.05 + 0.02 * (-1) ** step]) for step in range(100)]
    alone = options.GridEvidenceRule(warm_up=0).start()
    relative = options.GridEvidenceRule(warm_up=0, gain_ratio=0.2).start()
    for gains in weak:
        kept, dropped = alone.weigh(gains), relative.weigh(gains)
    assert kept[1] > 0 and dropped[1] == 0


def test_smoothing_and_floor_shape_the_weights(options):
    rule = options.MainWeightBounds(ProportionalRule(smoothing=0.5), min_main_weight=1.0).start()
    np.testing.assert_allclose(rule.weigh([0.0, 2.0, 1.0]), [1.0, 4 / 3, 2 / 3])
    np.testing.assert_allclose(rule.weigh([4.0, 0.0, 1.0]), [1.5, 0.75, 0.75])  # avg [2, 1, 1]


def test_max_normalization_puts_the_largest_weight_at_one(options):
    rule = options.MainWeightBounds(ProportionalRule(), normalization="max").start()
    np.testing.assert_allclose(rule.weigh([1.0, 4.0, 2.0]), [0.25, 1.0, 0.5])
    np.testing.assert_allclose(rule.weigh([-1.0, 0.0, -2.0]), [1.0, 0.0, 0.0])


# ------------------------------------------------------------------ their arithmetic
def test_crossfit_gains_pair_each_half_with_the_other_halfs_main_gradient(options):
    a = torch.tensor([[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]])
    b = torch.tensor([[0.0, 2.0], [1.0, 1.0], [1.0, 0.0]])
    expected = 2 * torch.tensor([0.0 + 0.0, 2.0 + 1.0, 6.0 + 1.0])
    torch.testing.assert_close(options.crossfit_gains(a, b), expected)
    g = torch.tensor([[1.0, 2.0], [3.0, -1.0]])  # halves that agree: the batch gains
    torch.testing.assert_close(options.crossfit_gains(g / 2, g / 2, step_size=0.5),
                               0.5 * (g @ g[0]))


def test_crossfit_removes_the_self_gain_of_pure_noise(options):
    generator = torch.Generator().manual_seed(0)
    same, crossed = [], []
    for _ in range(400):
        a, b = torch.randn(2, 2, 50, generator=generator)
        same.append(float(((a + b) @ (a + b)[0])[0]))
        crossed.append(float(options.crossfit_gains(a, b)[0]))
    assert min(same) > 0
    assert abs(np.mean(crossed)) < 0.1 * np.mean(same)


def test_relative_gains_subtract_a_share_of_the_main_tasks_own_gain(options):
    np.testing.assert_allclose(options.relative_gains([2.0, 1.5, 0.2, float("nan")], 0.25),
                               [2.0, 1.0, -0.3, -0.5])


def test_main_weight_floor_and_ceiling_keep_the_total(options):
    bound = options.bound_main_weight
    weights = np.array([0.5, 2.0, 0.5])
    np.testing.assert_allclose(bound(weights, floor=1.0), [1.0, 1.6, 0.4])
    np.testing.assert_allclose(weights, [0.5, 2.0, 0.5])  # the input is left alone
    np.testing.assert_allclose(bound([2.5, 0.25, 0.25], ceiling=2.0), [2.0, 0.5, 0.5])
    np.testing.assert_allclose(bound([1.5, 1.0, 0.5], floor=1.0, ceiling=2.0), [1.5, 1.0, 0.5])
    # nothing to give weight to: all of it stays on the main task
    np.testing.assert_allclose(bound([3.0, 0.0, 0.0], ceiling=1.0), [3.0, 0.0, 0.0])
    np.testing.assert_allclose(bound([0.0, 1.0], floor=5.0), [1.0, 0.0])
