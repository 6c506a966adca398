"""y -> tasks: column splitting, type inference, encoding, missing labels."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._tasks.targets import (
    build_tasks,
    encode_targets,
    main_target_column,
    split_target_columns,
)
from hydasklearn._tasks.task import MAX_INTEGER_CLASSES, infer_task_kind, missing_mask


def _object_column(*values):
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


# ------------------------------------------------------------------ columns
def test_one_dimensional_y_is_the_main_task_alone():
    columns, names = split_target_columns(np.array([0, 1, 1]))
    assert names == ["main"]
    np.testing.assert_array_equal(columns[0], [0, 1, 1])


def test_two_dimensional_y_names_its_auxiliary_columns():
    columns, names = split_target_columns(np.zeros((4, 3)))
    assert names == ["main", "aux_1", "aux_2"]
    assert [c.shape for c in columns] == [(4,)] * 3


def test_dataframe_column_names_become_task_names():
    y = pd.DataFrame({"default": [0, 1], 7: [1.5, 2.5]})
    _, names = split_target_columns(y)
    assert names == ["default", "7"]


def test_column_vector_y_warns_and_acts_as_one_dimensional():
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        columns, names = split_target_columns(np.array([[0], [1], [1]]))
    assert names == ["main"]
    np.testing.assert_array_equal(columns[0], [0, 1, 1])


def test_three_dimensional_y_is_rejected():
    with pytest.raises(ValueError, match="1-D or 2-D"):
        split_target_columns(np.zeros((2, 2, 2)))


def test_y_without_columns_is_rejected():
    with pytest.raises(ValueError, match="no columns"):
        split_target_columns(np.zeros((3, 0)))


# ------------------------------------------------------------ missing labels
def test_missing_mask_knows_nan_none_and_pandas_na():
    column = _object_column(1.0, None, np.nan, pd.NA, "a", 0)
    np.testing.assert_array_equal(missing_mask(column), [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(missing_mask(np.array([1.0, np.nan])), [0, 1])
    np.testing.assert_array_equal(missing_mask(np.array(["a", "b"])), [0, 0])


# ------------------------------------------------------------ type inference
@pytest.mark.parametrize("column, kind", [
    (np.array(["a", "b", "a"]), "binary"),
    (np.array(["a", "b", "c"]), "multiclass"),
    (_object_column("x", None, "y", "z"), "multiclass"),
    (np.array([True, False, True]), "binary"),
    (_object_column(True, None, False), "binary"),
    (np.array([0, 1, 2, 1]), "multiclass"),
    (np.array([3, 5, 5]), "binary"),
    (np.arange(MAX_INTEGER_CLASSES), "multiclass"),
    (np.arange(MAX_INTEGER_CLASSES + 1), "regression"),
    (np.array([0.5, 1.5, 2.0]), "regression"),
    (np.array([0.0, 1.0, 2.0]), "regression"),  # floats, not just {0, 1}
    (np.array([0.0, 1.0, np.nan, 1.0]), "binary"),  # the float {0, 1} rule
    (_object_column(0.25, None, 3.5), "regression"),
    (_object_column(1, None, 2, 3), "multiclass"),
])
def test_auto_type_inference(column, kind):
    assert infer_task_kind(column) == kind


def test_pandas_categorical_and_nullable_columns_are_classes():
    y = pd.DataFrame({
        "main": [0, 1, 0, 1],
        "category": pd.Categorical(["u", "v", None, "w"]),
        "nullable_int": pd.array([1, None, 2, 1], dtype="Int64"),
        "nullable_float": pd.array([0.5, None, 2.25, 1.0], dtype="Float64"),
    })
    tasks, encoded = build_tasks(y, "classification")
    assert [t.kind for t in tasks] == ["binary", "multiclass", "binary", "regression"]
    assert np.isnan(encoded[2, 1]) and np.isnan(encoded[1, 2]) and np.isnan(encoded[1, 3])


# ------------------------------------------------------------ build / encode
def test_build_tasks_encodes_classes_and_standardises_regression():
    y = _object_column  # shorthand
    main = np.array(["no", "yes", "yes", "no"])
    aux_class = y("b", None, "a", "c")
    aux_reg = y(10.0, 20.0, None, 30.0)
    tasks, encoded = build_tasks(np.column_stack([main, aux_class, aux_reg]), "classification")
    assert [t.kind for t in tasks] == ["binary", "multiclass", "regression"]
    assert encoded.dtype == np.float32 and encoded.shape == (4, 3)
    np.testing.assert_array_equal(encoded[:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(encoded[[0, 2, 3], 1], [1, 0, 2])
    assert np.isnan(encoded[1, 1]) and np.isnan(encoded[2, 2])
    present = encoded[[0, 1, 3], 2]
    np.testing.assert_allclose([present.mean(), present.std()], [0.0, 1.0], atol=1e-6)
    regression = tasks[2]
    np.testing.assert_allclose(regression.decode(present[:, None]), [10.0, 20.0, 30.0], rtol=1e-6)
    assert [t.n_labelled for t in tasks] == [4, 3, 3]


def test_object_labels_keep_their_type_when_decoded():
    main = _object_column(0, 1, 1, 0)  # an object column of ints (2-D object y)
    flags = _object_column(True, None, False, True)
    tasks, _ = build_tasks(np.column_stack([main, flags]), "classification")
    assert tasks[0].classes.dtype.kind == "i"
    assert tasks[1].classes.tolist() == [False, True]
    assert tasks[1].decode(np.array([[2.0], [-2.0]])).tolist() == [True, False]


def test_declared_aux_types_override_inference():
    y = np.column_stack([[0, 1, 0, 1], [0, 1, 2, 3]])
    tasks, encoded = build_tasks(y, "classification", aux_tasks=["regression"])
    assert tasks[1].kind == "regression"
    tasks, _ = build_tasks(y, "classification", aux_tasks=["classification"])
    assert tasks[1].kind == "multiclass"


def test_main_task_of_a_regressor_is_regression():
    tasks, encoded = build_tasks(np.array([1.0, 2.0, 3.0]), "regression")
    assert tasks[0].kind == "regression"
    np.testing.assert_allclose(encoded[:, 0], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)


def test_constant_regression_main_target_has_unit_scale():
    # As with scikit-learn regressors, a constant main target is accepted.
    tasks, encoded = build_tasks(np.array([5.0, 5.0, 5.0]), "regression")
    assert tasks[0].scale == 1.0
    np.testing.assert_array_equal(encoded[:, 0], 0.0)


def test_main_task_by_name_and_main_target_column():
    y = np.column_stack([_object_column(0, 1, 1), _object_column("a", None, "b")])
    np.testing.assert_array_equal(main_target_column(y), [0, 1, 1])
    assert main_target_column(y).dtype.kind == "i"
    np.testing.assert_array_equal(main_target_column(np.array([3.0, 4.0])), [3.0, 4.0])


# ------------------------------------------------------------------ errors
def test_nan_in_main_target_is_rejected():
    with pytest.raises(ValueError, match="Input y contains NaN"):
        build_tasks(np.column_stack([[0.0, np.nan, 1.0], [1.0, 2.0, 3.0]]), "classification")
    with pytest.raises(ValueError, match="main target .* 1 missing labels"):
        build_tasks(np.column_stack([_object_column("a", None, "b"), [1, 2, 3]]), "classification")


def test_infinite_regression_target_is_rejected():
    with pytest.raises(ValueError, match="Input y contains infinity"):
        build_tasks(np.array([1.0, np.inf, 2.0]), "regression")


def test_aux_column_without_any_label_is_rejected():
    y = np.column_stack([[0.0, 1.0, 0.0], [np.nan, np.nan, np.nan]])
    with pytest.raises(ValueError, match="'aux_1' has no label at all"):
        build_tasks(y, "classification")


def test_unknown_aux_type_is_rejected():
    with pytest.raises(ValueError, match="Unknown task type 'ordinal' for task 'aux_1'"):
        build_tasks(np.column_stack([[0, 1], [1, 2]]), "classification", aux_tasks=["ordinal"])


def test_wrong_number_of_aux_types_is_rejected():
    with pytest.raises(ValueError, match="aux_tasks lists 2 types but y has 1"):
        build_tasks(np.column_stack([[0, 1], [1, 2]]), "classification",
                    aux_tasks=["binary", "binary"])


def test_binary_declared_with_three_classes_is_rejected():
    with pytest.raises(ValueError, match="declared binary but has 3 classes"):
        build_tasks(np.column_stack([[0, 1, 0], [1, 2, 3]]), "classification",
                    aux_tasks=["binary"])


def test_mixed_string_and_number_labels_are_rejected():
    y = np.column_stack([[0, 1, 0], _object_column("a", 2, "b")])
    with pytest.raises(ValueError, match="mixes string and numeric labels"):
        build_tasks(y, "classification")


def test_continuous_main_target_of_a_classifier_is_rejected():
    with pytest.raises(ValueError, match="Unknown label type"):
        build_tasks(np.array([0.5, 1.5, 2.25]), "classification")


def test_single_class_main_target_is_rejected():
    with pytest.raises(ValueError, match="only one class"):
        build_tasks(np.array(["a", "a"]), "classification")


def test_labels_unseen_in_fit_are_rejected_when_encoding():
    tasks, _ = build_tasks(np.column_stack([[0, 1, 0], ["a", "b", "a"]]), "classification")
    with pytest.raises(ValueError, match=r"'aux_1' has labels not seen in fit: \['c'\]"):
        tasks[1].encode(np.array(["a", "c"]))


def test_non_numeric_regression_target_is_rejected():
    with pytest.raises(ValueError, match="Regression target 'aux_1' holds non-numeric values"):
        build_tasks(np.column_stack([[0, 1], ["a", "b"]]), "classification",
                    aux_tasks=["regression"])
    with pytest.raises(ValueError, match="main target of a regressor must be numeric"):
        build_tasks(np.array(["a", "b"]), "regression")


# ------------------------------------------------- unusable or unreadable y
def test_duplicate_task_names_are_rejected():
    y = pd.DataFrame([[0, 1, 2], [1, 0, 3], [0, 1, 4]], columns=["main", "rate", "rate"])
    with pytest.raises(ValueError, match="several columns named 'rate'"):
        build_tasks(y, "classification")
    # Names are compared as the strings that become task names.
    with pytest.raises(ValueError, match="several columns named '1'"):
        split_target_columns(pd.DataFrame({"main": [0, 1], 1: [1, 2], "1": [3, 4]}))


@pytest.mark.parametrize("column, aux_tasks", [
    (np.array([1, 1, 1, 1]), "auto"),
    (_object_column("x", None, "x", np.nan), "auto"),
    (np.array([3.5, np.nan, 3.5, 3.5]), "auto"),
    (np.array([2.0, 2.0, 2.0, 2.0]), ["regression"]),
    (np.array(["a", "a", "a", "a"]), ["binary"]),
])
def test_aux_column_with_a_single_distinct_label_is_rejected(column, aux_tasks):
    y = np.column_stack([_object_column(0, 1, 0, 1), column.astype(object)])
    with pytest.raises(ValueError, match="'aux_1' has a single distinct label"):
        build_tasks(y, "classification", aux_tasks=aux_tasks)


def test_fit_with_a_single_label_aux_column_raises_before_training():
    # It used to fit, and then predict_tasks failed on the one-class head.
    X = np.random.RandomState(0).normal(size=(8, 2))
    y = pd.DataFrame({"main": [0, 1] * 4, "flag": ["on"] * 6 + [None] * 2})
    with pytest.raises(ValueError, match="'flag' has a single distinct label .'on' in all 6"):
        HydaMultiTaskClassifier(max_iter=1).fit(X, y)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_aux_column_of_missing_labels_only_is_rejected(missing):
    y = np.column_stack([_object_column(0, 1, 0), _object_column(missing, missing, missing)])
    with pytest.raises(ValueError, match="'aux_1' has no label at all"):
        build_tasks(y, "classification")


@pytest.mark.parametrize("column, message", [
    (np.array([1 + 1j, 2, 3, 4]), "complex numbers"),
    (_object_column(1.0, 2j, None, 3.0), r"a value of type complex \(2j\)"),
    (_object_column(1.0, np.complex128(2), 0.5, 3.0), "a value of type complex128"),
    (np.array(["2020-01-01"] * 4, dtype="datetime64[D]"), "dates or times"),
    (np.array([1, 2, 3, 4], dtype="timedelta64[s]"), "time differences"),
    (_object_column(pd.Timestamp("2020-01-01"), None, pd.Timestamp("2021-01-01"), None),
     "a value of type Timestamp"),
    (np.array([b"a", b"b", b"a", b"b"]), "a value of type bytes"),  # pandas makes objects
    (_object_column("a", {"b": 1}, "a", "b"), "a value of type dict"),
])
def test_unsupported_aux_values_are_rejected(column, message):
    y = np.empty((4, 2), dtype=object)
    y[:, 0], y[:, 1] = [0, 1, 0, 1], column
    with pytest.raises(ValueError, match=f"Task 'aux_1' holds {message}"):
        build_tasks(y if column.dtype.kind == "O" else _frame(column), "classification")


def _frame(column):
    return pd.DataFrame({"main": [0, 1, 0, 1], "aux_1": column})


@pytest.mark.parametrize("main, main_kind", [
    (np.array([1 + 1j, 2, 3]), "regression"),  # used to drop the imaginary part silently
    (np.array([1 + 1j, 2, 3]), "classification"),
    (np.array(["2020-01-01", "2020-01-02", "2020-01-01"], dtype="datetime64[D]"),
     "classification"),  # used to be accepted as classes
    (np.array([b"a", b"b", b"a"]), "classification"),
])
def test_unsupported_main_values_are_rejected(main, main_kind):
    with pytest.raises(ValueError, match="Task 'main' holds (complex numbers|dates|bytes)"):
        build_tasks(main, main_kind)


def test_strings_mixed_with_numbers_are_rejected_but_nan_and_none_are_missing_labels():
    y = np.column_stack([_object_column(0, 1, 0, 1), _object_column("a", 1.5, "b", "a")])
    with pytest.raises(ValueError, match="'aux_1' mixes string and numeric labels"):
        build_tasks(y, "classification")
    y[:, 1] = _object_column("a", np.nan, "b", None)
    tasks, encoded = build_tasks(y, "classification")
    assert tasks[1].classes.tolist() == ["a", "b"]
    assert np.isnan(encoded[[1, 3], 1]).all()


@pytest.mark.parametrize("y", [np.array([]), np.zeros((0, 3)), pd.DataFrame({"a": [], "b": []})])
def test_empty_y_is_rejected(y):
    with pytest.raises(ValueError, match=r"Found y with 0 sample\(s\)"):
        build_tasks(y, "classification")


def test_aux_tasks_must_be_auto_or_a_list_that_fits_y():
    y = np.column_stack([[0, 1, 0], [1, 2, 1]])
    with pytest.raises(ValueError, match="aux_tasks must be 'auto' or a list"):
        build_tasks(y, "classification", aux_tasks="infer")
    with pytest.raises(ValueError, match="aux_tasks lists 1 types but y has 0"):
        build_tasks(np.array([0, 1, 0]), "classification", aux_tasks=["binary"])
    tasks, _ = build_tasks(y, "classification", aux_tasks=("binary",))
    assert tasks[1].kind == "binary"


# ------------------------------------------------ regression scale in float32
@pytest.mark.parametrize("values", [
    np.array([1e200, -1e200, 3e200, 2e200]),  # the variance overflows float64
    np.array([-1.7e308, 1.7e308, 1.7e308, 0.0]),  # so would x - mean
    np.array([1e-300, 3e-300, 2e-300, 5e-300]),
])
def test_huge_or_tiny_regression_targets_are_standardised_without_overflow(values):
    tasks, encoded = build_tasks(values, "regression")
    assert np.all(np.isfinite(encoded))
    np.testing.assert_allclose([encoded.mean(), encoded.std()], [0.0, 1.0], atol=1e-6)
    # float32 standardised values: about 7 digits of the largest magnitude.
    largest = np.abs(values).max()
    np.testing.assert_allclose(tasks[0].decode(encoded), values, rtol=0, atol=1e-6 * largest)
    aux = np.column_stack([_object_column(0, 1, 0, 1), values.astype(object)])
    assert np.all(np.isfinite(build_tasks(aux, "classification")[1][:, 1]))


def test_ordinary_regression_targets_are_standardised_as_numpy_does():
    values = np.random.RandomState(0).normal(1000.0, 50.0, size=101)
    task = build_tasks(values, "regression")[0][0]
    assert (task.mean, task.scale) == (values.mean(), values.std())
    np.testing.assert_array_equal(task.encode(values),
                                  ((values - values.mean()) / values.std()).astype(np.float32))


def test_regression_values_that_overflow_float32_when_standardised_are_rejected():
    y = np.column_stack([[0, 1, 0], [1.0, 2.0, 3.0]])
    tasks, _ = build_tasks(y, "classification")
    with pytest.raises(ValueError, match="'aux_1' has values too far from those seen in fit"):
        encode_targets(tasks, np.column_stack([[0, 1], [2.0, 1e300]]))
