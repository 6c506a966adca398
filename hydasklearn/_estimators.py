"""scikit-learn estimators: HydaMultiTaskClassifier and HydaMultiTaskRegressor.

The estimators validate input, describe the tasks, and build and hold a
:class:`~hydasklearn._training.MultiTaskNet`; they never touch gradients.
"""

from __future__ import annotations

import copy
import functools
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping
from skorch.helper import predefined_split

from ._data import TensorDataset
from ._history import training_history
from ._losses import MultiTaskLoss
from ._network import ACTIVATIONS, MultiTaskNetwork, forward_float64
from ._progress import EpochProgress
from ._targets import build_tasks, main_target_column
from ._training import MultiTaskNet
from .weighting import STRATEGIES, resolve_weighting


class _BaseHydaMultiTask(BaseEstimator):
    """Shared fit/predict logic; subclasses set the main task's kind."""

    _main_kind = None  # "classification" or "regression"

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "weighting": [StrOptions(set(STRATEGIES)), "array-like", HasMethods(["weigh"])],
        "aux_tasks": [StrOptions({"auto"}), list, tuple],
        "head_layer_sizes": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [str, HasMethods(["__index__"]), torch.device],
        "callbacks": [list, None],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *,
                 weighting="hydalearn", aux_tasks="auto", head_layer_sizes=(),
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3,
                 max_iter=200, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, random_state=None, verbose=0,
                 warm_start=False, device="cpu", callbacks=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.weighting = weighting
        self.aux_tasks = aux_tasks
        self.head_layer_sizes = head_layer_sizes
        self.dropout = dropout
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.callbacks = callbacks

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network on the main target and the auxiliary targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like or DataFrame of shape (n_samples,) or (n_samples, n_tasks)
            Column 0 is the main target; any further column is an auxiliary
            target (NaN / None where a row has no label for it).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "net_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=not continuing)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        tasks, encoded = build_tasks(y, self._main_kind, self.aux_tasks)
        if len(encoded) != len(X):
            raise ValueError(
                f"X and y have inconsistent numbers of samples: X has {len(X)} rows, "
                f"y has {len(encoded)}."
            )
        if continuing and not self._same_tasks(tasks):
            raise ValueError("warm_start=True needs the same tasks (names, types, classes) "
                             "as the previous fit.")
        if not continuing:
            self._tasks = tasks
        self._encoded_shape_check(encoded)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        train, valid = self._split(X, encoded, seed)
        epochs_before = len(self.net_.history) if continuing else 0
        devices = [torch.device(self.device)] if torch.device(self.device).type == "cuda" else []
        with torch.random.fork_rng(devices=devices), warnings.catch_warnings():
            # skorch warns when a callback is replaced on warm start; it is intended.
            warnings.filterwarnings("ignore", module="skorch")
            torch.manual_seed(seed)
            if continuing:
                self.net_.set_params(train_split=self._train_split(valid),
                                     max_epochs=self.max_iter)
                self.net_.partial_fit(train, None)
            else:
                self.net_ = self._build_net(X.shape[1], train, valid, seed)
                self.net_.fit(train, None)
        self._record_training(epochs_run=len(self.net_.history) - epochs_before)
        return self

    def _same_tasks(self, tasks):
        return [(t.name, t.kind, None if t.classes is None else t.classes.tolist())
                for t in tasks] == [
                (t.name, t.kind, None if t.classes is None else t.classes.tolist())
                for t in self._tasks]

    @staticmethod
    def _encoded_shape_check(encoded):
        if encoded.ndim != 2 or encoded.shape[0] == 0:
            raise ValueError(f"Found array with 0 sample(s) (shape={encoded.shape}) in y.")

    def _split(self, X, encoded, seed):
        """Training and validation datasets (the latter only with early stopping)."""
        if not self.early_stopping:
            return TensorDataset(X, encoded, self.device), None
        stratify = encoded[:, 0] if self._main_kind == "classification" else None
        # Split row numbers, not X: the datasets gather their rows from X, so
        # that no split copy of X is held beside them.
        rows = np.arange(len(X))
        try:
            train_rows, valid_rows = train_test_split(
                rows, test_size=self.validation_fraction, random_state=seed, stratify=stratify)
        except ValueError:  # a class too small to stratify on
            train_rows, valid_rows = train_test_split(
                rows, test_size=self.validation_fraction, random_state=seed)
        return (TensorDataset(X, encoded, self.device, rows=train_rows),
                TensorDataset(X, encoded, self.device, rows=valid_rows))

    @staticmethod
    def _train_split(valid):
        return None if valid is None else predefined_split(valid)

    def _build_net(self, n_features, train, valid, seed):
        weighting = resolve_weighting(self.weighting)
        weighting.start([t.name for t in self._tasks], [t.kind for t in self._tasks])
        batch_size = min(200, len(train)) if self.batch_size == "auto" else self.batch_size
        monitor = "valid_loss" if self.early_stopping else "train_loss"
        stopper = EarlyStopping(monitor=monitor, patience=self.n_iter_no_change,
                                threshold=self.tol, threshold_mode="abs",
                                load_best=self.early_stopping, sink=_silent)
        user_callbacks = copy.deepcopy(self.callbacks) or []
        # Our progress display replaces skorch's epoch table; nothing at all when verbose=0.
        progress = (EpochProgress([t.name for t in self._tasks],
                                  style="bar" if self.verbose == 1 else "lines")
                    if self.verbose else None)
        quiet = {"callbacks__print_log": progress}
        return MultiTaskNet(
            module=MultiTaskNetwork,
            module__n_features=n_features,
            module__task_outputs=[t.n_outputs for t in self._tasks],
            module__hidden_layer_sizes=tuple(_as_sizes(self.hidden_layer_sizes)),
            module__head_layer_sizes=tuple(_as_sizes(self.head_layer_sizes)),
            module__activation=self.activation,
            module__dropout=self.dropout,
            criterion=MultiTaskLoss,
            criterion__task_kinds=[t.kind for t in self._tasks],
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.alpha,
            **_fused_adam(self.device),
            lr=self.learning_rate_init,
            max_epochs=self.max_iter,
            batch_size=batch_size,
            train_split=self._train_split(valid),
            callbacks=[*user_callbacks, ("early_stopping", stopper)],
            device=self.device,
            verbose=self.verbose,
            weighting=weighting,
            generator=torch.Generator().manual_seed(seed),
            **quiet,
        )

    def _record_training(self, epochs_run):
        history = self.net_.history
        self.task_names_ = [t.name for t in self._tasks]
        self.task_types_ = dict(zip(self.task_names_, [t.kind for t in self._tasks]))
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history[:, "train_loss"])
        epoch_losses = np.array(history[:, "train_task_losses"])
        self.task_loss_curves_ = {name: epoch_losses[:, k]
                                  for k, name in enumerate(self.task_names_)}
        steps = [b for epoch in history for b in epoch["batches"] if "task_weights" in b]
        self.weight_history_ = np.array([b["task_weights"] for b in steps])
        self.gain_history_ = np.array([b["task_gains"] for b in steps])
        if self.early_stopping:
            self.validation_loss_curve_ = list(history[:, "valid_loss"])
        if self._main_kind == "classification":
            self.classes_ = self._tasks[0].classes
        if epochs_run >= self.max_iter:
            warnings.warn(
                f"Stochastic optimiser: maximum iterations ({self.max_iter}) reached and the "
                "optimisation has not converged yet.", ConvergenceWarning)

    @property
    def weighting_(self):
        """The fitted weighting strategy (the net's own, pickled once with it)."""
        return self.net_.weighting

    # -------------------------------------------------------------- predict
    def _task_outputs(self, X):
        """Raw head outputs (numpy), one array per task."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        # A copy (X may be read-only), from a contiguous array (torch reads no negative strides).
        # On the net's device, not self.device: a model fitted on CUDA and
        # unpickled without CUDA has its net on the CPU (skorch maps it there).
        X = torch.tensor(np.ascontiguousarray(X, dtype=np.float64), device=self.net_.device)
        outputs = forward_float64(self.net_.module_, X, self.net_.batch_size)
        return [output.cpu().numpy() for output in outputs]

    def predict_tasks(self, X):
        """Predict every task: main and auxiliary.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        dict
            Task name -> predictions of shape (n_samples,), in each task's
            original labels or units.
        """
        outputs = self._task_outputs(X)
        return {task.name: task.decode(output) for task, output in zip(self._tasks, outputs)}

    def predict(self, X):
        """Predict the main task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        output = self._task_outputs(X)[0]
        return self._tasks[0].decode(output)

    def score(self, X, y, sample_weight=None):
        """Score the main task (accuracy or R^2); ``y`` may be 1-D or 2-D.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Only column 0, the main target, is scored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        main = main_target_column(y)
        metric = accuracy_score if self._main_kind == "classification" else r2_score
        return metric(main, self.predict(X), sample_weight=sample_weight)

    def training_history(self, level="step"):
        """Training records as a pandas DataFrame, for notebook analysis.

        Parameters
        ----------
        level : {"step", "epoch"}, default="step"
            ``"step"``: one row per optimiser step, with columns ``epoch``,
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


