"""The scikit-learn face that both estimators share: validation, fit, predict.

The estimators validate input, describe the tasks, translate their
parameters into a skorch net (:mod:`hydasklearn._backend.build`) and read its
records; they never touch gradients.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._backend.batches import TensorDataset
from .._backend.build import apply_warm_start, build_net
from .._backend.divergence import DivergenceWarning
from .._model.network import ACTIVATIONS
from .._tasks.targets import build_tasks, encode_targets
from ..weighting import STRATEGIES, WeightingStrategy
from .fit_inputs import (
    check_trunk,
    checked_device,
    row_weights,
    training_datasets,
    validated_X,
)
from .fitted_records import training_records
from .history import training_history
from .prediction import PredictionMixin
from .task_report import estimator_task_report


class BaseHydaMultiTask(PredictionMixin, BaseEstimator):
    """Shared fit/predict logic; subclasses set the main task's kind."""

    _main_kind = None  # "classification" or "regression"

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "trunk": [callable, None],
        "weighting": [StrOptions(set(STRATEGIES)), "array-like", WeightingStrategy],
        "aux_tasks": [StrOptions({"auto"}), list, tuple],
        "head_layer_sizes": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "scoring": [StrOptions({"loss"}), str, callable],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [str, HasMethods(["__index__"]), torch.device],
        "callbacks": [list, None],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *,
                 trunk=None, weighting="hydalearn", aux_tasks="auto", head_layer_sizes=(),
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3,
                 max_iter=200, early_stopping=False, scoring="loss", validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, random_state=None, verbose=0,
                 warm_start=False, device="cpu", callbacks=None,
                 categorical_features="from_dtype"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.trunk = trunk
        self.weighting = weighting
        self.aux_tasks = aux_tasks
        self.head_layer_sizes = head_layer_sizes
        self.dropout = dropout
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.callbacks = callbacks
        self.categorical_features = categorical_features

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network on the main target and the auxiliary targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like or DataFrame of shape (n_samples,) or (n_samples, n_tasks)
            Column 0 is the main target; any further column is an auxiliary
            target (NaN / None where a row has no label for it). An auxiliary
            column with fewer than two distinct labels in these rows is left
            out of training, with a :class:`~hydasklearn.DegenerateTaskWarning`.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights: every task's loss is the weighted mean
            over its labeled rows, so a row of weight 0 counts as absent,
            and whatever the weighting strategy reads (gradients, gains)
            comes from the weighted losses.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "net_")
        with self._fitting(fresh=not continuing):
            return self._fit(X, y, sample_weight, continuing)

    @contextmanager
    def _fitting(self, fresh):
        """A fresh fit starts with no fitted attribute and, if it fails, ends with none."""
        if fresh:
            self._forget_fit()
        try:
            yield
        except BaseException:
            if fresh:
                self._forget_fit()
            raise

    def _fit(self, X, y, sample_weight, continuing):
        device = checked_device(self.device)
        check_trunk(self.hidden_layer_sizes, self.trunk)
        X = validated_X(self, X, reset=not continuing)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None.")
        tasks, encoded = build_tasks(y, self._main_kind, self.aux_tasks)
        if encoded.ndim != 2 or encoded.shape[0] == 0:
            raise ValueError(f"Found array with 0 sample(s) (shape={encoded.shape}) in y.")
        if len(encoded) != len(X):
            raise ValueError(
                f"X and y have inconsistent numbers of samples: X has {len(X)} rows, "
                f"y has {len(encoded)}.")
        if continuing and not _same_tasks(tasks, self._tasks):
            raise ValueError("warm_start=True needs the same tasks (names, types, classes) "
                             "as the previous fit.")
        weights = row_weights(X, sample_weight, self._class_weights(tasks[0], encoded[:, 0]))
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        stratify = encoded[:, 0] if self._main_kind == "classification" else None
        train, valid = training_datasets(
            X, encoded, weights, seed, device,
            self.validation_fraction if self.early_stopping else None, stratify)
        params = self.get_params(deep=False)
        epochs_before = len(self.net_.history) if continuing else 0
        with torch.enable_grad(), warnings.catch_warnings():
            # skorch warns when a callback is replaced on warm start; it is intended.
            warnings.filterwarnings("ignore", module="skorch")
            if continuing:
                apply_warm_start(self.net_, self._fit_params, params, len(train), valid)
                self.net_.partial_fit(train, None)
            else:
                net = build_net(params, X.shape[1], tasks, len(train), valid, seed,
                                cardinalities=[len(c) for c in self.categories_])
                net.fit(train, None)
                self.net_, self._tasks = net, tasks
        self._fit_params = params
        self._record_training(epochs_run=len(self.net_.history) - epochs_before)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch over the given rows, continuing any earlier call.

        As ``MLPClassifier.partial_fit``: the first call builds the network
        and fixes the tasks (their types, the auxiliary label sets and the
        regression scalings) from its rows; later calls continue training on
        new rows (the out-of-core path: pass a large data set chunk by
        chunk). Early stopping is not used; ``n_iter_`` counts the epochs,
        one per call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like or DataFrame of shape (n_samples,) or (n_samples, n_tasks)
            The same columns on every call.
        classes : array-like of shape (n_classes,), default=None
            Every class of the main task; required on a classifier's first
            call (a chunk need not hold them all), optional later.
        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`fit`.

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "net_")
        with self._fitting(fresh=first):
            if first:
                self._validate_params()
            return self._partial_fit(X, y, classes, sample_weight, first)

    def _partial_fit(self, X, y, classes, sample_weight, first):
        device = checked_device(self.device)
        check_trunk(self.hidden_layer_sizes, self.trunk)
        X = validated_X(self, X, reset=first)
        if y is None:
            raise ValueError(f"{type(self).__name__}.partial_fit requires y.")
        if first:
            tasks, encoded = build_tasks(y, self._main_kind, self.aux_tasks,
                                         main_classes=self._first_classes(classes))
        else:
            tasks = self._tasks
            self._check_same_classes(classes)
            encoded = encode_targets(tasks, y)
        if len(encoded) != len(X):
            raise ValueError(
                f"X and y have inconsistent numbers of samples: X has {len(X)} rows, "
                f"y has {len(encoded)}.")
        weights = row_weights(X, sample_weight, self._class_weights(tasks[0], encoded[:, 0]))
        train = TensorDataset(X, encoded, device, weights)
        # One epoch on all given rows: no validation split in streaming fits.
        params = {**self.get_params(deep=False), "early_stopping": False}
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="skorch")
            if first:
                seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
                net = build_net(params, X.shape[1], tasks, len(train), None, seed,
                                cardinalities=[len(c) for c in self.categories_])
                net.initialize()
                self.net_, self._tasks = net, tasks
            else:
                apply_warm_start(self.net_, self._fit_params, params, len(train), None)
            self.net_.partial_fit(train, None, epochs=1)
        self._fit_params = params
        self._record_training(epochs_run=0)
        return self

    def _first_classes(self, classes):
        """The main classes on the first ``partial_fit`` call (classifiers only)."""
        return None

    def _check_same_classes(self, classes):
        """A later ``partial_fit`` call may repeat, not change, the classes."""

    def _class_weights(self, main_task, main_codes):
        """Per-row weights of the main task's classes (the classifier's ``class_weight``)."""
        return None

    @property
    def weighting_(self):
        """The started weighting strategy (held by ``net_``, pickled once, with it)."""
        return self.net_.weighting_

    @property
    def auxiliary_task_report_(self):
        """Per auxiliary task: its average gain, weight, switch-off and verdict.

        Summed up from ``weight_history_`` and ``gain_history_`` when read
        (the columns are described under Attributes); a pandas DataFrame
        when pandas is installed, else a dict of arrays.
        """
        return estimator_task_report(self)

    def _forget_fit(self):
        """Remove every fitted attribute, so that a new fit replaces them all."""
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("__")]:
            delattr(self, name)
        for name in ("_tasks", "_fit_params"):
            self.__dict__.pop(name, None)

    def _record_training(self, epochs_run):
        self.task_names_ = [t.name for t in self._tasks]
        self.task_types_ = dict(zip(self.task_names_, [t.kind for t in self._tasks]))
        callbacks = dict(self.net_.callbacks_)
        stopper = callbacks["early_stopping"] if self._fit_params["early_stopping"] else None
        vars(self).update(training_records(self.net_.history, self.task_names_, stopper))
        if self._main_kind == "classification":
            self.classes_ = self._tasks[0].classes
        diverged = callbacks["divergence_guard"].message
        if diverged:
            warnings.warn(diverged, DivergenceWarning, stacklevel=3)
        elif epochs_run >= self.max_iter:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and the "
                "optimization has not converged yet.", ConvergenceWarning)

    def training_history(self, level="step"):
        """Training records as a pandas DataFrame, for notebook analysis.

        Parameters
        ----------
        level : {"step", "epoch"}, default="step"
            ``"step"``: one row per optimizer step, with columns ``epoch``,
            ``batch_size`` and, per task, ``weight_<task>``, ``gain_<task>``
            and ``loss_<task>``. ``"epoch"``: one row per epoch, with
            ``loss_<task>``, ``valid_loss`` (with early stopping), the mean
            ``weight_<task>`` and ``duration`` in seconds.

        Returns
        -------
        pandas.DataFrame
            Needs pandas.

        Examples
        --------
        >>> import numpy as np
        >>> from hydasklearn import HydaMultiTaskRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 3))
        >>> y = np.column_stack([X[:, 0], X[:, 0] + X[:, 1]])
        >>> model = HydaMultiTaskRegressor(max_iter=3, batch_size=50, random_state=0)
        >>> steps = model.fit(X, y).training_history()
        >>> steps.shape, list(steps.columns[:4])
        ((6, 8), ['epoch', 'batch_size', 'weight_main', 'weight_aux_1'])
        >>> model.training_history("epoch").index.tolist()
        [1, 2, 3]
        """
        return training_history(self, level)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.required = True
        return tags


def _same_tasks(tasks, previous):
    def described(task_list):
        return [(t.name, t.kind, None if t.classes is None else t.classes.tolist())
                for t in task_list]
    return described(tasks) == described(previous)
