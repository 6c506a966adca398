"""Targets: turn a user's ``y`` into one main task and auxiliary tasks.

Every task is described by a :class:`Task`, which knows its type, encodes its
column into a float vector (class index or standardised value, NaN for a
missing label) and decodes network outputs back into the user's units.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _assert_all_finite

TASK_TYPES = ("binary", "multiclass", "regression")
#: ``aux_tasks`` entries a user may give; "classification" means binary or
#: multiclass, whichever the number of classes says.
USER_TASK_TYPES = TASK_TYPES + ("classification",)
#: Integer columns with at most this many distinct values are classes.
MAX_INTEGER_CLASSES = 20


@dataclass
class Task:
    """One prediction task: its name, type and encoding.

    Parameters
    ----------
    name : str
        Task name, from the DataFrame column or ``"main"`` / ``"aux_k"``.
    kind : {"binary", "multiclass", "regression"}
        Task type; decides the head's output size and the loss.
    classes : ndarray or None
        Sorted class labels of a classification task.
    mean, scale : float
        Standardisation of a regression task (``scale`` is never 0).
    """

    name: str
    kind: str
    classes: np.ndarray | None = None
    mean: float = 0.0
    scale: float = 1.0
    n_labelled: int = field(default=0, compare=False)

    @property
    def n_outputs(self):
        """Width of the head's output layer."""
        return len(self.classes) if self.kind == "multiclass" else 1

    def encode(self, column):
        """Encode a column as float32: class index or standardised value, NaN if missing."""
        missing = missing_mask(column)
        encoded = np.full(len(column), np.nan, dtype=np.float64)
        present = column[~missing]
        if self.kind == "regression":
            encoded[~missing] = (present.astype(np.float64) - self.mean) / self.scale
        else:
            classes, present = _comparable(self.classes, present, self.name)
            index = np.searchsorted(classes, present)
            index = np.clip(index, 0, len(classes) - 1)
            unknown = classes[index] != present
            if np.any(unknown):
                raise ValueError(
                    f"Task {self.name!r} has labels not seen in fit: "
                    f"{np.unique(present[unknown])[:5].tolist()}."
                )
            encoded[~missing] = index
        return encoded.astype(np.float32)

    def decode(self, output):
        """Turn the head's raw output (numpy, shape (n, n_outputs)) into predictions."""
        if self.kind == "regression":
            # float64, as scikit-learn regressors return, in the target's own units.
            return output[:, 0].astype(np.float64) * self.scale + self.mean
        return self.classes[self.class_index(output)]

    def class_index(self, output):
        """Index of the predicted class for each row."""
        if self.kind == "binary":
            return (output[:, 0] > 0).astype(np.intp)
        return np.argmax(output, axis=1)

    def probabilities(self, output):
        """Class probabilities from the head's logits, shape (n, n_classes)."""
        if self.kind == "binary":
            positive = 1.0 / (1.0 + np.exp(-output[:, 0].astype(np.float64)))
            return np.column_stack([1.0 - positive, positive])
        logits = output.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def _comparable(classes, labels, name):
    """Cast fitted classes and new labels to one dtype so that they can be matched."""
    try:
        if classes.dtype.kind in "iufb":
            return classes.astype(np.float64), labels.astype(np.float64)
        return classes, labels.astype(classes.dtype.kind == "U" and str or object)
    except (TypeError, ValueError):
        raise ValueError(
            f"Task {name!r} has labels of another type than those seen in fit "
            f"({classes.dtype}): {labels[:5].tolist()}."
        ) from None


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


def split_target_columns(y):
    """Split ``y`` into a list of 1-D object or numeric columns and their names.

    A 1-D ``y`` (or a single-column 2-D one, with a DataConversionWarning)
    gives one column. DataFrame column names become task names.
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
    return columns, names


def main_target_column(y):
    """Column 0 of ``y`` (1-D or 2-D), for scoring; object labels get a plain dtype.

    A 2-D object ``y`` (needed to mix label types or hold None) makes the main
    column an object array, which scikit-learn's metrics would not recognise as
    class labels.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)  # a column vector is fine here
        main = split_target_columns(y)[0][0]
    if main.dtype.kind == "O" and not missing_mask(main).any():
        return _uniform_labels(main, "main")
    return main


def _pandas_column(series):
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        return series.to_numpy()
    # Categorical and nullable extension dtypes (Int64, boolean, string):
    # objects, with None where the label is missing.
    return series.to_numpy(dtype=object, na_value=None)


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
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                      for v in present)
        if not numeric:
            return _classification_kind(_uniform_labels(present, name))
        # Python ints are integers, any float makes the column a float one,
        # as in the numeric dtypes below.
        if all(isinstance(v, Integral) for v in present):
            return _integer_kind(present.astype(np.int64))
        return _float_kind(present.astype(np.float64))
    if column.dtype.kind in "bSU":
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


