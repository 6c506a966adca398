"""Misuse and hostile callers: half-fitted states, threads, global torch state, refused options."""

import threading

import numpy as np
import pytest
import torch

from _fitting import auxiliary_data, fitted_attributes
from hydasklearn import HydaMultiTaskClassifier

pytestmark = pytest.mark.usefixtures("quiet")

FAST = dict(hidden_layer_sizes=(16,), max_iter=3, batch_size=50, random_state=0)


@pytest.fixture
def data():
    return auxiliary_data()


def _run_in_threads(function, n_threads):
    """Call ``function(k)`` in threads ``k = 0 .. n_threads - 1`` at once; wait for all."""
    threads = [threading.Thread(target=function, args=(k,)) for k in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_failed_fit_leaves_no_fitted_attribute(data):
    X, y = data
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:-1])
    assert fitted_attributes(model) == set()


def test_a_refit_replaces_every_fitted_attribute(data):
    X, y = data
    model = HydaMultiTaskClassifier(early_stopping=True, **FAST).fit(X, y)
    assert hasattr(model, "validation_loss_curve_")
    model.set_params(early_stopping=False).fit(X, y)
    assert not hasattr(model, "validation_loss_curve_")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_an_unavailable_device_is_refused_before_anything_is_fitted(data):
    X, y = data
    model = HydaMultiTaskClassifier(device="cuda", **FAST)
    with pytest.raises(ValueError, match="no cuda device"):
        model.fit(X, y)
    assert fitted_attributes(model) == set()


def test_an_empty_trunk_is_refused_with_a_clear_error(data):
    X, y = data
    with pytest.raises(ValueError, match="at least one layer"):
        HydaMultiTaskClassifier(**{**FAST, "hidden_layer_sizes": ()}).fit(X, y)


def test_features_beyond_float32_are_refused(data):
    X, y = data
    X = X.copy()
    X[0, 0] = 1e39  # finite in float64, infinite in float32
    with pytest.raises(ValueError, match="float32"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)


def test_warm_start_applies_what_it_can_and_refuses_the_rest(data):
    X, y = data
    model = HydaMultiTaskClassifier(warm_start=True, **FAST).fit(X, y)
    model.set_params(learning_rate_init=0.05, batch_size=25, max_iter=1).fit(X, y)
    assert model.net_.optimizer_.param_groups[0]["lr"] == 0.05
    assert model.weight_history_.shape[0] == 3 * 6 + 12  # 6 then 12 batches per epoch
    for change in ({"hidden_layer_sizes": (8,)}, {"weighting": "equal"}, {"dropout": 0.5}):
        with pytest.raises(ValueError, match=f"cannot apply changed parameters.*{list(change)[0]}"):
            model.set_params(**change).fit(X, y)
        model.set_params(**{name: FAST.get(name, HydaMultiTaskClassifier().get_params()[name])
                            for name in change})


def test_results_do_not_depend_on_the_callers_torch_state(data):
    X, y = data
    reference = HydaMultiTaskClassifier(dropout=0.2, **FAST).fit(X, y).predict_proba(X)
    default_dtype = torch.get_default_dtype()
    torch.manual_seed(123)
    try:
        torch.set_default_dtype(torch.float64)
        with torch.no_grad():
            model = HydaMultiTaskClassifier(dropout=0.2, **FAST).fit(X, y)
    finally:
        torch.set_default_dtype(default_dtype)
    np.testing.assert_array_equal(model.predict_proba(X), reference)


def test_concurrent_predictions_from_threads_agree_with_serial_ones(data):
    X, y = data
    model = HydaMultiTaskClassifier(dropout=0.3, **FAST).fit(X, y)
    expected = model.predict_proba(X)
    results, errors = [None] * 8, []

    def predict(index):
        try:
            for _ in range(5):
                results[index] = model.predict_proba(X)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    _run_in_threads(predict, 8)
    assert not errors
    for result in results:
        np.testing.assert_array_equal(result, expected)
    assert model.net_.module_.training  # inference switched no module state


def test_fits_in_parallel_threads_are_reproducible(data):
    X, y = data
    params = {**FAST, "dropout": 0.2, "weighting": "pcgrad"}
    expected = HydaMultiTaskClassifier(**params).fit(X, y).predict_proba(X)
    results = [None] * 4

    def fit(index):
        results[index] = HydaMultiTaskClassifier(**params).fit(X, y).predict_proba(X)

    _run_in_threads(fit, 4)
    for result in results:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("weights", [[0.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, np.nan, 1.0]])
def test_static_weights_that_cannot_train_the_main_task_are_refused(data, weights):
    X, y = data
    with pytest.raises(ValueError, match="Static weights"):
        HydaMultiTaskClassifier(**{**FAST, "weighting": weights}).fit(X, y)


def test_the_callers_thread_count_changes_results_only_by_rounding(data):
    X, y = data
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = HydaMultiTaskClassifier(**FAST).fit(X, y).predict_proba(X)
        torch.set_num_threads(2)
        two = HydaMultiTaskClassifier(**FAST).fit(X, y).predict_proba(X)
    finally:
        torch.set_num_threads(threads)
    # Float32 sums split over threads round differently; 3 epochs keep that small.
    np.testing.assert_allclose(one, two, atol=1e-4)
