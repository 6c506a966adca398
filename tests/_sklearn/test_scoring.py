"""Early stopping on a score: ``scoring``, ``validation_scores_``, ``best_validation_score_``."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIT = {"hidden_layer_sizes": (16,), "batch_size": 50, "random_state": 0,
       "early_stopping": True}


def _data(n_samples=300, seed=0):
    rng = np.random.RandomState(seed)
    # float32 values: the network sees the validation rows exactly as given
    X = rng.normal(size=(n_samples, 4)).astype(np.float32).astype(np.float64)
    main = np.where(X[:, 0] + 0.5 * rng.normal(size=n_samples) > 0, "yes", "no")
    y = np.column_stack([main, (X[:, 1] > 0).astype(object)]).astype(object)
    return X, y


def test_scoring_loss_records_the_negated_validation_loss():
    X, y = _data()
    model = HydaMultiTaskClassifier(max_iter=15, **FIT).fit(X, y)
    default = HydaMultiTaskClassifier(max_iter=15, scoring="loss", **FIT).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), default.predict_proba(X))
    np.testing.assert_array_equal(model.validation_scores_,
                                  -np.asarray(model.validation_loss_curve_))
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == pytest.approx(max(model.validation_scores_), abs=1e-4)


def test_without_early_stopping_there_are_no_validation_scores():
    X, y = _data()
    model = HydaMultiTaskClassifier(max_iter=3, scoring="roc_auc",
                                    **{**FIT, "early_stopping": False}).fit(X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None
    assert "valid_score" not in model.net_.history[-1]
    streamed = HydaMultiTaskClassifier(scoring="roc_auc", **FIT).partial_fit(
        X, y, classes=["no", "yes"])
    assert streamed.validation_scores_ is None


def test_a_scorer_name_is_evaluated_on_the_main_task_of_the_validation_split():
    X, y = _data()
    model = HydaMultiTaskClassifier(max_iter=30, scoring="roc_auc", **FIT).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ and all(0 <= s <= 1 for s in scores)
    assert model.best_validation_score_ == max(scores) > 0.7
    assert [epoch["valid_score"] for epoch in model.net_.history] == scores
    assert model.training_history("epoch")["valid_score"].tolist() == scores


def test_the_best_epochs_parameters_are_restored():
    X, y = _data()
    probe, seen = X[:50], []

    def scorer(estimator, X_valid, y_valid):
        # What the model predicts at this epoch, and a score that peaks early.
        seen.append(estimator.predict_proba(probe))
        return -abs(len(seen) - 4)

    model = HydaMultiTaskClassifier(max_iter=30, scoring=scorer, n_iter_no_change=3,
                                    tol=0.0, **FIT).fit(X, y)
    assert model.n_iter_ == 7  # the best epoch (4) and three without improvement
    assert model.validation_scores_ == [-3, -2, -1, 0, -1, -2, -3]
    assert model.best_validation_score_ == 0
    np.testing.assert_allclose(model.predict_proba(probe), seen[3], rtol=0, atol=1e-12)
    assert not np.allclose(model.predict_proba(probe), seen[-1], rtol=0, atol=1e-12)


def test_a_callable_scorer_sees_the_main_labels_and_an_estimator_of_the_main_task():
    X, y = _data()
    calls = []

    def scorer(estimator, X_valid, y_valid):
        calls.append((estimator, X_valid, y_valid))
        return roc_auc_score(y_valid == "yes", estimator.predict_proba(X_valid)[:, 1])

    model = HydaMultiTaskClassifier(max_iter=3, scoring=scorer, **FIT).fit(X, y)
    estimator, X_valid, y_valid = calls[-1]
    assert len(X_valid) == 30 and set(y_valid) == {"no", "yes"}
    assert estimator.classes_.tolist() == ["no", "yes"]
    assert set(estimator.predict(X_valid)) <= {"no", "yes"}
    assert estimator.decision_function(X_valid).shape == (30,)
    named = HydaMultiTaskClassifier(max_iter=3, scoring="roc_auc", **FIT).fit(X, y)
    np.testing.assert_allclose(model.validation_scores_, named.validation_scores_)


def test_row_weights_reach_the_scorer():
    X, y = _data()
    weights = []

    def scorer(estimator, X_valid, y_valid, sample_weight=None):
        weights.append(sample_weight)
        return 0.0

    HydaMultiTaskClassifier(max_iter=2, scoring=scorer, **FIT).fit(
        X, y, sample_weight=np.arange(len(X)) + 1.0)
    assert weights[0] is not None and len(weights[0]) == 30


def test_a_regressor_stops_on_r2():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = np.column_stack([100 + 10 * X[:, 0], X[:, 1] > 0])
    model = HydaMultiTaskRegressor(max_iter=40, scoring="r2", **FIT).fit(X, y)
    assert model.best_validation_score_ > 0.8
    assert model.best_validation_score_ == max(model.validation_scores_)
    mse = HydaMultiTaskRegressor(max_iter=5, scoring="neg_mean_squared_error",
                                 **FIT).fit(X, y)
    assert all(score < 0 for score in mse.validation_scores_)


def test_an_unknown_scorer_name_is_refused():
    X, y = _data()
    with pytest.raises(ValueError, match="'no_such_score' is not a valid scoring value"):
        HydaMultiTaskClassifier(scoring="no_such_score", **FIT).fit(X, y)


def test_clone_pickle_and_warm_start_with_a_scoring():
    X, y = _data()
    model = HydaMultiTaskClassifier(max_iter=3, scoring="roc_auc", warm_start=True, **FIT)
    assert clone(model).scoring == "roc_auc"
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    model.fit(X, y)  # warm start: the scores go on
    assert len(model.validation_scores_) == model.n_iter_ == 6
    model.set_params(scoring="accuracy")
    with pytest.raises(ValueError, match=r"changed parameters \['scoring'\]"):
        model.fit(X, y)


def test_the_epoch_lines_show_the_score(capsys):
    X, y = _data()
    HydaMultiTaskClassifier(max_iter=2, scoring="roc_auc", verbose=2, **FIT).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("  score 0." in line for line in lines)


def test_a_scorer_that_fails_on_the_validation_split_says_so():
    X, y = _data()
    y = y.copy()
    y[:, 0] = np.array(["a", "b", "c"])[np.arange(len(y)) % 3]  # multiclass: no plain roc_auc
    with pytest.raises(ValueError, match=r"scoring='roc_auc' fails on the main task of the "
                                         r"validation split \(30 rows, main labels \['a', 'b', "):
        HydaMultiTaskClassifier(max_iter=2, scoring="roc_auc", **FIT).fit(X, y)
