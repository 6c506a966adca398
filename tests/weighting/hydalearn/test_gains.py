"""HydaLearn's gain parts (``weighting/_hydalearn/_gains.py``) against hand computations."""

import inspect

import numpy as np
import pytest
import torch
from _fitting import fit_quietly
from _trunks import FrozenTopTrunk, NoLinearTrunk, ResidualTrunk
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from weighting.tiny_network import (
    hand_main_loss,
    hand_representation_gradients,
    hand_shared_gradients,
    make_step,
    parameters_of,
    tiny_problem,
)

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._engine.step import TrainingStep
from hydasklearn._engine.written_backward import record_forward
from hydasklearn._model.losses import MultiTaskLoss
from hydasklearn._model.network import SharedTrunkNetwork, last_linear_layer
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import (
    ExactGain,
    FirstOrderGain,
    HydaLearn,
    LastLayerGain,
    RepresentationGain,
)
from hydasklearn.weighting._hydalearn._arithmetic import per_unit_length

GAINS = [FirstOrderGain, ExactGain, RepresentationGain, LastLayerGain]


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
    step = make_step(module, X, y, learning_rate=0.1)
    gains = gain.measure(step)
    raw = 0.1 * (expected @ expected[0])
    torch.testing.assert_close(gains, per_unit_length(raw, expected) if unit else raw)
    assert gain.reads_representation(step)
    assert not FirstOrderGain().reads_representation(step)
    assert not ExactGain().reads_representation(step)


@pytest.mark.parametrize("gain, match", [
    (FirstOrderGain(reference="heldout"), "reference"),
    (FirstOrderGain(per_unit_length="yes"), "per_unit_length"),
    (ExactGain(data="previous"), "data"),  # the exact gains need data to evaluate the loss on
    (ExactGain(step_size=0.0), "step_size"),
    (ExactGain(step_size=-1.0), "step_size"),
    (LastLayerGain(reference="heldout"), "reference"),
])
def test_bad_options_raise_a_clear_error_at_start(gain, match):
    with pytest.raises(ValueError, match=match):
        gain.start()


def test_the_representation_gain_has_no_choice_of_data():
    # it compares the same samples' gradients: a reference other than the batch cannot be written
    with pytest.raises(TypeError):
        RepresentationGain(reference="previous")


# ------------------------------------------------------------------ LastLayerGain
def recorded_step(module, X, y, learning_rate=0.1, kinds=("binary", "multiclass", "regression")):
    """A step whose losses come from the written-out forward record, as in training."""
    criterion = MultiTaskLoss(list(kinds))
    representation, outputs, record = record_forward(module, X)
    return TrainingStep(module, criterion, X, y, representation, criterion.task_losses(outputs, y),
                        learning_rate, record=record)


def deeper_problem(hidden_layer_sizes=(6, 5), seed=0, n_samples=20, dropout=0.0, trunk=None):
    """A float64 network (binary, 3-class and regression heads) and a batch, labels missing."""
    module = SharedTrunkNetwork(4, [1, 3, 1], hidden_layer_sizes=hidden_layer_sizes,
                                activation="relu", dropout=dropout, seed=0, trunk=trunk).double()
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, 4, generator=generator, dtype=torch.float64)
    y = torch.stack([(X[:, 0] > 0).double(),
                     torch.randint(0, 3, (n_samples,), generator=generator).double(),
                     X[:, 0] - X[:, 1]], dim=1)
    y[::4, 2] = float("nan")
    return module, X, y


def last_layer_gradients(step):
    """Every task's autograd gradient of the trunk's last linear layer (weight, then bias)."""
    linear = last_linear_layer(step.module.trunk)
    rows = [torch.cat([g.reshape(-1) for g in torch.autograd.grad(
        loss, [linear.weight, linear.bias], retain_graph=True)]) for loss in step.losses]
    return torch.stack(rows)


def test_last_layer_gains_of_a_one_layer_trunk_are_the_hand_gains():
    # the tiny network's trunk is one linear layer: its last layer is the whole trunk
    module, X, y = tiny_problem()
    g = hand_shared_gradients(module, X, y)
    gains = LastLayerGain(reference="batch").start().measure(
        make_step(module, X, y, learning_rate=0.05))
    torch.testing.assert_close(gains, 0.05 * (g @ g[0]))
    assert not gains.requires_grad


