"""Row weights (``sample_weight``) and the classifier's ``class_weight``."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.metrics import get_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _fitting import STRATEGY_NAMES
from _fitting import auxiliary_data as data
from hydasklearn import HydaMultiTaskClassifier

pytestmark = pytest.mark.usefixtures("quiet")


def test_a_weight_of_k_is_k_repeats_of_the_row_to_float32_precision():
    # Full-batch training: the weighted mean over rows equals the mean over repeats.
    X, y = data(60)
    weights = np.random.RandomState(0).randint(1, 4, size=len(X))
    params = dict(hidden_layer_sizes=(8,), max_iter=20, batch_size=10_000, random_state=0,
                  weighting="equal", learning_rate_init=0.01)
    main = y[:, 0].astype(int)  # (regression targets are standardized on unweighted rows)
    weighted = HydaMultiTaskClassifier(**params).fit(X, main, sample_weight=weights)
    repeated = HydaMultiTaskClassifier(**params).fit(np.repeat(X, weights, axis=0),
                                                     np.repeat(main, weights, axis=0))
    # float32 sums over 60 or ~120 rows round differently: about 1e-6 relative.
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("weighting", STRATEGY_NAMES)
def test_zero_weight_rows_change_nothing_compared_with_their_removal(weighting):
    X, y = data()
    keep = np.arange(len(X)) % 3 != 0
    params = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=10_000, random_state=0,
                  weighting=weighting)
    weighted = HydaMultiTaskClassifier(**params).fit(X, y, sample_weight=keep.astype(float))
    removed = HydaMultiTaskClassifier(**params).fit(X[keep], y[keep])
    # Full batch, no held-out draws that see the zero rows differently: same losses.
    np.testing.assert_allclose(weighted.loss_curve_, removed.loss_curve_, rtol=1e-3)


def test_a_weighted_fit_ignores_corrupted_rows_that_an_unweighted_fit_learns():
    X, y = data(1200, seed=1)
    corrupted = np.random.RandomState(0).rand(len(X)) < 0.4
    y_bad = y.copy()
    y_bad[corrupted, 0] = 1 - y_bad[corrupted, 0].astype(int)  # main labels flipped
    X_test, y_test = data(1000, seed=2)
    params = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0, weighting="equal")
    weighted = HydaMultiTaskClassifier(**params).fit(X, y_bad, sample_weight=~corrupted * 1.0)
    plain = HydaMultiTaskClassifier(**params).fit(X, y_bad)
    auc = {name: roc_auc_score(y_test[:, 0].astype(int), model.predict_proba(X_test)[:, 1])
           for name, model in (("weighted", weighted), ("plain", plain))}
    assert auc["weighted"] > auc["plain"] + 0.02, auc


@pytest.mark.parametrize("bad, match", [
    (np.ones(5), r"shape == \(5,\), expected \(300,\)"), (-np.ones(300), "Negative"),
    (np.full(300, np.nan), "NaN"), (np.zeros(300), "non-zero"),
])
def test_bad_sample_weights_raise_clear_errors(bad, match):
    X, y = data()
    with pytest.raises(ValueError, match=match):
        HydaMultiTaskClassifier(max_iter=1).fit(X, y, sample_weight=bad)


def test_sample_weight_reaches_the_estimator_in_a_pipeline_and_through_routing():
    X, y = data()
    weights = np.where(np.arange(len(X)) < 150, 1.0, 0.0)
    params = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0, weighting="equal")
    pipeline = make_pipeline(StandardScaler(), HydaMultiTaskClassifier(**params))
    pipeline.fit(X, y, hydamultitaskclassifier__sample_weight=weights)
    direct = HydaMultiTaskClassifier(**params).fit(StandardScaler().fit_transform(X), y,
                                                   sample_weight=weights)
    np.testing.assert_allclose(pipeline[-1].loss_curve_, direct.loss_curve_)
    with config_context(enable_metadata_routing=True):
        model = HydaMultiTaskClassifier(**params).set_fit_request(sample_weight=True)
        scorer = get_scorer("accuracy").set_score_request(sample_weight=True)
        search = GridSearchCV(model, {"alpha": [1e-4]}, cv=2, scoring=scorer)
        search.fit(X, y[:, 0], sample_weight=weights)
        unweighted = GridSearchCV(HydaMultiTaskClassifier(**params), {"alpha": [1e-4]}, cv=2,
                                  scoring="accuracy").fit(X, y[:, 0])
    assert not np.array_equal(search.best_estimator_.loss_curve_,
                              unweighted.best_estimator_.loss_curve_)


def test_balanced_class_weight_equals_the_matching_sample_weights():
    X, y = data()
    main = y[:, 0].astype(int)
    counts = np.bincount(main)
    balanced = len(main) / (2 * counts[main])
    params = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    by_class = HydaMultiTaskClassifier(class_weight="balanced", **params).fit(X, y)
    by_row = HydaMultiTaskClassifier(**params).fit(X, y, sample_weight=balanced)
    np.testing.assert_array_equal(by_class.loss_curve_, by_row.loss_curve_)
    by_dict = HydaMultiTaskClassifier(class_weight={0: 1.0, 1: 3.0}, **params).fit(X, y)
    by_row = HydaMultiTaskClassifier(**params).fit(X, y, sample_weight=np.where(main == 1, 3, 1))
    np.testing.assert_array_equal(by_dict.loss_curve_, by_row.loss_curve_)
    with pytest.raises(ValueError, match="not classes"):
        HydaMultiTaskClassifier(class_weight={"yes": 2.0}, **params).fit(X, y)
