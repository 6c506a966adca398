"""MainTaskStratifiedKFold: stratified folds of a multi-task y, in scikit-learn's searches;
make_auxiliary_check: the side targets kept only where they help on held-out rows."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    check_cv,
    cross_validate,
)

from sklearn.base import clone

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer
from hydasklearn.model_selection import MainTaskStratifiedKFold, make_auxiliary_check
from hydasklearn.weighting import HydaLearn, MainTaskOnly

TINY = {"hidden_layer_sizes": (4,), "max_iter": 2, "batch_size": 32, "random_state": 0}


def _mixed(n_samples=90, seed=0):
    """A string main target (imbalanced, 3 classes) beside a numeric and a string
    auxiliary column with missing labels (NaN, None)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    main = np.array(["low", "mid", "high"])[np.digitize(X[:, 0], [0.3, 1.0])]
    y = np.empty((n_samples, 3), dtype=object)
    y[:, 0] = main
    y[:, 1] = 10.0 + X[:, 1]
    y[::4, 1] = np.nan
    y[:, 2] = np.where(X[:, 2] > 0, "up", "down")
    y[1::5, 2] = None
    return X, y


def _frame(y):
    return pd.DataFrame({"grade": y[:, 0], "rate": y[:, 1].astype(float),
                         "trend": pd.Series(y[:, 2], dtype="string")})


def _folds(cv, X, y):
    return [(train.tolist(), test.tolist()) for train, test in cv.split(X, y)]


# ---------------------------------------------- why the splitter is needed
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")  # sklearn's
def test_plain_cv_int_fails_in_scikit_learn_before_the_estimator_is_called():
    X, y = _mixed()
    search = GridSearchCV(HydaMultiTaskClassifier(**TINY), {"alpha": [1e-4]}, cv=3)
    # Choosing a splitter for cv=3 inspects the whole y: sorting strings
    # together with NaN fails there, not in our fit.
    with pytest.raises(TypeError) as error:
        search.fit(X, y)
    assert {"check_cv", "type_of_target"} <= {entry.name for entry in error.traceback}
    assert "fit" not in {entry.name for entry in error.traceback[-3:]}
    numeric = np.column_stack([(X[:, 0] > 0).astype(float), np.where(X[:, 1] > 0, 1.0, np.nan)])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        check_cv(3, numeric, classifier=True)
    # A complete 2-D y is multi-output to scikit-learn: unstratified KFold.
    assert type(check_cv(3, np.nan_to_num(numeric), classifier=True)) is KFold


def test_explicit_splitter_passes_check_cv_unchanged():
    cv = MainTaskStratifiedKFold(3)
    assert check_cv(cv, _mixed()[1], classifier=True) is cv


# ------------------------------------------------------------- the folds
def test_folds_are_those_of_stratified_kfold_on_the_main_column():
    X, y = _mixed()
    for cv, reference in [
        (MainTaskStratifiedKFold(3), StratifiedKFold(3)),
        (MainTaskStratifiedKFold(4, shuffle=True, random_state=1),
         StratifiedKFold(4, shuffle=True, random_state=1)),
    ]:
        assert _folds(cv, X, y) == _folds(reference, X, y[:, 0].astype(str))


def test_each_test_fold_keeps_the_main_class_proportions():
    X, y = _mixed()
    classes, totals = np.unique(y[:, 0].astype(str), return_counts=True)
    assert totals.min() >= 10 and totals.max() >= 2 * totals.min()  # imbalanced on purpose
    tests = [test for _, test in MainTaskStratifiedKFold(5, shuffle=True, random_state=0)
             .split(X, y)]
    assert sorted(np.concatenate(tests).tolist()) == list(range(len(y)))
    for test in tests:
        counts = np.array([np.sum(y[test, 0] == c) for c in classes])
        assert np.all(np.abs(counts - totals / 5) <= 1), counts


@pytest.mark.parametrize("form", ["frame", "main column", "series"])
def test_dataframe_and_one_dimensional_y_give_the_same_folds(form):
    X, y = _mixed()
    other = {"frame": _frame(y), "main column": y[:, 0].astype(str),
             "series": _frame(y)["grade"]}[form]
    cv = MainTaskStratifiedKFold(3, shuffle=True, random_state=0)
    assert _folds(cv, X, other) == _folds(cv, X, y)


def test_random_state_makes_shuffled_folds_repeatable():
    X, y = _mixed()
    first = _folds(MainTaskStratifiedKFold(3, shuffle=True, random_state=0), X, y)
    assert _folds(MainTaskStratifiedKFold(3, shuffle=True, random_state=0), X, y) == first
    assert _folds(MainTaskStratifiedKFold(3, shuffle=True, random_state=1), X, y) != first
    assert _folds(MainTaskStratifiedKFold(3), X, y) != first


def test_too_many_splits_for_the_classes_behave_as_in_stratified_kfold():
    X, y = _mixed(n_samples=12)
    counts = np.unique(y[:, 0].astype(str), return_counts=True)[1]
    assert len(counts) == 3 and counts.max() < len(y) - 1
    with pytest.warns(UserWarning, match=f"least populated class in y has only {counts.min()}"):
        list(MainTaskStratifiedKFold(counts.min() + 1).split(X, y))
    too_many = counts.max() + 1
    with pytest.raises(ValueError, match=f"n_splits={too_many} cannot be greater than the"):
        list(MainTaskStratifiedKFold(too_many).split(X, y))