@functools.lru_cache
def _fused_adam(device):
    """Adam's fused kernel where torch has it for ``device`` (CPU since torch 2.4).

    One kernel per step instead of a dozen tensor operations per parameter:
    about a fifth off the fit time of a small MLP on the CPU.
    """
    try:
        torch.optim.Adam([torch.zeros(1, device=device, requires_grad=True)], fused=True)
    except (RuntimeError, ValueError, TypeError):
        return {}
    return {"optimizer__fused": True}


def _silent(*args):
    """Message sink for EarlyStopping (a named function, so the net pickles)."""


def _as_sizes(sizes):
    sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if any(not isinstance(s, Integral) or s < 1 for s in sizes):
        raise ValueError(f"Layer sizes must be positive integers, got {sizes}.")
    return sizes


_SHARED_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Widths of the shared trunk's hidden layers (at least one layer).
    activation : {"relu", "tanh", "logistic", "identity", "gelu"}, default="relu"
        Activation of every hidden layer.
    weighting : str, list of float or WeightingStrategy, default="hydalearn"
        How task losses are weighted on each mini-batch: a name from
        :data:`hydasklearn.weighting.STRATEGIES` (``"hydalearn"``,
        ``"equal"``, ...), static weights (one per task, main first) or a
        strategy object such as :class:`~hydasklearn.weighting.HydaLearn`.
        With a 1-D ``y`` every strategy reduces to single-task learning.
    aux_tasks : "auto" or list of str, default="auto"
        Type of every auxiliary column of ``y``: ``"binary"``,
        ``"multiclass"``, ``"classification"`` or ``"regression"``. ``"auto"``
        infers them: strings, booleans, categories and integers with at most
        20 distinct values are classes; floats are regression, except a float
        column holding only 0 and 1 (binary).
    head_layer_sizes : tuple of int, default=()
        Hidden layer widths inside each task head (empty: a linear head).
    dropout : float, default=0.0
        Dropout probability after every hidden layer.
    alpha : float, default=1e-4
        L2 penalty, applied as Adam's ``weight_decay``.
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=200
        Maximum number of epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified
        for classifiers) and stop when the main task's validation loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        weights are restored. Without it, the main task's training loss is
        monitored the same way.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before training stops.
    tol : float, default=1e-4
        Smallest loss improvement that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout, held-out gain batches and
        the validation split, without touching torch's global random state.
        The same integer gives the same model, bit for bit, on the CPU.
    verbose : int, default=0
        0: print nothing; 1: a progress bar over the epochs with every
        task's current loss (tqdm); 2 or more: one printed line per epoch.
    warm_start : bool, default=False
        Continue from the previous fit (same tasks) instead of starting anew.
    device : str or torch.device, default="cpu"
        Torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (objects or ``(name, callback)`` tuples).
