"""One target column as a task: its type, its encoding, its checks.

:class:`Task` encodes a column into a float vector (class index or
standardized value, NaN for a missing label) and decodes network outputs
back into the user's labels or units. :func:`build_task` fits one on a
column and refuses columns that no task can learn from (ValueError naming
the column; the value checks are :mod:`hydasklearn._tasks.kinds`):

* values that are not numbers, booleans, strings or categories: complex
  numbers, dates and times, bytes, arbitrary objects, or strings mixed with
  numbers in one column;
* infinite values, or regression values so far from the column's mean that
  their standardized value does not fit in float32 (the network's dtype).

An auxiliary column without any label, or with a single distinct label (a
constant), in the rows of one fit (a cross-validation fold, the first
``partial_fit`` chunk) is no error: its task is *left out* of training
(:attr:`Task.left_out`). It keeps its place among the tasks and a head in
the network, but its encoded column holds no label, so that its loss is 0
on every batch and every weighting strategy sees a task without labels; it
predicts the constant it saw. The caller warns with
:class:`DegenerateTaskWarning`.

Building the task list from the whole ``y`` is :mod:`hydasklearn._tasks.targets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.utils.validation import _assert_all_finite

from .kinds import USER_TASK_TYPES, check_column, missing_mask, uniform_labels


class DegenerateTaskWarning(UserWarning):
    """An auxiliary task has fewer than two distinct labels in a fit's rows.

    The task is left out of that fit's training (its head is not trained,
    every weighting strategy sees it without labels) and ``predict_tasks``
    returns the one label or value it saw (missing values where it saw
    none). Frequent with rare auxiliary labels under cross-validation:
    filter it with ``warnings.filterwarnings("ignore",
    category=DegenerateTaskWarning)``.
    """


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
        Standardization of a regression task (``scale`` is never 0).
    left_out : bool
        An auxiliary task with fewer than two distinct labels in the fit's
        rows: not trained (every label encodes as missing) and predicted as
        its constant: the one class in ``classes`` or ``mean`` (no class, or
        NaN, where it had no label).
    """

    name: str
    kind: str
    classes: np.ndarray | None = None
    mean: float = 0.0
    scale: float = 1.0
    n_labeled: int = field(default=0, compare=False)
    left_out: bool = False

    @property
    def n_outputs(self):
        """Width of the head's output layer (1 for a task left out)."""
        return len(self.classes) if self.kind == "multiclass" and not self.left_out else 1

    def encode(self, column):
        """Encode a column as float32: class index or standardized value, NaN if missing.

        A task left out encodes every label as missing (it is not trained).
        """
        missing = missing_mask(column)
        if self.left_out:
            return np.full(len(column), np.nan, dtype=np.float32)
        encoded = np.full(len(column), np.nan, dtype=np.float64)
        present = column[~missing]
        if self.kind == "regression":
            encoded[~missing] = self._standardize(present)
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

    def _standardize(self, present):
        values = _float_values(present, self.name)
        # In units of a power of two near the scale: exact, and x - mean
        # cannot overflow even for values near the float64 limit.
        exponent = np.frexp(self.scale)[1]
        standardized = ((np.ldexp(values, -exponent) - np.ldexp(self.mean, -exponent))
                        / np.ldexp(self.scale, -exponent))
        with np.errstate(over="ignore"):  # raised below
            finite = np.all(np.isfinite(standardized.astype(np.float32)))
        if not finite:
            raise ValueError(
                f"Regression target {self.name!r} has values too far from those seen in fit "
                f"(mean {self.mean:.3g}, standard deviation {self.scale:.3g}) to be "
                "standardized in float32."
            )
        return standardized

    def decode(self, output):
        """Turn the head's raw output (numpy, shape (n, n_outputs)) into predictions."""
        if self.left_out:
            return self._constant(len(output))
        if self.kind == "regression":
            # float64, as scikit-learn regressors return, in the target's own units
            # (computed in power-of-two units, as in encode, so that it cannot
            # overflow before the result does).
            exponent = np.frexp(self.scale)[1]
            scaled = (output[:, 0].astype(np.float64) * np.ldexp(self.scale, -exponent)
                      + np.ldexp(self.mean, -exponent))
            return np.ldexp(scaled, exponent)
        return self.classes[self.class_index(output)]

    def _constant(self, n_samples):
        """A left-out task's prediction: its one label or value, or missing values."""
        if self.kind == "regression":
            return np.full(n_samples, self.mean if self.n_labeled else np.nan)
        if len(self.classes):
            return np.repeat(self.classes, n_samples)
        return np.full(n_samples, None, dtype=object)

    def class_index(self, output):
        """Index of the predicted class for each row."""
        if self.kind == "binary":
            return (output[:, 0] > 0).astype(np.intp)
        return np.argmax(output, axis=1)

    def probabilities(self, output):
        """Class probabilities from the head's logits, shape (n, n_classes)."""
        if self.left_out:  # its one class, certain
            return np.ones((len(output), len(self.classes)))
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


