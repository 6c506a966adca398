"""Generated problems with auxiliary tasks that help, hurt or both (see :mod:`hydasklearn.datasets`)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

RELATIONS = ("related", "noise", "conflicting")
AUX_TYPES = ("regression", "binary", "multiclass")


def make_auxiliary_tasks(n_samples=2000, n_features=20, n_informative=5, *,
                         main_type="binary", aux_relations=("related", "noise"),
                         aux_types="regression", group_relations=None, group_fraction=0.5,
                         main_noise=1.0, aux_noise=0.1, missing_rate=0.0,
                         as_frame=False, random_state=None):
    """Generate a main task and auxiliary tasks whose relevance is set per task.

    Features are standard normal. The main target depends on the first
    ``n_informative`` features through a latent score ``z = X w + 0.5 x_0 x_1``
    observed with noise ``main_noise``. Each auxiliary target is built from a
    latent of its own, according to its *relation* to the main task:

    - ``"related"``: the main task's latent ``z`` itself, with the small noise
      ``aux_noise``; it teaches the trunk exactly the features the main task
      needs, with cleaner labels;
    - ``"noise"``: independent of ``X``; its gradients are pure noise for the
      shared trunk;
    - ``"conflicting"``: a non-linear function of *other* features (those
      after the informative ones), which competes with the main task for the
      shared trunk's capacity. (A label that is merely the main label flipped
      would not conflict: its head learns the flip.)

    Parameters
    ----------
    n_samples : int, default=2000
    n_features : int, default=20
        At least ``2 * n_informative`` when a task is ``"conflicting"``.
    n_informative : int, default=5
        Number of features the main task depends on.
    main_type : {"binary", "regression"}, default="binary"
    aux_relations : sequence of {"related", "noise", "conflicting"}
        One entry per auxiliary task.
    aux_types : str or sequence of {"regression", "binary", "multiclass"}
        Type of every auxiliary target (one for all, or one per task).
        Multiclass targets are the latent cut into three equally likely classes.
    group_relations : sequence of str or None, default=None
        When given, samples are split into subgroup 1 (a ``group_fraction``
        share) and subgroup 0; in subgroup 1 auxiliary task k has relation
        ``aux_relations[k]``, in subgroup 0 ``group_relations[k]``. Makes
        per-batch weights testable against the batch composition.
    group_fraction : float, default=0.5
    main_noise : float, default=1.0
        Noise added to the main latent before it is thresholded/observed.
    aux_noise : float, default=0.1
        Noise added to every auxiliary latent (relative to its scale).
    missing_rate : float, default=0.0
        Share of auxiliary labels removed at random (NaN, or pandas NA).
    as_frame : bool, default=False
        Return pandas DataFrames (``x0``..., and ``main``, ``aux_1``...), with
        nullable ``Int64`` class columns so types are inferred correctly.
        Requires pandas.
    random_state : int, RandomState instance or None

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, n_features)
    y : ndarray or DataFrame of shape (n_samples, 1 + n_aux)
        Column 0 is the main target. As an array, ``y`` is float: binary
        labels are 0.0 / 1.0 and inferred as binary; multiclass labels are
        class codes 0.0, 1.0, 2.0, which ``aux_tasks="auto"`` would read as
        regression, so pass ``aux_tasks`` or use ``as_frame=True``.
    groups : ndarray of shape (n_samples,)
        Subgroup of every sample (all 1 without ``group_relations``).

    Examples
    --------
    >>> from hydasklearn.datasets import make_auxiliary_tasks
    >>> X, y, groups = make_auxiliary_tasks(n_samples=100, random_state=0)
    >>> X.shape, y.shape, groups.tolist().count(1)
    ((100, 20), (100, 3), 100)
    """
    rng = check_random_state(random_state)
    n_aux = len(aux_relations)
    types = [aux_types] * n_aux if isinstance(aux_types, str) else list(aux_types)
    _check_options(aux_relations, types, group_relations, main_type, n_features,
                   n_informative, missing_rate)
    X = rng.normal(size=(n_samples, n_features))
    coefficients = rng.normal(size=n_informative)
    latent = X[:, :n_informative] @ coefficients + 0.5 * X[:, 0] * X[:, 1]
    latent /= latent.std()
    main = latent + main_noise * rng.normal(size=n_samples)
    main = (main > 0).astype(np.float64) if main_type == "binary" else main
    groups = np.ones(n_samples, dtype=np.intp)
    if group_relations is not None:
        groups = (rng.uniform(size=n_samples) < group_fraction).astype(np.intp)
    columns = [main]
    for k in range(n_aux):
        aux_latent = _latent(aux_relations[k], latent, X, n_informative, rng)
        if group_relations is not None:
            other = _latent(group_relations[k], latent, X, n_informative, rng)
            aux_latent = np.where(groups == 1, aux_latent, other)
        aux_latent = aux_latent + aux_noise * rng.normal(size=n_samples)
        column = _observe(aux_latent, types[k])
        column[rng.uniform(size=n_samples) < missing_rate] = np.nan
        columns.append(column)
    y = np.column_stack(columns)
    if as_frame:
        return _as_frame(X, y, [main_type] + types) + (groups,)
    return X, y, groups


def _check_options(relations, types, group_relations, main_type, n_features, n_informative,
                   missing_rate):
    for relation in list(relations) + list(group_relations or []):
        if relation not in RELATIONS:
            raise ValueError(f"Unknown relation {relation!r}; expected one of {RELATIONS}.")
    if len(types) != len(relations):
        raise ValueError(f"aux_types gives {len(types)} types for {len(relations)} tasks.")
    for kind in types:
        if kind not in AUX_TYPES:
            raise ValueError(f"Unknown auxiliary type {kind!r}; expected one of {AUX_TYPES}.")
    if group_relations is not None and len(group_relations) != len(relations):
        raise ValueError("group_relations needs one relation per auxiliary task.")
    if main_type not in ("binary", "regression"):
        raise ValueError(f"main_type must be 'binary' or 'regression', got {main_type!r}.")
    if "conflicting" in list(relations) + list(group_relations or []) and (
            n_features < 2 * n_informative):
        raise ValueError("A conflicting task needs n_features >= 2 * n_informative.")
    if not 0 <= missing_rate < 1:
        raise ValueError(f"missing_rate must be in [0, 1), got {missing_rate}.")


def _latent(relation, main_latent, X, n_informative, rng):
    if relation == "related":
        return main_latent.copy()
    if relation == "noise":
        return rng.normal(size=len(X))
    other = X[:, n_informative:2 * n_informative]
    latent = np.sin(2 * other @ rng.normal(size=other.shape[1])) + other[:, 0] * other[:, 1]
    return latent / latent.std()


def _observe(latent, kind):
    if kind == "regression":
        return latent
    if kind == "binary":
        return (latent > 0).astype(np.float64)
    return np.digitize(latent, np.quantile(latent, [1 / 3, 2 / 3])).astype(np.float64)


def _as_frame(X, y, types):
    import pandas as pd

    X_frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    names = ["main"] + [f"aux_{k}" for k in range(1, y.shape[1])]
    y_frame = pd.DataFrame({
        name: (pd.array(np.where(np.isnan(col), np.nan, col), dtype="Int64")
               if kind != "regression" else col)
        for name, col, kind in zip(names, y.T, types)
    })
    return X_frame, y_frame


# Loaders of real data that optional packages ship (extras "lending" and "mortality").
