"""The estimators in scikit-learn's tools: pipelines, searches, scorers, clone, pickling."""

import io
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _fitting import FAST, mixed_data, regression_data
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.metrics import main_task_scorer


def test_pipeline_with_scaler(mixed):
    X, y = mixed
    model = make_pipeline(StandardScaler(), HydaMultiTaskClassifier(weighting="equal", **FAST))
    model.fit(X, y)
    assert model.predict(X).shape == (len(X),)
    assert 0.0 <= model.score(X, y) <= 1.0
    assert set(model[-1].predict_tasks(StandardScaler().fit_transform(X))) == {
        "main", "aux_1", "aux_2", "aux_3"}


@pytest.mark.parametrize("estimator, scoring, data", [
    (HydaMultiTaskClassifier, "roc_auc", mixed_data),
    (HydaMultiTaskRegressor, "r2", regression_data),
])
def test_grid_search_over_weighting_and_alpha(estimator, scoring, data):
    X, y = data()
    search = GridSearchCV(
        estimator(**FAST),
        {"weighting": ["equal", "hydalearn"], "alpha": [1e-4, 1e-2]},
        # A classifier with cv=int makes scikit-learn stratify on the whole y, which
        # cannot sort a y of mixed types: an explicit splitter is needed.
        scoring=main_task_scorer(scoring), cv=KFold(2, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,) and np.all(np.isfinite(scores))
    assert search.best_params_["weighting"] in ("equal", "hydalearn")
    assert np.isfinite(search.score(X, y))


def test_grid_search_in_two_processes(mixed):
    X, y = mixed
    grid = {"weighting": ["equal", [1.0, 0.5, 0.5, 0.5]]}
    folds = list(KFold(2, shuffle=True, random_state=0).split(X))
    search = GridSearchCV(HydaMultiTaskClassifier(**FAST), grid, cv=folds, n_jobs=2,
                          scoring=main_task_scorer("roc_auc"))
    search.fit(X, y)
    serial = GridSearchCV(HydaMultiTaskClassifier(**FAST), grid, cv=folds, n_jobs=1,
                          scoring=main_task_scorer("roc_auc")).fit(X, y)
    # Same random_state, same folds: the worker processes give the same scores.
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"])


def test_cross_validate_with_several_scorers(mixed):
    X, y = mixed
    results = cross_validate(
        HydaMultiTaskClassifier(**FAST), X, y, cv=KFold(3, shuffle=True, random_state=0),
        scoring={"auc": main_task_scorer("roc_auc"), "accuracy": main_task_scorer()},
    )
    assert results["test_auc"].shape == (3,)
    assert np.all((results["test_accuracy"] >= 0) & (results["test_accuracy"] <= 1))


def test_main_task_scorer_matches_score(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    assert main_task_scorer()(model, X, y) == model.score(X, y)
    assert main_task_scorer("accuracy")(model, X, y) == model.score(X, y)
    assert "roc_auc" in repr(main_task_scorer("roc_auc"))


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(weighting=[1.0, 0.5, 0.5, 0.5], **FAST).fit(X, y)
    copy = clone(model)
    assert not hasattr(copy, "net_")
    assert copy.get_params() == model.get_params()
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("round_trip", ["pickle", "joblib"])
def test_serialization_round_trip_keeps_predictions(mixed, round_trip):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    if round_trip == "pickle":
        restored = pickle.loads(pickle.dumps(model))
    else:
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    for name, predictions in model.predict_tasks(X).items():
        np.testing.assert_array_equal(restored.predict_tasks(X)[name], predictions)

