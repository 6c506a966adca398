"""The one-split held-out check of the benchmarks: per-sample losses, its choice, its refit."""

import numpy as np
import pytest
from sklearn.metrics import log_loss

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks


@pytest.fixture(scope="module")
def data():
    X, y, _ = make_auxiliary_tasks(n_samples=240, n_features=10, n_informative=3,
                                   aux_relations=("noise",), random_state=0)
    return X, y


def _model():
    return HydaMultiTaskClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)


def test_sample_log_losses_average_to_the_log_loss(data):
    from _split_check import _sample_log_loss

    X, y = data
    model = _model().fit(X, y)
    losses = _sample_log_loss(model, X, y[:, 0])
    assert losses.shape == (len(y),) and np.all(losses > 0)
    assert np.isclose(losses.mean(), log_loss(y[:, 0], model.predict_proba(X)))


@pytest.mark.parametrize("evidence", [0.0, 1.0, np.inf])
def test_the_main_task_alone_is_kept_only_when_clearly_better(data, evidence):
    from _split_check import SplitCheck

    X, y = data
    check = SplitCheck(_model(), evidence=evidence, random_state=0).fit(X, y)
    mean, error = check.loss_difference_
    expected = "main-only" if mean < -evidence * error else "hydalearn"
    assert check.best_params_ == {"weighting": expected}
    if evidence == np.inf:
        assert expected == "hydalearn"
    refitted = check.best_estimator_
    assert refitted.weighting == expected and refitted.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(check.predict_proba(X), refitted.predict_proba(X))


def test_the_same_random_state_gives_the_same_split_and_differences(data):
    from _split_check import SplitCheck

    X, y = data
    first, second = (SplitCheck(_model(), random_state=0).fit(X, y) for _ in range(2))
    assert first.loss_difference_ == second.loss_difference_  # same split, same fits
    other = SplitCheck(_model(), random_state=1).fit(X, y)
    assert other.loss_difference_ != first.loss_difference_
