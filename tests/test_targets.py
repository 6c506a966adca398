"""y -> tasks: column splitting, type inference, encoding, missing labels."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from hydasklearn._targets import (
    MAX_INTEGER_CLASSES,
    build_tasks,
    infer_task_kind,
    main_target_column,
    missing_mask,
    split_target_columns,
)


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


def test_constant_regression_target_has_unit_scale():
    tasks, encoded = build_tasks(np.column_stack([[0, 1, 0], [5.0, 5.0, 5.0]]), "classification",
                                 aux_tasks=["regression"])
    assert tasks[1].scale == 1.0
    np.testing.assert_array_equal(encoded[:, 1], 0.0)


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
