"""predict, predict_proba, predict_tasks and score: labels back in their own types and units."""

import numpy as np
import pytest

from _fitting import FAST, regression_data
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor


def test_regression_aux_is_predicted_in_its_own_units():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    aux = 1000.0 + 50.0 * X[:, 0]
    y = np.column_stack([X[:, 0] > 0, aux])
    model = HydaMultiTaskClassifier(weighting="equal", max_iter=40, hidden_layer_sizes=(16,),
                                    learning_rate_init=1e-2, random_state=0).fit(X, y)
    predicted = model.predict_tasks(X)["aux_1"]
    # Trained on standardized values, predicted back in the original units.
    assert abs(predicted.mean() - 1000.0) < 10.0
    assert np.corrcoef(predicted, aux)[0, 1] > 0.9


def test_string_labels_in_main_and_aux():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    y = np.column_stack([np.array(["cat", "dog", "eel"])[np.argmax(X, axis=1)],
                         np.where(X[:, 0] > 0, "pos", "neg")])
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "eel"])
    assert set(model.predict(X)) <= {"cat", "dog", "eel"}
    assert model.predict_proba(X).shape == (150, 3)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert set(model.predict_tasks(X)["aux_1"]) <= {"pos", "neg"}
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)))


def test_a_rows_prediction_does_not_depend_on_the_rows_predicted_with_it(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    together = model.predict_proba(X)
    # Inference runs in float64, but BLAS picks kernels (blocking, SIMD tails,
    # summation order) by the number of rows and the CPU, so the same row can
    # come out a few ulps (~1e-16) apart. Probabilities lie in [0, 1]: 1e-12
    # absolute is far above such rounding and far below what a real dependence
    # on the other rows (batch statistics, float32 arithmetic: ~1e-7) would give.
    rounding = {"rtol": 1e-12, "atol": 1e-12}
    one_by_one = np.vstack([model.predict_proba(X[i:i + 1]) for i in range(20)])
    np.testing.assert_allclose(one_by_one, together[:20], **rounding)
    np.testing.assert_allclose(model.predict_proba(X[::-1]), together[::-1], **rounding)
    # Same rows in the same order and the same threads: bit for bit.
    np.testing.assert_array_equal(model.predict_proba(X), together)


def test_predict_tasks_main_matches_predict(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(model.predict_tasks(X)["main"], model.predict(X))


def test_score_accepts_one_and_two_dimensional_y(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    expected = np.mean(model.predict(X) == y[:, 0].astype(int))
    assert model.score(X, y) == pytest.approx(expected)
    assert model.score(X, y[:, 0].astype(int)) == pytest.approx(expected)
    # Only the main task is scored: auxiliary labels the model never saw do not matter.
    unseen = y.copy()
    unseen[:, 2] = "purple"
    assert model.score(X, unseen) == pytest.approx(expected)


def test_regressor_scores_r2_on_main_task():
    X, y = regression_data()
    model = HydaMultiTaskRegressor(**FAST).fit(X, y)
    predictions = model.predict(X)
    r2 = 1 - np.sum((y[:, 0] - predictions) ** 2) / np.sum((y[:, 0] - y[:, 0].mean()) ** 2)
    assert model.score(X, y) == pytest.approx(r2)
    assert model.score(X, y[:, 0]) == pytest.approx(r2)
    assert not hasattr(model, "classes_")
    assert model.task_types_ == {"main": "regression", "aux_1": "binary"}