@pytest.mark.parametrize("recorded", [True, False])
def test_last_layer_gains_of_a_deeper_trunk_leave_the_layers_before_out(recorded):
    module, X, y = deeper_problem()
    step = recorded_step(module, X, y) if recorded else make_step(
        module, X, y, kinds=["binary", "multiclass", "regression"])
    assert (step.record is not None) == recorded
    rows = last_layer_gradients(step)
    gains = LastLayerGain(reference="batch").start().measure(step)
    torch.testing.assert_close(gains, 0.1 * (rows @ rows[0]))
    whole_trunk = FirstOrderGain(reference="batch", per_unit_length=False).start().measure(step)
    assert not torch.allclose(gains, whole_trunk)


@pytest.mark.parametrize("recorded", [True, False])
def test_previous_last_layer_gains_use_the_last_measurements_main_gradient(recorded):
    module, X, y = deeper_problem(n_samples=40)
    build = recorded_step if recorded else (lambda *batch: make_step(
        *batch, kinds=["binary", "multiclass", "regression"]))
    gain = LastLayerGain(reference="previous").start()
    assert gain.reference_gradient_ is None
    first_step, second_step = build(module, X[:20], y[:20]), build(module, X[20:], y[20:])
    first, second = last_layer_gradients(first_step), last_layer_gradients(second_step)
    # the first measurement has no previous one: the batch's own main gradient
    torch.testing.assert_close(gain.measure(first_step), 0.1 * (first @ first[0]))
    torch.testing.assert_close(gain.reference_gradient_, first[0])
    torch.testing.assert_close(gain.measure(second_step), 0.1 * (second @ first[0]))
    torch.testing.assert_close(gain.reference_gradient_, second[0])
    gain.start()  # the next fit starts without a reference
    assert gain.reference_gradient_ is None


@pytest.mark.parametrize("reference", ["previous", "batch"])
@pytest.mark.parametrize("trunk", [None, NoLinearTrunk])
def test_one_layer_last_layer_gains_are_the_first_order_gains_not_per_unit_length(reference,
                                                                                   trunk):
    # one hidden layer, or a trunk with no linear layer (counted as one layer)
    module, X, y = deeper_problem(hidden_layer_sizes=(6,), n_samples=60, trunk=trunk)
    last_layer = LastLayerGain(reference=reference).start()
    first_order = FirstOrderGain(reference=reference, per_unit_length=False).start()
    for batch in (slice(0, 20), slice(20, 40), slice(40, 60)):
        step = recorded_step(module, X[batch], y[batch])
        torch.testing.assert_close(last_layer.measure(step), first_order.measure(step))
    if reference == "previous":
        torch.testing.assert_close(last_layer.reference_gradient_, first_order.reference_gradient_)


class FakeLastLayer:
    """What LastLayerGain reads of ``step.last_layer``, from given per-task gradients."""

    def __init__(self, rows):
        self.rows = torch.as_tensor(rows, dtype=torch.float64)

    def products(self, direction):
        return self.rows @ direction

    def main_gradient(self):
        return self.rows[0]


class FakeLastLayerStep:
    def __init__(self, rows, learning_rate=1.0):
        self.last_layer = FakeLastLayer(rows)
        self.learning_rate = learning_rate


def test_the_last_layer_reference_is_a_finite_copy():
    gain = LastLayerGain(reference="previous").start()
    step = FakeLastLayerStep([[float("nan"), 1.0], [1.0, 1.0]])
    gain.measure(step)
    torch.testing.assert_close(gain.reference_gradient_,
                               torch.tensor([0.0, 1.0], dtype=torch.float64))
    step.last_layer.rows.fill_(7.0)  # the step's tensors change: the reference does not
    torch.testing.assert_close(gain.reference_gradient_,
                               torch.tensor([0.0, 1.0], dtype=torch.float64))
    gains = gain.measure(FakeLastLayerStep([[2.0, 3.0], [1.0, -1.0]], learning_rate=0.5))
    torch.testing.assert_close(gains, torch.tensor([1.5, -0.5], dtype=torch.float64))


def test_the_last_layer_reference_does_not_alias_the_steps_gradients():
    module, X, y = deeper_problem()
    step = make_step(module, X, y, kinds=["binary", "multiclass", "regression"])  # autograd rows
    gain = LastLayerGain(reference="previous").start()
    gain.measure(step)
    rows = step.gradients_through_representation("last")
    kept = gain.reference_gradient_.clone()
    torch.testing.assert_close(kept, rows[0])
    assert (gain.reference_gradient_.untyped_storage().data_ptr()
            != rows.untyped_storage().data_ptr())
    rows.zero_()
    torch.testing.assert_close(gain.reference_gradient_, kept)


