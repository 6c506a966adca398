"""One task (``hydasklearn._tasks.task``): encoding, decoding, refused and left-out columns."""

import numpy as np
import pandas as pd
import pytest

from _fitting import object_column
from hydasklearn import DegenerateTaskWarning
from hydasklearn._tasks.targets import build_tasks, encode_targets


def test_object_labels_keep_their_type_when_decoded():
    main = object_column(0, 1, 1, 0)  # an object column of ints (2-D object y)
    flags = object_column(True, None, False, True)
    tasks, _ = build_tasks(np.column_stack([main, flags]), "classification")
    assert tasks[0].classes.dtype.kind == "i"
    assert tasks[1].classes.tolist() == [False, True]
    assert tasks[1].decode(np.array([[2.0], [-2.0]])).tolist() == [True, False]


def test_labels_unseen_in_fit_are_rejected_when_encoding():
    tasks, _ = build_tasks(np.column_stack([[0, 1, 0], ["a", "b", "a"]]), "classification")
    with pytest.raises(ValueError, match=r"'aux_1' has labels not seen in fit: \['c'\]"):
        tasks[1].encode(np.array(["a", "c"]))


# ------------------------------------------------------------- refused columns
def test_unknown_aux_type_is_rejected():
    with pytest.raises(ValueError, match="Unknown task type 'ordinal' for task 'aux_1'"):
        build_tasks(np.column_stack([[0, 1], [1, 2]]), "classification", aux_tasks=["ordinal"])


def test_binary_declared_with_three_classes_is_rejected():
    with pytest.raises(ValueError, match="declared binary but has 3 classes"):
        build_tasks(np.column_stack([[0, 1, 0], [1, 2, 3]]), "classification",
                    aux_tasks=["binary"])


def test_non_numeric_regression_target_is_rejected():
    with pytest.raises(ValueError, match="Regression target 'aux_1' holds non-numeric values"):
        build_tasks(np.column_stack([[0, 1], ["a", "b"]]), "classification",
                    aux_tasks=["regression"])
    with pytest.raises(ValueError, match="main target of a regressor must be numeric"):
        build_tasks(np.array(["a", "b"]), "regression")


def test_aux_column_without_any_label_is_left_out():
    y = np.column_stack([[0.0, 1.0, 0.0], [np.nan, np.nan, np.nan]])
    with pytest.warns(DegenerateTaskWarning, match="'aux_1' has no label in these rows"):
        tasks, encoded = build_tasks(y, "classification")
    assert tasks[1].left_out and np.isnan(encoded[:, 1]).all()


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_aux_column_of_missing_labels_only_is_left_out(missing):
    y = np.column_stack([object_column(0, 1, 0), object_column(missing, missing, missing)])
    with pytest.warns(DegenerateTaskWarning, match="'aux_1' has no label in these rows"):
        tasks, _ = build_tasks(y, "classification")
    assert tasks[1].left_out


@pytest.mark.parametrize("column, aux_tasks", [
    (np.array([1, 1, 1, 1]), "auto"),
    (object_column("x", None, "x", np.nan), "auto"),
    (np.array([3.5, np.nan, 3.5, 3.5]), "auto"),
    (np.array([2.0, 2.0, 2.0, 2.0]), ["regression"]),
    (np.array(["a", "a", "a", "a"]), ["binary"]),
])
def test_aux_column_with_a_single_distinct_label_is_left_out(column, aux_tasks):
    y = np.column_stack([object_column(0, 1, 0, 1), column.astype(object)])
    with pytest.warns(DegenerateTaskWarning,
                      match="'aux_1' (has a single distinct label|is constant)"):
        tasks, encoded = build_tasks(y, "classification", aux_tasks=aux_tasks)
    assert tasks[1].left_out and np.isnan(encoded[:, 1]).all()


# ------------------------------------------------ regression scale in float32
def test_constant_regression_main_target_has_unit_scale():
    # As with scikit-learn regressors, a constant main target is accepted.
    tasks, encoded = build_tasks(np.array([5.0, 5.0, 5.0]), "regression")
    assert tasks[0].scale == 1.0
    np.testing.assert_array_equal(encoded[:, 0], 0.0)


@pytest.mark.parametrize("values", [
    np.array([1e200, -1e200, 3e200, 2e200]),  # the variance overflows float64
    np.array([-1.7e308, 1.7e308, 1.7e308, 0.0]),  # so would x - mean
    np.array([1e-300, 3e-300, 2e-300, 5e-300]),
])
def test_huge_or_tiny_regression_targets_are_standardized_without_overflow(values):
    tasks, encoded = build_tasks(values, "regression")
    assert np.all(np.isfinite(encoded))
    np.testing.assert_allclose([encoded.mean(), encoded.std()], [0.0, 1.0], atol=1e-6)
    # float32 standardized values: about 7 digits of the largest magnitude.
    largest = np.abs(values).max()
    np.testing.assert_allclose(tasks[0].decode(encoded), values, rtol=0, atol=1e-6 * largest)
    aux = np.column_stack([object_column(0, 1, 0, 1), values.astype(object)])
    assert np.all(np.isfinite(build_tasks(aux, "classification")[1][:, 1]))


def test_ordinary_regression_targets_are_standardized_as_numpy_does():
    values = np.random.RandomState(0).normal(1000.0, 50.0, size=101)
    task = build_tasks(values, "regression")[0][0]
    assert (task.mean, task.scale) == (values.mean(), values.std())
    np.testing.assert_array_equal(task.encode(values),
                                  ((values - values.mean()) / values.std()).astype(np.float32))


def test_regression_values_that_overflow_float32_when_standardized_are_rejected():
    y = np.column_stack([[0, 1, 0], [1.0, 2.0, 3.0]])
    tasks, _ = build_tasks(y, "classification")
    with pytest.raises(ValueError, match="'aux_1' has values too far from those seen in fit"):
        encode_targets(tasks, np.column_stack([[0, 1], [2.0, 1e300]]))

