"""One column's values (``hydasklearn._tasks.kinds``): missing labels, inferred kinds, refusals."""

import numpy as np
import pandas as pd
import pytest

from _fitting import object_column
from hydasklearn._tasks.kinds import MAX_INTEGER_CLASSES, infer_task_kind, missing_mask
from hydasklearn._tasks.targets import build_tasks


def test_missing_mask_knows_nan_none_and_pandas_na():
    column = object_column(1.0, None, np.nan, pd.NA, "a", 0)
    np.testing.assert_array_equal(missing_mask(column), [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(missing_mask(np.array([1.0, np.nan])), [0, 1])
    np.testing.assert_array_equal(missing_mask(np.array(["a", "b"])), [0, 0])



@pytest.mark.parametrize("column, kind", [
    (np.array(["a", "b", "a"]), "binary"),
    (np.array(["a", "b", "c"]), "multiclass"),
    (object_column("x", None, "y", "z"), "multiclass"),
    (np.array([True, False, True]), "binary"),
    (object_column(True, None, False), "binary"),
    (np.array([0, 1, 2, 1]), "multiclass"),
    (np.array([3, 5, 5]), "binary"),
    (np.arange(MAX_INTEGER_CLASSES), "multiclass"),
    (np.arange(MAX_INTEGER_CLASSES + 1), "regression"),
    (np.array([0.5, 1.5, 2.0]), "regression"),
    (np.array([0.0, 1.0, 2.0]), "regression"),  # floats, not just {0, 1}
    (np.array([0.0, 1.0, np.nan, 1.0]), "binary"),  # the float {0, 1} rule
    (object_column(0.25, None, 3.5), "regression"),
    (object_column(1, None, 2, 3), "multiclass"),
])
def test_auto_type_inference(column, kind):
    assert infer_task_kind(column) == kind



def test_mixed_string_and_number_labels_are_rejected():
    y = np.column_stack([[0, 1, 0], object_column("a", 2, "b")])
    with pytest.raises(ValueError, match="mixes string and numeric labels"):
        build_tasks(y, "classification")



def test_strings_mixed_with_numbers_are_rejected_but_nan_and_none_are_missing_labels():
    y = np.column_stack([object_column(0, 1, 0, 1), object_column("a", 1.5, "b", "a")])
    with pytest.raises(ValueError, match="'aux_1' mixes string and numeric labels"):
        build_tasks(y, "classification")
    y[:, 1] = object_column("a", np.nan, "b", None)
    tasks, encoded = build_tasks(y, "classification")
    assert tasks[1].classes.tolist() == ["a", "b"]
    assert np.isnan(encoded[[1, 3], 1]).all()



@pytest.mark.parametrize("column, message", [
    (np.array([1 + 1j, 2, 3, 4]), "complex numbers"),
    (object_column(1.0, 2j, None, 3.0), r"a value of type complex \(2j\)"),
    (object_column(1.0, np.complex128(2), 0.5, 3.0), "a value of type complex128"),
    (np.array(["2020-01-01"] * 4, dtype="datetime64[D]"), "dates or times"),
    (np.array([1, 2, 3, 4], dtype="timedelta64[s]"), "time differences"),
    (object_column(pd.Timestamp("2020-01-01"), None, pd.Timestamp("2021-01-01"), None),
     "a value of type Timestamp"),
    (np.array([b"a", b"b", b"a", b"b"]), "a value of type bytes"),  # pandas makes objects
    (object_column("a", {"b": 1}, "a", "b"), "a value of type dict"),
])
def test_unsupported_aux_values_are_rejected(column, message):
    y = np.empty((4, 2), dtype=object)
    y[:, 0], y[:, 1] = [0, 1, 0, 1], column
    with pytest.raises(ValueError, match=f"Task 'aux_1' holds {message}"):
        build_tasks(y if column.dtype.kind == "O" else _frame(column), "classification")



def _frame(column):
    return pd.DataFrame({"main": [0, 1, 0, 1], "aux_1": column})



@pytest.mark.parametrize("main, main_kind", [
    (np.array([1 + 1j, 2, 3]), "regression"),  # not cast to real numbers
    (np.array([1 + 1j, 2, 3]), "classification"),
    (np.array(["2020-01-01", "2020-01-02", "2020-01-01"], dtype="datetime64[D]"),
     "classification"),  # dates are not classes
    (np.array([b"a", b"b", b"a"]), "classification"),
])
def test_unsupported_main_values_are_rejected(main, main_kind):
    with pytest.raises(ValueError, match="Task 'main' holds (complex numbers|dates|bytes)"):
        build_tasks(main, main_kind)

