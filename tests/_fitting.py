"""Small data sets and fit settings shared by the test modules.

``tests/`` is on pytest's ``pythonpath``, so a test module imports these as
``from _fitting import FAST, mixed_data``. The fixtures (``mixed``, built on
:func:`mixed_data`, and ``quiet``) are in ``tests/conftest.py``.
"""

import warnings

import joblib
import numpy as np

from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import STRATEGIES

#: A few epochs of a small network: enough to exercise fit and predict.
FAST = {"max_iter": 5, "hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}

#: The registered strategies that need no optional dependency.
STRATEGY_NAMES = [name for name in STRATEGIES if name != "torchjd"]


def mixed_data(n_samples=160, seed=0):
    """Features and a 2-D object y: main binary (0/1), aux binary strings with
    missing labels, aux multiclass strings, aux regression in large units with NaN."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 5)) * [1, 10, 100, 1, 1]
    signal = X[:, 0] + X[:, 1] / 10
    y = np.empty((n_samples, 4), dtype=object)
    y[:, 0] = (signal > 0).astype(int)
    y[:, 1] = np.where(X[:, 0] > 0, "up", "down")
    y[::4, 1] = None
    y[:, 2] = np.array(["red", "green", "blue"])[rng.randint(3, size=n_samples)]
    y[:, 3] = 1000.0 + 50.0 * signal
    y[::5, 3] = np.nan
    return X, y


def regression_data(n_samples=160, seed=0):
    """Features and a regression main target beside a binary auxiliary one with NaN."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 4))
    main = X @ [2.0, -1.0, 0.5, 0.0]
    aux = (X[:, 0] > 0).astype(float)
    aux[::3] = np.nan
    return X, np.column_stack([main, aux])


def auxiliary_data(n_samples=300, n_features=6, n_informative=4, seed=0):
    """``make_auxiliary_tasks``' X and y (main binary, two auxiliary tasks)."""
    X, y, _ = make_auxiliary_tasks(n_samples=n_samples, n_features=n_features,
                                   n_informative=n_informative, random_state=seed)
    return X, y


def object_column(*values):
    """A 1-D object array holding ``values`` as given (numpy would convert a list)."""
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def fit_quietly(model, X, y, **fit_params):
    """``model.fit`` with every warning silenced (convergence, device, ...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **fit_params)


def fitted_attributes(model):
    """The names of an estimator's fitted attributes (ending in ``_``)."""
    return {name for name in vars(model) if name.endswith("_") and not name.startswith("__")}


def grid_search(X, y, n_jobs, backend=None, **backend_options):
    """A small search over ``weighting`` ("equal", "hydalearn"), run under a joblib backend."""
    from sklearn.model_selection import GridSearchCV

    from hydasklearn import HydaMultiTaskClassifier
    from hydasklearn.metrics import main_task_scorer

    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    search = GridSearchCV(model, {"weighting": ["equal", "hydalearn"]}, cv=2, n_jobs=n_jobs,
                          scoring=main_task_scorer("roc_auc"))
    if backend is None:
        return fit_quietly(search, X, y)
    with joblib.parallel_backend(backend, **backend_options):
        return fit_quietly(search, X, y)