def test_missing_main_labels_are_rejected():
    X, y = _mixed()
    y[5, 0] = None
    with pytest.raises(ValueError, match=r"main target \(column 0 of y\) has 1 missing labels"):
        list(MainTaskStratifiedKFold(3).split(X, y))


def test_parameters_and_number_of_splits():
    cv = MainTaskStratifiedKFold(4, shuffle=True, random_state=3)
    assert cv.get_n_splits() == 4 == cv.get_n_splits(*_mixed())
    assert repr(cv) == "MainTaskStratifiedKFold(n_splits=4, random_state=3, shuffle=True)"
    with pytest.raises(TypeError):
        MainTaskStratifiedKFold(4, True)  # shuffle is keyword-only


# -------------------------------------------------- in scikit-learn's tools
@pytest.mark.parametrize("as_frame", [False, True], ids=["object ndarray", "DataFrame"])
def test_grid_search_and_cross_validate_on_mixed_y(as_frame):
    X, y = _mixed()
    y = _frame(y) if as_frame else y
    cv = MainTaskStratifiedKFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(HydaMultiTaskClassifier(**TINY),
                              {"weighting": ["equal", "hydalearn"]}, cv=cv,
                              scoring=main_task_scorer("accuracy"), error_score="raise")
        search.fit(X, y)
        result = cross_validate(HydaMultiTaskClassifier(**TINY), X, y, cv=cv,
                                return_indices=True, error_score="raise")
    assert search.cv_results_["split2_test_score"].shape == (2,)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.task_names_ == (["grade", "rate", "trend"] if as_frame
                                                  else ["main", "aux_1", "aux_2"])
    assert [t.tolist() for t in result["indices"]["test"]] == [t for _, t in _folds(cv, X, y)]
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))


# ---------------------------------------------- the held-out check of the side targets
def test_the_check_is_a_search_between_the_weighting_and_the_main_task_alone():
    model = HydaMultiTaskClassifier(weighting=HydaLearn(gain_every=2), **TINY)
    check = make_auxiliary_check(model, cv=4, random_state=3)
    assert isinstance(check, GridSearchCV) and check.estimator is model
    assert [repr(w) for w in check.param_grid["weighting"]] == [repr(HydaLearn(gain_every=2)),
                                                               "'main-only'"]
    assert isinstance(check.cv, MainTaskStratifiedKFold) and check.cv.get_n_splits() == 4
    assert check.cv.shuffle and check.cv.random_state == 3
    assert isinstance(make_auxiliary_check(HydaMultiTaskRegressor()).cv, KFold)
    assert repr(clone(check).param_grid) == repr(check.param_grid)


@pytest.mark.parametrize("fold_gains, kept", [
    ([0.02, 0.03, 0.025], 1),    # the main task alone better in every fold: kept
    ([0.05, -0.04, 0.02], 0),    # better on average, but within one standard error
    ([-0.01, -0.02, -0.01], 0),  # worse
])
def test_the_main_task_alone_is_kept_only_where_clearly_better(fold_gains, kept):
    rule = make_auxiliary_check(HydaMultiTaskClassifier()).refit
    base = np.array([-0.5, -0.6, -0.55])
    results = {f"split{k}_test_score": np.array([base[k], base[k] + gain])
               for k, gain in enumerate(fold_gains)}
    assert rule(results) == kept


@pytest.mark.parametrize("relations, trunk", [(("related",), (16,)),
                                              (("conflicting", "conflicting", "noise"), (4,))])
def test_the_check_keeps_what_scores_better_held_out_and_refits_it_on_all_rows(relations, trunk):
    X, y, _ = make_auxiliary_tasks(n_samples=300, n_features=20, aux_relations=relations,
                                   random_state=0)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=trunk, max_iter=5, random_state=0)
    check = make_auxiliary_check(model, random_state=0).fit(X, y)
    scores = dict(zip(check.cv_results_["param_weighting"], check.cv_results_["mean_test_score"]))
    kept = check.best_params_["weighting"]
    assert kept == "hydalearn" or scores["main-only"] > scores["hydalearn"]
    refitted = check.best_estimator_
    assert isinstance(refitted.weighting_, MainTaskOnly) == (kept == "main-only")
    on_all_rows = clone(model).set_params(weighting=kept).fit(X, y)
    np.testing.assert_array_equal(on_all_rows.predict_proba(X), check.predict_proba(X))


def test_the_check_scores_a_regressor_by_its_squared_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = np.column_stack([X[:, 0] + 0.1 * rng.normal(size=120), rng.normal(size=120)])
    check = make_auxiliary_check(HydaMultiTaskRegressor(**TINY), random_state=0).fit(X, y)
    refitted = check.best_estimator_
    main_error = -np.mean((refitted.predict(X) - y[:, 0]) ** 2)
    assert check.score(X, y) == pytest.approx(main_error)  # the main task's squared error
    assert np.isfinite(check.predict(X)).all()