def build_task(column, name, kind, *, main=False):
    """Fit a :class:`Task` of the given kind on a column (missing labels allowed)."""
    if kind not in USER_TASK_TYPES:
        raise ValueError(
            f"Unknown task type {kind!r} for task {name!r}; expected one of {USER_TASK_TYPES}."
        )
    missing = missing_mask(column)
    if main and missing.any():
        if column.dtype.kind == "f":
            _assert_all_finite(column, input_name="y")
        raise ValueError(
            f"The main target (column 0 of y, {name!r}) has {int(missing.sum())} missing "
            "labels; only auxiliary targets may have missing labels."
        )
    if missing.all():
        raise ValueError(f"Auxiliary target {name!r} has no label at all (every row is missing).")
    present = column[~missing]
    if kind == "regression":
        return _regression_task(present, name)
    if present.dtype.kind == "f":
        _assert_all_finite(present, input_name=f"y[{name!r}]")
    if present.dtype.kind == "O":
        present = _uniform_labels(present, name)
    classes = np.unique(present)
    if kind == "classification":
        kind = "binary" if len(classes) <= 2 else "multiclass"
    if kind == "binary" and len(classes) > 2:
        raise ValueError(f"Task {name!r} was declared binary but has {len(classes)} classes.")
    task = Task(name=name, kind=kind, classes=classes)
    task.n_labelled = len(present)
    return task


def _uniform_labels(present, name):
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


def _regression_task(present, name):
    try:
        values = present.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Regression target {name!r} holds non-numeric values: {error}"
        ) from None
    _assert_all_finite(values, input_name="y" if name == "main" else f"y[{name!r}]")
    scale = float(values.std())
    task = Task(
        name=name,
        kind="regression",
        mean=float(values.mean()),
        scale=scale if scale > 0 and np.isfinite(scale) else 1.0,
    )
    task.n_labelled = len(values)
    return task


def build_tasks(y, main_kind, aux_tasks="auto"):
    """Describe every column of ``y`` as a task and encode them.

    Parameters
    ----------
    y : array-like or DataFrame of shape (n_samples,) or (n_samples, n_tasks)
        Column 0 is the main target; other columns are auxiliary targets.
    main_kind : {"classification", "regression"}
        Type of the main task, set by the estimator.
    aux_tasks : "auto" or list of str
        Type of each auxiliary column, or "auto" to infer them.

    Returns
    -------
    tasks : list of Task
    encoded : ndarray of shape (n_samples, n_tasks), float32
        Class indices or standardised values, NaN where a label is missing.
    """
    columns, names = split_target_columns(y)
    main = columns[0]
    if main.dtype.kind in "fc" or main_kind == "regression":
        _assert_all_finite(_as_numeric(main, main_kind), input_name="y")
    if main_kind == "classification":
        labels = main[~missing_mask(main)]
        # An object column of numbers (e.g. a 2-D object y) holds discrete labels too.
        check_classification_targets(
            _uniform_labels(labels, names[0]) if labels.dtype.kind == "O" else labels)
    tasks = [build_task(main, names[0], main_kind, main=True)]
    if main_kind == "classification" and len(tasks[0].classes) < 2:
        raise ValueError(
            "The main target needs samples of at least 2 classes in the data, but the "
            f"data contains only one class: {tasks[0].classes[0]!r}."
        )
    aux_columns = columns[1:]
    if isinstance(aux_tasks, str):
        if aux_tasks != "auto":
            raise ValueError(f"aux_tasks must be 'auto' or a list of task types, got {aux_tasks!r}.")
        kinds = [infer_task_kind(column, name) for column, name in zip(aux_columns, names[1:])]
    else:
        kinds = list(aux_tasks)
        if len(kinds) != len(aux_columns):
            raise ValueError(
                f"aux_tasks lists {len(kinds)} types but y has {len(aux_columns)} "
                "auxiliary columns."
            )
    tasks += [build_task(col, name, kind) for col, name, kind in zip(aux_columns, names[1:], kinds)]
    encoded = np.column_stack([task.encode(col) for task, col in zip(tasks, columns)])
    return tasks, encoded


def _as_numeric(column, main_kind):
    if column.dtype.kind in "fc":
        return column
    try:
        return column.astype(np.float64)
    except (TypeError, ValueError):
        if main_kind == "regression":
            raise ValueError("The main target of a regressor must be numeric.") from None
        return np.zeros(0)


def encode_targets(tasks, y):
    """Encode a new ``y`` (e.g. for ``score``) with fitted tasks."""
    columns, _ = split_target_columns(y)
    if len(columns) > len(tasks):
        raise ValueError(f"y has {len(columns)} columns, but the model has {len(tasks)} tasks.")
    return [task.encode(col) for task, col in zip(tasks, columns)]