def build_task(column, name, kind, *, main=False):
    """Fit a :class:`Task` of the given kind on a column (missing labels allowed).

    Parameters
    ----------
    column : ndarray of shape (n_samples,)
    name : str
        Task name, for error messages.
    kind : {"binary", "multiclass", "regression", "classification"}
    main : bool, default=False
        The main task must have every label. An auxiliary task with fewer
        than two distinct labels is :attr:`~Task.left_out`.

    Returns
    -------
    Task
    """
    if kind not in USER_TASK_TYPES:
        raise ValueError(
            f"Unknown task type {kind!r} for task {name!r}; expected one of {USER_TASK_TYPES}."
        )
    check_column(column, name)
    missing = missing_mask(column)
    if main and missing.any():
        if column.dtype.kind == "f":
            _assert_all_finite(column, input_name="y")
        raise ValueError(
            f"The main target (column 0 of y, {name!r}) has {int(missing.sum())} missing "
            "labels; only auxiliary targets may have missing labels."
        )
    present = column[~missing]
    if kind == "regression":
        task = (_regression_task(present, name) if len(present)
                else Task(name=name, kind="regression"))
        n_distinct = len(np.unique(_float_values(present, name)))
    else:
        task = _classification_task(present, name, kind)
        n_distinct = len(task.classes)
    if not main and n_distinct < 2:
        task.left_out = True
    return task


def degenerate_reason(task):
    """Why a task is left out, in words (for :class:`DegenerateTaskWarning`)."""
    if not task.n_labeled:
        return "has no label in these rows"
    if task.kind == "regression":
        return f"is constant ({task.mean!r} in all {task.n_labeled} labeled rows)"
    return (f"has a single distinct label ({task.classes[:1].tolist()[0]!r} in all "
            f"{task.n_labeled} labeled rows)")


def _classification_task(present, name, kind):
    if present.dtype.kind == "f":
        _assert_all_finite(present, input_name=f"y[{name!r}]")
    if present.dtype.kind == "O":
        present = uniform_labels(present, name)
    classes = np.unique(present)
    if kind == "classification":
        kind = "binary" if len(classes) <= 2 else "multiclass"
    if kind == "binary" and len(classes) > 2:
        raise ValueError(f"Task {name!r} was declared binary but has {len(classes)} classes.")
    return Task(name=name, kind=kind, classes=classes, n_labeled=len(present))


def _float_values(present, name):
    try:
        return present.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Regression target {name!r} holds non-numeric values: {error}"
        ) from None


def _regression_task(present, name):
    values = _float_values(present, name)
    _assert_all_finite(values, input_name="y" if name == "main" else f"y[{name!r}]")
    # Mean and standard deviation in units of a power of two near the largest
    # magnitude: exact, and the squares cannot overflow (values of 1e200).
    largest = float(np.max(np.abs(values)))
    exponent = np.frexp(largest)[1]
    scaled = np.ldexp(values, -exponent)
    scale = float(np.ldexp(scaled.std(), exponent))
    task = Task(name=name, kind="regression", mean=float(np.ldexp(scaled.mean(), exponent)),
                scale=scale if scale > 0 else 1.0, n_labeled=len(values))
    task.encode(present)  # the float32 check
    return task
