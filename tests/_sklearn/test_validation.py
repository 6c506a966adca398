"""What fit and predict refuse, and the messages they give."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from _fitting import FAST, regression_data
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor


@pytest.mark.parametrize("bad, message", [(np.nan, "Input X contains NaN"),
                                          (np.inf, "Input X contains infinity")])
def test_non_finite_X_is_rejected(mixed, bad, message):
    X, y = mixed
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        HydaMultiTaskClassifier(**FAST).fit(X, y)
    model = HydaMultiTaskClassifier(**FAST).fit(*mixed)
    with pytest.raises(ValueError, match=message):
        model.predict(X)


def test_nan_in_main_target_is_rejected(mixed):
    X, y = mixed
    y = y.copy()
    y[0, 0] = np.nan
    with pytest.raises(ValueError, match="main target .* missing labels"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)
    X_reg, y_reg = regression_data()
    y_reg[5, 0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        HydaMultiTaskRegressor(**FAST).fit(X_reg, y_reg)


def test_all_missing_aux_column_is_left_out(mixed):
    X, y = mixed
    y = y.copy()
    y[:, 2] = None
    with pytest.warns(UserWarning, match="'aux_2' has no label in these rows"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)


def test_wrong_number_of_features_at_predict(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but .* expecting 5 features"):
        model.predict(X[:, :4])
    with pytest.raises(ValueError, match="X has 4 features"):
        model.predict_tasks(X[:, :4])


def test_unknown_aux_type_is_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="Unknown task type 'ordinal'"):
        HydaMultiTaskClassifier(aux_tasks=["binary", "ordinal", "regression"], **FAST).fit(X, y)


def test_wrong_number_of_static_weights_is_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="one weight per task \\(4"):
        HydaMultiTaskClassifier(weighting=[1.0, 0.5], **FAST).fit(X, y)
    with pytest.raises(ValueError, match="finite and >= 0"):
        HydaMultiTaskClassifier(weighting=[1.0, -1.0, 0.5, 0.5], **FAST).fit(X, y)


def test_unknown_weighting_name_is_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="'weighting' parameter .* must be a str among"):
        HydaMultiTaskClassifier(weighting="magic", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="list of static weights"):
        HydaMultiTaskClassifier(weighting=["a", "b"], **FAST).fit(X, y)


def test_inconsistent_numbers_of_samples_are_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        HydaMultiTaskClassifier(**FAST).fit(X, y[:-1])


def test_bad_layer_sizes_are_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="positive integers"):
        HydaMultiTaskClassifier(head_layer_sizes=(8, 0), **FAST).fit(X, y)


def test_predict_before_fit_is_rejected(mixed):
    with pytest.raises(NotFittedError):
        HydaMultiTaskClassifier().predict(mixed[0])

