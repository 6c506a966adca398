"""One column's values: missing labels, the kind of task they make, what no task can hold.

:func:`infer_task_kind` guesses a task type from a column's present values;
:func:`check_column` refuses values that no task can learn from (complex
numbers, dates and times, bytes, arbitrary objects) with a ValueError naming
the column; :func:`uniform_labels` refuses strings mixed with numbers.
Fitting a task on a column is :mod:`hydasklearn._tasks.task`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

TASK_TYPES = ("binary", "multiclass", "regression")
#: ``aux_tasks`` entries a user may give; "classification" means binary or
#: multiclass, whichever the number of classes says.
USER_TASK_TYPES = TASK_TYPES + ("classification",)
#: Integer columns with at most this many distinct values are classes.
MAX_INTEGER_CLASSES = 20
#: What a dtype that no task can hold is, in an error message.
_UNSUPPORTED_KINDS = {"c": "complex numbers", "M": "dates or times", "m": "time differences",
                      "S": "bytes", "V": "raw or structured records"}


def missing_mask(column):
    """Boolean mask of missing entries (NaN, None, pandas NA) in a 1-D array."""
    if column.dtype.kind == "f":
        return np.isnan(column)
    if column.dtype.kind != "O":
        return np.zeros(len(column), dtype=bool)
    return np.array([_is_missing(value) for value in column], dtype=bool)


def _is_missing(value):
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


def check_column(column, name):
    """Raise a ValueError naming the column if no task can hold its values.

    Numbers, booleans and strings are accepted (in an object column too,
    next to missing labels); complex numbers, dates, bytes and other objects
    are not.
    """
    reason = _UNSUPPORTED_KINDS.get(column.dtype.kind)
    if reason is None and column.dtype.kind == "O":
        for value in column[~missing_mask(column)]:
            if not isinstance(value, (str, bool, np.bool_, Real)):
                reason = f"a value of type {type(value).__name__} ({value!r})"
                break
    if reason is not None:
        raise ValueError(
            f"Task {name!r} holds {reason}; a target column must hold numbers, booleans, "
            "strings or categories."
        )


def infer_task_kind(column, name="aux"):
    """Guess a task type from a column's present values.

    Strings, booleans and categories are classes; integers are classes when
    they take at most ``MAX_INTEGER_CLASSES`` values; floats are regression,
    except a float column holding only the integers 0 and 1 (a binary label
    whose missing entries forced a float dtype). ``name`` only appears in
    error messages.
    """
    present = column[~missing_mask(column)]
    if column.dtype.kind == "O":
        numeric = all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_))
                      for v in present)
        if not numeric:
            return _classification_kind(uniform_labels(present, name))
        # Python ints are integers, any float makes the column a float one,
        # as in the numeric dtypes below.
        if all(isinstance(v, Integral) for v in present):
            return _integer_kind(present.astype(np.int64))
        return _float_kind(present.astype(np.float64))
    if column.dtype.kind in "bU":
        return _classification_kind(present)
    if column.dtype.kind in "iu":
        return _integer_kind(present)
    if column.dtype.kind == "f":
        return _float_kind(present)
    raise ValueError(f"Cannot infer a task type for a column of dtype {column.dtype}.")


def _float_kind(present):
    return "binary" if np.isin(present, (0.0, 1.0)).all() else "regression"


def _integer_kind(present):
    n_values = len(np.unique(present))
    if n_values > MAX_INTEGER_CLASSES:
        return "regression"
    return _classification_kind(present)


def _classification_kind(present):
    return "binary" if len(np.unique(present)) <= 2 else "multiclass"


def uniform_labels(present, name):
    """Object labels must be sortable: all strings or all numbers.

    They get the narrowest dtype that holds them (bool, int, float or str), so
    that predictions come back as the labels the user gave.
    """
    types = {_label_type(v) for v in present}
    if "str" in types and len(types) > 1:
        raise ValueError(
            f"Task {name!r} mixes string and numeric labels; use one type of label per column."
        )
    only_type = types.pop() if len(types) == 1 else "number"
    dtype = {"str": str, "bool": bool, "int": np.int64}.get(only_type, np.float64)
    try:
        return present.astype(dtype)
    except (TypeError, ValueError):
        raise ValueError(
            f"Task {name!r} has labels that are neither strings nor numbers: "
            f"{present[:5].tolist()}."
        ) from None


def _label_type(value):
    if isinstance(value, str):
        return "str"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    return "int" if isinstance(value, Integral) else "number"