def test_last_layer_gains_under_active_dropout():
    module, X, y = deeper_problem(dropout=0.3)
    step = make_step(module, X, y, kinds=["binary", "multiclass", "regression"])
    rows = last_layer_gradients(step)  # on the same dropout masks as the step's losses
    torch.testing.assert_close(LastLayerGain(reference="batch").start().measure(step),
                               0.1 * (rows @ rows[0]))


def test_last_layer_gains_of_a_users_trunk():
    module, X, y = deeper_problem(trunk=ResidualTrunk)
    step = make_step(module, X, y, kinds=["binary", "multiclass", "regression"])
    rows = last_layer_gradients(step)
    torch.testing.assert_close(LastLayerGain(reference="batch").start().measure(step),
                               0.1 * (rows @ rows[0]))


def related_tasks(n_samples=160):
    X, y, _ = make_auxiliary_tasks(n_samples=n_samples, n_features=5, n_informative=3,
                                   aux_relations=("related", "noise"), random_state=0)
    return X, y


@pytest.mark.parametrize("options", [{"dropout": 0.3}, {"trunk": ResidualTrunk},
                                     {"trunk": NoLinearTrunk}])
def test_the_default_fits_with_dropout_and_users_trunks(options):
    X, y = related_tasks()
    model = fit_quietly(HydaMultiTaskClassifier(max_iter=3, batch_size=40, random_state=0,
                                                **options), X, y)
    assert type(model.weighting_.gain_) is LastLayerGain
    gains = model.gain_history_
    every = model.weighting_.gain_every
    assert np.isfinite(gains).all() and (gains[::every] != 0).all(axis=1).any()
    np.testing.assert_array_equal(gains[1::every], gains[::every][:len(gains[1::every])])
    assert np.isfinite(model.predict_proba(X)).all()


def test_the_default_fits_a_trunk_whose_last_linear_layer_is_frozen():
    # no linear layer on top learns: the gains are those of the trunk's trained parameters
    X, y = related_tasks()
    model = fit_quietly(HydaMultiTaskClassifier(trunk=FrozenTopTrunk, max_iter=2, batch_size=40,
                                                random_state=0), X, y)
    assert np.isfinite(model.gain_history_).all()


def test_the_default_is_reproducible_bit_for_bit():
    X, y = related_tasks()

    def fit():
        return fit_quietly(HydaMultiTaskClassifier(hidden_layer_sizes=(8, 6), max_iter=3,
                                                   batch_size=40, random_state=3), X, y)

    first, second = fit(), fit()
    assert type(first.weighting_.gain_) is LastLayerGain
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    np.testing.assert_array_equal(first.weight_history_, second.weight_history_)
    np.testing.assert_array_equal(first.gain_history_, second.gain_history_)


def test_the_last_layer_reference_is_a_nested_parameter_of_the_estimator():
    model = HydaMultiTaskClassifier(weighting=HydaLearn(), hidden_layer_sizes=(4,), max_iter=2,
                                    batch_size=40, random_state=0)
    assert model.get_params()["weighting__gain__reference"] == "previous"
    copy = clone(model.set_params(weighting__gain__reference="batch"))
    assert copy.weighting.gain is not model.weighting.gain
    assert copy.get_params()["weighting__gain__reference"] == "batch"
    assert HydaLearn().gain.reference == "previous"  # the shared default part is not changed
    X, y = related_tasks()
    search = GridSearchCV(model, {"weighting__gain__reference": ["previous", "batch"]},
                          cv=2).fit(X, y)
    assert sorted(search.cv_results_["param_weighting__gain__reference"]) == ["batch",
                                                                             "previous"]
    fitted = search.best_estimator_.weighting_.gain_
    assert type(fitted) is LastLayerGain
    assert fitted.reference == search.best_params_["weighting__gain__reference"]
    assert model.weighting.gain.reference == "batch"  # the searched estimator is left alone


def test_last_layer_gains_from_the_representation_are_the_measured_ones():
    """Inside the update's pass the gains come from the caught gradients at the trunk's
    output; they are those the part measures on its own."""
    module, X, y = tiny_problem()
    measured = LastLayerGain(reference="batch").start().measure(
        make_step(module, X, y, recorded=True))
    step = make_step(module, X, y, recorded=True)
    caught = torch.stack([torch.autograd.grad(loss, step.representation, retain_graph=True)[0]
                          .reshape(-1) for loss in step.losses])
    gain = LastLayerGain(reference="batch").start()
    assert gain.reads_representation(step)
    torch.testing.assert_close(gain.gains_from_representation(caught, step), measured)


def test_last_layer_gains_need_a_record_to_read_the_representation():
    module, X, y = tiny_problem()
    assert not LastLayerGain().reads_representation(make_step(module, X, y))
