"""fit as training: accepted inputs, randomness, warm start, early stopping, callbacks."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from skorch.callbacks import Callback

from _fitting import FAST, regression_data
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor


def test_fit_accepts_float32_and_reversed_views(mixed):
    X, y = mixed
    X32 = X.astype(np.float32)
    reversed_fit = HydaMultiTaskClassifier(**FAST).fit(X32[::-1], y[::-1])
    assert reversed_fit.predict(X32[::-1]).shape == (len(X),)


def test_column_vector_y_warns_and_equals_one_dimensional(mixed):
    X, y = mixed
    main = y[:, 0].astype(int)
    with pytest.warns(DataConversionWarning):
        column = HydaMultiTaskClassifier(**FAST).fit(X, main[:, None])
    flat = HydaMultiTaskClassifier(**FAST).fit(X, main)
    assert column.task_names_ == flat.task_names_ == ["main"]
    np.testing.assert_array_equal(column.predict_proba(X), flat.predict_proba(X))


def test_zero_weight_aux_tasks_equal_single_task_training(mixed):
    # Weight 0 on every auxiliary loss must give exactly the single-task model's
    # main-task predictions (the heads of the auxiliary tasks never touch the trunk).
    X, y = mixed
    single = HydaMultiTaskClassifier(**FAST).fit(X, y[:, 0].astype(int))
    zero = HydaMultiTaskClassifier(weighting=[1.0, 0.0, 0.0, 0.0], **FAST).fit(X, y)
    np.testing.assert_allclose(zero.predict_proba(X), single.predict_proba(X), atol=1e-5)


def test_random_state_reproduces_bit_for_bit_without_touching_global_rng(mixed):
    X, y = mixed
    params = {**FAST, "dropout": 0.2, "early_stopping": True}
    state = torch.random.get_rng_state()
    first = HydaMultiTaskClassifier(**params).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    second = HydaMultiTaskClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    np.testing.assert_array_equal(first.weight_history_, second.weight_history_)
    other = HydaMultiTaskClassifier(**{**params, "random_state": 1}).fit(X, y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_warm_start_continues_training(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(warm_start=True, **FAST).fit(X, y)
    first_proba = model.predict_proba(X)
    model.set_params(max_iter=3)
    model.fit(X, y)
    assert model.n_iter_ == FAST["max_iter"] + 3
    assert len(model.loss_curve_) == model.n_iter_
    assert model.weight_history_.shape[0] == model.n_iter_ * int(np.ceil(len(X) / 32))
    assert not np.array_equal(model.predict_proba(X), first_proba)
    cold = HydaMultiTaskClassifier(**FAST).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == FAST["max_iter"]


def test_warm_start_needs_the_same_tasks(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(warm_start=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True needs the same tasks"):
        model.fit(X, y[:, :2])


def test_early_stopping_stops_and_records_validation_loss():
    X, y = regression_data(n_samples=200)
    model = HydaMultiTaskRegressor(early_stopping=True, n_iter_no_change=2, tol=10.0,
                                   max_iter=50, hidden_layer_sizes=(16,), random_state=0)
    model.fit(X, y)
    # With a tolerance no epoch can beat, training stops after the patience runs out.
    assert model.n_iter_ == 3
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.validation_loss_curve_))


def test_max_iter_reached_warns_about_convergence(mixed):
    X, y = mixed
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)


class _EpochRecorder(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("seen_by_user_callback", len(net.history))


def test_user_skorch_callbacks_are_passed_through(mixed):
    X, y = mixed
    recorder = _EpochRecorder()
    model = HydaMultiTaskClassifier(callbacks=[("recorder", recorder)], **FAST).fit(X, y)
    assert model.net_.history[:, "seen_by_user_callback"] == list(range(1, FAST["max_iter"] + 1))
    assert model.callbacks[0][1] is recorder  # the parameter itself is left as given
    HydaMultiTaskClassifier(callbacks=[_EpochRecorder()], **FAST).fit(X, y)


def test_fit_emits_no_unexpected_warnings(mixed):
    X, y = mixed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        model = HydaMultiTaskClassifier(**FAST).fit(X, y)
        model.predict_tasks(X)
        model.score(X, y)

