"""y to tasks (``hydasklearn._tasks.targets``): columns and their names, building and encoding."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from _fitting import object_column
from hydasklearn import DegenerateTaskWarning, HydaMultiTaskClassifier
from hydasklearn._tasks.targets import build_tasks, main_target_column, split_target_columns


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


def test_duplicate_task_names_are_rejected():
    y = pd.DataFrame([[0, 1, 2], [1, 0, 3], [0, 1, 4]], columns=["main", "rate", "rate"])
    with pytest.raises(ValueError, match="several columns named 'rate'"):
        build_tasks(y, "classification")
    # Names are compared as the strings that become task names.
    with pytest.raises(ValueError, match="several columns named '1'"):
        split_target_columns(pd.DataFrame({"main": [0, 1], 1: [1, 2], "1": [3, 4]}))


def test_main_task_by_name_and_main_target_column():
    y = np.column_stack([object_column(0, 1, 1), object_column("a", None, "b")])
    np.testing.assert_array_equal(main_target_column(y), [0, 1, 1])
    assert main_target_column(y).dtype.kind == "i"
    np.testing.assert_array_equal(main_target_column(np.array([3.0, 4.0])), [3.0, 4.0])


# ------------------------------------------------------------ build / encode
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


def test_build_tasks_encodes_classes_and_standardizes_regression():
    y = object_column  # shorthand
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
    assert [t.n_labeled for t in tasks] == [4, 3, 3]


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


# ------------------------------------------------------------------ errors
def test_nan_in_main_target_is_rejected():
    with pytest.raises(ValueError, match="Input y contains NaN"):
        build_tasks(np.column_stack([[0.0, np.nan, 1.0], [1.0, 2.0, 3.0]]), "classification")
    with pytest.raises(ValueError, match="main target .* 1 missing labels"):
        build_tasks(np.column_stack([object_column("a", None, "b"), [1, 2, 3]]), "classification")


def test_infinite_regression_target_is_rejected():
    with pytest.raises(ValueError, match="Input y contains infinity"):
        build_tasks(np.array([1.0, np.inf, 2.0]), "regression")


def test_continuous_main_target_of_a_classifier_is_rejected():
    with pytest.raises(ValueError, match="Unknown label type"):
        build_tasks(np.array([0.5, 1.5, 2.25]), "classification")


def test_single_class_main_target_is_rejected():
    with pytest.raises(ValueError, match="only one class"):
        build_tasks(np.array(["a", "a"]), "classification")


def test_wrong_number_of_aux_types_is_rejected():
    with pytest.raises(ValueError, match="aux_tasks lists 2 types but y has 1"):
        build_tasks(np.column_stack([[0, 1], [1, 2]]), "classification",
                    aux_tasks=["binary", "binary"])


def test_aux_tasks_must_be_auto_or_a_list_that_fits_y():
    y = np.column_stack([[0, 1, 0], [1, 2, 1]])
    with pytest.raises(ValueError, match="aux_tasks must be 'auto' or a list"):
        build_tasks(y, "classification", aux_tasks="infer")
    with pytest.raises(ValueError, match="aux_tasks lists 1 types but y has 0"):
        build_tasks(np.array([0, 1, 0]), "classification", aux_tasks=["binary"])
    tasks, _ = build_tasks(y, "classification", aux_tasks=("binary",))
    assert tasks[1].kind == "binary"


@pytest.mark.parametrize("y", [np.array([]), np.zeros((0, 3)), pd.DataFrame({"a": [], "b": []})])
def test_empty_y_is_rejected(y):
    with pytest.raises(ValueError, match=r"Found y with 0 sample\(s\)"):
        build_tasks(y, "classification")


def test_fit_with_a_single_label_aux_column_leaves_it_out():
    # Left out of training with a warning; predict_tasks gives the one label seen.
    X = np.random.RandomState(0).normal(size=(8, 2))
    y = pd.DataFrame({"main": [0, 1] * 4, "flag": ["on"] * 6 + [None] * 2})
    message = "'flag' has a single distinct label .'on' in all 6"
    with pytest.warns(DegenerateTaskWarning, match=message):
        model = HydaMultiTaskClassifier(max_iter=1).fit(X, y)
    assert model.predict_tasks(X)["flag"].tolist() == ["on"] * 8

