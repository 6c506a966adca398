"""What the real-data loaders share: the package that ships the data, target names, output.

Every loader reads files installed with an optional dependency (no download
at run time) and returns numeric features, ready for a ``StandardScaler``,
and a target frame whose first column is the main target and whose other
columns are auxiliary targets.
"""

from __future__ import annotations

import numpy as np


def check_names(names, allowed, parameter):
    """``names`` as a tuple; a ValueError for a name not ``allowed`` or named twice."""
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"Unknown {parameter} {unknown}; expected names from {list(allowed)}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{parameter} names a column twice: {list(names)}.")
    return names


def frames_or_arrays(X, y, as_frame):
    """The DataFrames ``X`` and ``y``, or both as float ndarrays (NaN where missing)."""
    if as_frame:
        return X, y
    return X.to_numpy(dtype=np.float64), y.astype("float64").to_numpy(dtype=np.float64,
                                                                      na_value=np.nan)


def require(module, extra, loader):
    """Import the package a loader reads its data from, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0]
        raise ImportError(
            f"{loader}() reads its data from the {package!r} package, which is not installed. "
            f"Install the optional extra: pip install 'hydasklearn[{extra}]'."
        ) from error
