"""partial_fit: one epoch per call, tasks fixed by the first call."""

import numpy as np
import pytest

from _fitting import STRATEGY_NAMES, auxiliary_data, fit_quietly
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor


@pytest.fixture
def data():
    return auxiliary_data(n_samples=400)


@pytest.mark.parametrize("weighting", STRATEGY_NAMES)
def test_chunks_train_one_epoch_each_with_every_strategy(data, weighting):
    X, y = data
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), batch_size=50, weighting=weighting,
                                    random_state=0)
    for start in range(0, 400, 100):
        model.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1])
    assert model.n_iter_ == 4
    assert model.weight_history_.shape == (8, 3)  # two batches per chunk
    assert np.all(np.isfinite(model.predict_proba(X)))


def test_partial_fit_on_all_rows_is_an_epoch_of_fit(data):
    X, y = data
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0, weighting="equal")
    streamed = HydaMultiTaskClassifier(**params)
    for _ in range(3):
        streamed.partial_fit(X, y, classes=np.array([0, 1]))
    fitted = fit_quietly(HydaMultiTaskClassifier(max_iter=3, **params), X, y)
    np.testing.assert_array_equal(streamed.predict_proba(X), fitted.predict_proba(X))


def test_classes_are_required_first_and_fixed_afterwards(data):
    X, y = data
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    assert not hasattr(model, "n_features_in_")
    ones = y[:, 0].astype(int) == 1
    model.partial_fit(X[ones], y[ones], classes=[0, 1])  # a chunk of one class
    assert model.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match="not the same"):
        model.partial_fit(X, y, classes=[0, 1, 2])


def test_unseen_auxiliary_labels_later_are_an_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.column_stack([X[:, 0] > 0, np.where(X[:, 1] > 0, "a", "b")]).astype(object)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(4,), random_state=0)
    model.partial_fit(X, y, classes=np.unique(y[:, 0]))
    y[0, 1] = "c"
    with pytest.raises(ValueError, match="labels not seen in fit"):
        model.partial_fit(X, y)


def test_the_regressor_streams_too(data):
    X, y = data
    model = HydaMultiTaskRegressor(hidden_layer_sizes=(8,), random_state=0)
    for start in range(0, 400, 200):
        model.partial_fit(X[start:start + 200], y[start:start + 200, 1:])
    assert model.n_iter_ == 2
    assert np.all(np.isfinite(model.predict(X)))
