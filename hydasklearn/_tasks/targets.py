"""Targets: turn a user's ``y`` into one main task and auxiliary tasks.

Column 0 of ``y`` is the main task, every further column an auxiliary task;
each column becomes a :class:`~hydasklearn._tasks.task.Task` (see
:mod:`hydasklearn._tasks.task` for what one column may hold). This module splits
``y`` into named columns and refuses a ``y`` that cannot be read as tasks,
with a ValueError naming the problem: no rows, no columns, two columns with
the same name (a DataFrame's names are the task names), a main target with
missing labels, a classifier's main target with a single class, or an
``aux_tasks`` list that does not match the auxiliary columns. An auxiliary
column with fewer than two distinct labels is no error: its task is left
out of training with a :class:`~hydasklearn._tasks.task.DegenerateTaskWarning`.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _assert_all_finite

from .kinds import (
    MAX_INTEGER_CLASSES,
    TASK_TYPES,
    USER_TASK_TYPES,
    check_column,
    infer_task_kind,
    missing_mask,
    uniform_labels,
)
from .task import DegenerateTaskWarning, Task, build_task, degenerate_reason

# The one-column names are re-exported: callers need only this module.
__all__ = ["MAX_INTEGER_CLASSES", "TASK_TYPES", "USER_TASK_TYPES", "DegenerateTaskWarning",
           "Task", "build_task",
           "build_tasks", "check_column", "encode_targets", "infer_task_kind",
           "main_target_column", "missing_mask", "split_target_columns"]


def split_target_columns(y):
    """Split ``y`` into a list of 1-D object or numeric columns and their names.

    A 1-D ``y`` (or a single-column 2-D one, with a DataConversionWarning)
    gives one column. DataFrame column names become task names, so they must
    be distinct.
    """
    if y is None:
        raise ValueError("This estimator requires y to be passed, but the target y is None.")
    names = None
    if hasattr(y, "iloc") and hasattr(y, "columns"):  # pandas DataFrame
        names = [str(name) for name in y.columns]
        columns = [_pandas_column(y.iloc[:, j]) for j in range(y.shape[1])]
        two_dimensional = True
    elif hasattr(y, "iloc"):  # pandas Series
        columns = [_pandas_column(y)]
        two_dimensional = False
    else:
        array = np.asarray(y)
        if array.ndim == 0 or array.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got an array of shape {array.shape}.")
        two_dimensional = array.ndim == 2
        columns = [array] if array.ndim == 1 else [array[:, j] for j in range(array.shape[1])]
    if len(columns) == 0:
        raise ValueError("y has no columns; the first column must hold the main target.")
    if two_dimensional and len(columns) == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change "
            "the shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
    if names is None:
        names = ["main"] + [f"aux_{k}" for k in range(1, len(columns))]
    _check_distinct(names)
    return columns, names


def _check_distinct(names):
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise ValueError(
            f"y has several columns named {', '.join(map(repr, repeated))}; the column names "
            "are the task names, so each must be unique (rename or drop the repeated columns)."
        )


def main_target_column(y):
    """Column 0 of ``y`` (1-D or 2-D), for scoring; object labels get a plain dtype.

    A 2-D object ``y`` (needed to mix label types or hold None) makes the main
    column an object array, which scikit-learn's metrics would not recognize as
    class labels.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)  # a column vector is fine here
        main = split_target_columns(y)[0][0]
    if main.dtype.kind == "O" and not missing_mask(main).any():
        return uniform_labels(main, "main")
    return main


def _pandas_column(series):
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        return series.to_numpy()
    # Categorical and nullable extension dtypes (Int64, boolean, string):
    # objects, with None where the label is missing.
    return series.to_numpy(dtype=object, na_value=None)