"""

_SHARED_ATTRIBUTES_DOC = """
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
    task_names_ : list of str
        Task names, main first: DataFrame column names, else ``"main"``,
        ``"aux_1"``, ...
    task_types_ : dict
        Task name -> ``"binary"``, ``"multiclass"`` or ``"regression"``.
    n_iter_ : int
        Number of epochs run (across warm starts).
    loss_curve_ : list of float
        Main-task training loss per epoch.
    task_loss_curves_ : dict
        Task name -> array of its training loss per epoch.
    weight_history_ : ndarray of shape (n_steps, n_tasks)
        Task weights used at every optimiser step.
    gain_history_ : ndarray of shape (n_steps, n_tasks)
        What the weighting strategy derived each step's weights from, per task:
        main-task gains for HydaLearn, OL-AUX and SLGrad, the cosine with the
        main task's gradient for GCS; NaN for strategies that record none.
    validation_loss_curve_ : list of float
        Main-task validation loss per epoch (only with ``early_stopping``).
    weighting_ : WeightingStrategy
        The fitted weighting strategy.
    net_ : MultiTaskNet
        The skorch net that trained the network (history, module).
"""


class HydaMultiTaskClassifier(ClassifierMixin, _BaseHydaMultiTask):
    __doc__ = """Multi-task neural network classifier with dynamic task weighting.

    The main task (column 0 of ``y``) is a binary or multiclass
    classification; further columns of ``y`` are auxiliary targets of any
    type that share the network's trunk and help the main task. By default
    the task losses are re-weighted on every mini-batch with HydaLearn [1]_.
    """ + _SHARED_PARAMETERS_DOC + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels of the main task.
    """ + _SHARED_ATTRIBUTES_DOC + """
    See Also
    --------
    HydaMultiTaskRegressor : the same for a regression main task.
    sklearn.neural_network.MLPClassifier : single-task counterpart.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> main = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    >>> aux = X[:, 0] + 0.1 * rng.normal(size=300)
    >>> y = np.column_stack([main, aux.astype(object)])
    >>> clf = HydaMultiTaskClassifier(max_iter=50, random_state=0).fit(X, y)
    >>> clf.classes_.tolist(), clf.task_types_
    (['no', 'yes'], {'main': 'binary', 'aux_1': 'regression'})
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _main_kind = "classification"
    # The mixin comes first in the MRO; its score would see the whole 2-D y.
    score = _BaseHydaMultiTask.score

    def predict_proba(self, X):
        """Probability of every class of the main task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        output = self._task_outputs(X)[0]
        return self._tasks[0].probabilities(output)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))


class HydaMultiTaskRegressor(RegressorMixin, _BaseHydaMultiTask):
    __doc__ = """Multi-task neural network regressor with dynamic task weighting.

    The main task (column 0 of ``y``) is a regression; further columns of
    ``y`` are auxiliary targets of any type that share the network's trunk.
    Regression targets are standardised inside and predicted in their own
    units. By default the task losses are re-weighted on every mini-batch with
    HydaLearn [1]_.
    """ + _SHARED_PARAMETERS_DOC + """
    Attributes
    ----------""" + _SHARED_ATTRIBUTES_DOC + """
    See Also
    --------
    HydaMultiTaskClassifier : the same for a classification main task.
    sklearn.neural_network.MLPRegressor : single-task counterpart.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> y = np.column_stack([X @ [1, 2, 0, 0, 0], X[:, 0] > 0])
    >>> reg = HydaMultiTaskRegressor(max_iter=50, random_state=0).fit(X, y)
    >>> reg.task_types_
    {'main': 'regression', 'aux_1': 'binary'}
    >>> bool(reg.score(X, y) > 0.8)
    True
    """

    _main_kind = "regression"
    score = _BaseHydaMultiTask.score
