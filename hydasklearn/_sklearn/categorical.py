"""Categorical features: which columns of ``X`` they are, their categories, their codes.

``categorical_features`` names the columns; a fit learns each one's
categories (sorted; a missing value is not a category) and fixes them for
every later call (``predict``, ``partial_fit``, a warm start). Every call
then hands the network one float array: the numeric columns, checked as
before, followed by one code column per categorical column, which the
network embeds (:mod:`hydasklearn._model.embeddings`): ``0 .. n - 1`` the
categories, ``n`` a category not seen in fit, ``n + 1`` a missing value.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.utils.validation import _get_feature_names, check_array, validate_data

from .._model.embeddings import MISSING, UNKNOWN


def categorical_mask(estimator, X, reset):
    """Which columns of ``X`` are categorical, or None for none.

    At fit (``reset``) from ``estimator.categorical_features``, stored as
    ``is_categorical_`` (and ``categories_`` emptied); later, the stored
    mask. Either way, a column that holds strings or pandas categories but
    is not categorical raises a ValueError naming it.
    """
    strings = string_columns(X)
    if reset:
        estimator.is_categorical_, estimator.categories_ = None, []
        if not len(strings):  # not a 2-D table: validate_data says what is wrong
            return None
        mask = _resolve(estimator.categorical_features, len(strings), _get_feature_names(X),
                        strings)
        if mask.any():
            estimator.is_categorical_ = mask
    else:
        mask = getattr(estimator, "is_categorical_", None)
        if mask is None:
            mask = np.zeros(len(strings), dtype=bool)
    if len(mask) == len(strings):  # else validate_data raises on the number of columns
        _check_no_strings(strings & ~mask, X, reset, estimator)
    return estimator.is_categorical_


def encoded_X(estimator, X, mask, reset):
    """The numeric columns of ``X`` as floats, then a code column per categorical column.

    Sets ``n_features_in_``, ``feature_names_in_`` and ``categories_`` at fit, checks
    them later.

    Returns
    -------
    ndarray of shape (n_samples, n_numeric + n_categorical), float64
    """
    if sparse.issparse(X):
        raise TypeError("A sparse X cannot hold categorical columns: pass a dense array or a "
                        "DataFrame, or set categorical_features=None.")
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    frame = hasattr(X, "iloc")
    if not frame:
        X = np.asarray(X, dtype=object) if not hasattr(X, "dtype") else np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array, got an array of shape {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
                         "of 1 is required.")
    numeric_columns = np.flatnonzero(~mask)
    numeric = np.empty((X.shape[0], 0))
    if len(numeric_columns):
        part = X.iloc[:, numeric_columns] if frame else X[:, numeric_columns]
        numeric = check_array(part, dtype=[np.float64, np.float32], input_name="X")
    names = _get_feature_names(X) if frame else None
    columns = [(X.iloc[:, j] if frame else X[:, j], _label(names, j))
               for j in np.flatnonzero(mask)]
    if reset:
        estimator.categories_ = [learn_categories(values, label) for values, label in columns]
    codes = [category_codes(values, categories)
             for (values, _), categories in zip(columns, estimator.categories_)]
    return np.column_stack([numeric.astype(np.float64, copy=False), *codes])


def string_columns(X):
    """Boolean mask of the columns of ``X`` that hold strings or pandas categories.

    pandas: ``category`` and string dtypes, and object columns holding a
    string; numpy: every column of a string array, object columns holding a
    string; sparse matrices and arrays of numbers: none.
    """
    if sparse.issparse(X):
        return np.zeros(X.shape[1] if len(X.shape) == 2 else 0, dtype=bool)
    if hasattr(X, "iloc") and hasattr(X, "dtypes"):
        return np.array([_holds_strings(X.iloc[:, j], dtype)
                         for j, dtype in enumerate(X.dtypes)], dtype=bool)
    if not hasattr(X, "dtype"):
        try:
            X = np.asarray(X, dtype=object)
        except (TypeError, ValueError):
            return np.zeros(0, dtype=bool)
    if X.ndim != 2:
        return np.zeros(0, dtype=bool)
    if X.dtype.kind in "US":
        return np.ones(X.shape[1], dtype=bool)
    if X.dtype.kind != "O":
        return np.zeros(X.shape[1], dtype=bool)
    return np.array([_any_string(X[:, j]) for j in range(X.shape[1])], dtype=bool)


def _holds_strings(column, dtype):
    import pandas as pd

    if isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)):
        return True
    return dtype == object and _any_string(column.to_numpy())


def _any_string(values):
    return any(isinstance(value, (str, bytes)) for value in values)


def learn_categories(values, label):
    """The sorted categories of a column (missing values left out).

    Raises
    ------
    TypeError
        When they cannot be sorted (strings mixed with numbers).
    """
    present = np.asarray(values, dtype=object)[~is_missing(values)]
    distinct = set(present.tolist())
    try:
        ordered = sorted(distinct)
    except TypeError:
        kinds = sorted({type(value).__name__ for value in distinct})
        raise TypeError(f"Categorical column {label} mixes values of types {kinds}, which "
                        "cannot be sorted; convert them to one type (e.g. str).") from None
    categories = np.empty(len(ordered), dtype=object)
    categories[:] = ordered
    return categories


def category_codes(values, categories):
    """Codes of a column's values: their category's position, or the unknown or missing code.

    Parameters
    ----------
    values : pandas Series or ndarray of shape (n_samples,)
    categories : ndarray
        What :func:`learn_categories` found in fit.

    Returns
    -------
    ndarray of shape (n_samples,), float64
    """
    n = len(categories)
    missing = is_missing(values)
    dtype = getattr(values, "dtype", None)
    if type(dtype).__name__ == "CategoricalDtype":
        # A pandas category column: look up each level once, then index by the level
        # codes (-1, a missing value, picks the code appended last).
        levels = np.append(_lookup(np.asarray(dtype.categories, dtype=object), categories),
                           n + MISSING)
        codes = levels[np.asarray(values.cat.codes)]
    else:
        codes = _lookup(np.asarray(values, dtype=object), categories)
    codes[missing] = n + MISSING
    return codes


def _lookup(values, categories):
    position = {category: k for k, category in enumerate(categories.tolist())}
    unknown = len(categories) + UNKNOWN
    return np.fromiter((position.get(value, unknown) for value in values.tolist()),
                       dtype=np.float64, count=len(values))


def is_missing(values):
    """Boolean mask of the missing values (None, NaN, ``pd.NA``, ``NaT``)."""
    try:
        import pandas as pd
    except ImportError:  # numpy input without pandas: None and NaN
        values = np.asarray(values)
        if values.dtype.kind == "f":
            return np.isnan(values)
        if values.dtype.kind != "O":
            return np.zeros(len(values), dtype=bool)
        return np.array([value is None or (isinstance(value, float) and np.isnan(value))
                         for value in values], dtype=bool)
    return np.asarray(pd.isna(values), dtype=bool)


def _resolve(spec, n_features, names, strings):
    """``categorical_features`` as a boolean mask of the columns."""
    if spec is None:
        return np.zeros(n_features, dtype=bool)
    if isinstance(spec, str):  # "from_dtype", the one string the parameter takes
        return strings.copy()
    spec = np.asarray(spec)
    mask = np.zeros(n_features, dtype=bool)
    if spec.size == 0:
        return mask
    if spec.ndim != 1:
        raise ValueError(f"categorical_features must be 'from_dtype', None or a 1-D list of "
                         f"column names, indices or booleans; got shape {spec.shape}.")
    if spec.dtype.kind == "b":
        if len(spec) != n_features:
            raise ValueError(f"categorical_features is a boolean mask of {len(spec)} values, "
                             f"but X has {n_features} columns.")
        return spec.copy()
    if spec.dtype.kind in "iu":
        outside = [int(j) for j in spec if not 0 <= j < n_features]
        if outside:
            raise ValueError(f"categorical_features holds column indices {outside} outside "
                             f"[0, {n_features - 1}] (X has {n_features} columns).")
        mask[spec] = True
        return mask
    if spec.dtype.kind in "UO" and all(isinstance(name, str) for name in spec.tolist()):
        if names is None:
            raise ValueError(
                f"categorical_features names columns {spec.tolist()}, but X has no column "
                "names: pass a DataFrame, or give column indices or a boolean mask.")
        position = {name: j for j, name in enumerate(names.tolist())}
        unknown = [name for name in spec.tolist() if name not in position]
        if unknown:
            raise ValueError(f"categorical_features names columns {unknown} that X does not "
                             f"have; its columns are {names.tolist()}.")
        mask[[position[name] for name in spec.tolist()]] = True
        return mask
    raise ValueError("categorical_features must be 'from_dtype', None, or a list of column "
                     f"names, of column indices or of booleans; got {spec.tolist()!r}.")


def _check_no_strings(strings, X, reset, estimator):
    """Raise if a column treated as numeric holds strings or categories."""
    columns = np.flatnonzero(strings)
    if not len(columns):
        return
    label = _label(_get_feature_names(X), columns[0])
    if reset:
        setting = estimator.categorical_features
        why = ("categorical_features=None treats every column as numeric" if setting is None
               else f"it is not among categorical_features={setting!r}")
        raise ValueError(
            f"Column {label} of X holds strings or categories, but {why}. Leave "
            "categorical_features='from_dtype' (the default) or name the column there to "
            "embed it, or encode it first (e.g. with OneHotEncoder).")
    raise ValueError(f"Column {label} of X holds strings or categories, but it was numeric "
                     "in fit.")


def _label(names, j):
    return f"{names[j]!r}" if names is not None else f"{int(j)}"