def build_tasks(y, main_kind, aux_tasks="auto", main_classes=None):
    """Describe every column of ``y`` as a task and encode them.

    Parameters
    ----------
    y : array-like or DataFrame of shape (n_samples,) or (n_samples, n_tasks)
        Column 0 is the main target; other columns are auxiliary targets.
    main_kind : {"classification", "regression"}
        Type of the main task, set by the estimator.
    aux_tasks : "auto" or list of str
        Type of each auxiliary column, or "auto" to infer them.
    main_classes : array-like or None
        A classifier's main classes, when given beforehand (``partial_fit``'s
        ``classes``): ``y`` then need not hold all of them.

    Returns
    -------
    tasks : list of Task
    encoded : ndarray of shape (n_samples, n_tasks), float32
        Class indices or standardized values, NaN where a label is missing.

    Raises
    ------
    ValueError
        If ``y`` or one of its columns cannot be read as a task; the message
        names the column.
    """
    columns, names = split_target_columns(y)
    if len(columns[0]) == 0:
        raise ValueError(f"Found y with 0 sample(s) (shape={np.shape(y)}) while a minimum of "
                         "1 is required.")
    for column, name in zip(columns, names):
        check_column(column, name)
    main = columns[0]
    if main.dtype.kind == "f" or main_kind == "regression":
        _assert_all_finite(_as_numeric(main, main_kind), input_name="y")
    if main_kind == "classification":
        labels = main[~missing_mask(main)]
        # An object column of numbers (e.g. a 2-D object y) holds discrete labels too.
        check_classification_targets(
            uniform_labels(labels, names[0]) if labels.dtype.kind == "O" else labels)
    source = main if main_classes is None else np.asarray(main_classes)
    tasks = [build_task(source, names[0], main_kind, main=True)]
    if main_kind == "classification" and len(tasks[0].classes) < 2:
        raise ValueError(
            "The main target needs samples of at least 2 classes in the data, but the "
            f"data contains only one class: {tasks[0].classes[:1].tolist()[0]!r}."
        )
    kinds = _aux_kinds(columns[1:], names[1:], aux_tasks)
    tasks += [build_task(col, name, kind)
              for col, name, kind in zip(columns[1:], names[1:], kinds)]
    for task in tasks[1:]:
        if task.left_out:
            warnings.warn(
                f"Auxiliary target {task.name!r} {degenerate_reason(task)}: its task is left "
                "out of this fit's training, and predict_tasks returns "
                f"{'that constant' if task.n_labeled else 'missing values'} for it.",
                DegenerateTaskWarning, stacklevel=5)
    encoded = np.column_stack([task.encode(col) for task, col in zip(tasks, columns)])
    return tasks, encoded


def _aux_kinds(columns, names, aux_tasks):
    """The declared or inferred type of every auxiliary column."""
    if isinstance(aux_tasks, str):
        if aux_tasks != "auto":
            raise ValueError(f"aux_tasks must be 'auto' or a list of task types, got {aux_tasks!r}.")
        return [infer_task_kind(column, name) for column, name in zip(columns, names)]
    kinds = list(aux_tasks)
    if len(kinds) != len(columns):
        raise ValueError(
            f"aux_tasks lists {len(kinds)} types but y has {len(columns)} auxiliary columns."
        )
    return kinds


def _as_numeric(column, main_kind):
    if column.dtype.kind == "f":
        return column
    try:
        return column.astype(np.float64)
    except (TypeError, ValueError):
        if main_kind == "regression":
            raise ValueError("The main target of a regressor must be numeric.") from None
        return np.zeros(0)


def encode_targets(tasks, y):
    """Encode a new ``y`` of every task (``partial_fit``'s later chunks) with fitted tasks.

    Returns
    -------
    ndarray of shape (n_samples, n_tasks), float32
    """
    columns, _ = split_target_columns(y)
    if len(columns) != len(tasks):
        raise ValueError(f"y has {len(columns)} columns, but the model has {len(tasks)} tasks.")
    for column, task in zip(columns, tasks):
        check_column(column, task.name)
    if np.any(missing_mask(columns[0])):
        raise ValueError(f"The main target {tasks[0].name!r} has missing labels.")
    return np.column_stack([task.encode(col) for task, col in zip(tasks, columns)])
