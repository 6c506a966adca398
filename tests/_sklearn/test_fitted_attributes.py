"""Fitted attributes: task names and types, classes, feature names, curves and weight records."""

import numpy as np
import pandas as pd
import pytest

from _fitting import FAST
from hydasklearn import HydaMultiTaskClassifier


def test_fitted_attribute_shapes(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    n_steps = FAST["max_iter"] * int(np.ceil(len(X) / FAST["batch_size"]))
    assert model.n_iter_ == FAST["max_iter"]
    assert len(model.loss_curve_) == model.n_iter_
    assert set(model.task_loss_curves_) == set(model.task_names_)
    assert all(len(curve) == model.n_iter_ for curve in model.task_loss_curves_.values())
    np.testing.assert_allclose(model.task_loss_curves_["main"], model.loss_curve_, rtol=1e-5)
    assert model.weight_history_.shape == (n_steps, 4)
    assert model.n_features_in_ == 5
    assert not hasattr(model, "validation_loss_curve_")


def test_mixed_aux_types_and_missing_labels(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    assert model.task_names_ == ["main", "aux_1", "aux_2", "aux_3"]
    assert model.task_types_ == {"main": "binary", "aux_1": "binary",
                                 "aux_2": "multiclass", "aux_3": "regression"}
    predictions = model.predict_tasks(X)
    assert set(np.unique(predictions["main"])) <= {0, 1}
    assert set(predictions["aux_1"]) <= {"up", "down"}
    assert set(predictions["aux_2"]) <= {"red", "green", "blue"}
    assert predictions["aux_3"].dtype == np.float64
    assert np.all(np.isfinite(list(model.task_loss_curves_["aux_3"])))
    np.testing.assert_array_equal(model.classes_, [0, 1])


def test_aux_tasks_list_sets_the_types(mixed):
    X, y = mixed
    y = y.copy()
    income = y[:, 3].astype(float)
    y[:, 3] = np.where(np.isnan(income), None, (np.nan_to_num(income) > 1000).astype(object))
    model = HydaMultiTaskClassifier(aux_tasks=["binary", "classification", "binary"], **FAST)
    model.fit(X, y)
    assert list(model.task_types_.values()) == ["binary", "binary", "multiclass", "binary"]


def test_pandas_X_and_y(mixed):
    X, y = mixed
    X_frame = pd.DataFrame(X, columns=[f"feature_{j}" for j in range(X.shape[1])])
    y_frame = pd.DataFrame({
        "default": pd.Series(np.where(y[:, 0] == 1, "yes", "no")),
        "direction": pd.Categorical(y[:, 1]),
        "income": pd.array(y[:, 3], dtype="Float64"),
        "grade": pd.array(np.where(X[:, 2] > 0, 1, 2), dtype="Int64"),
    })
    y_frame.loc[2, "grade"] = pd.NA
    model = HydaMultiTaskClassifier(**FAST).fit(X_frame, y_frame)
    assert model.task_names_ == ["default", "direction", "income", "grade"]
    assert model.task_types_ == {"default": "binary", "direction": "binary",
                                 "income": "regression", "grade": "binary"}
    np.testing.assert_array_equal(model.feature_names_in_, X_frame.columns)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    predictions = model.predict_tasks(X_frame)
    assert set(predictions["grade"]) <= {1, 2}
    assert model.score(X_frame, y_frame) == model.score(X_frame, y_frame["default"])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X)


def test_static_weights_are_used_at_every_step(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(weighting=[1.0, 0.0, 0.25, 2.0], **FAST).fit(X, y)
    np.testing.assert_array_equal(np.unique(model.weight_history_, axis=0),
                                  [[1.0, 0.0, 0.25, 2.0]])
    equal = HydaMultiTaskClassifier(weighting="equal", **FAST).fit(X, y)
    np.testing.assert_array_equal(np.unique(equal.weight_history_, axis=0), [[1.0] * 4])

