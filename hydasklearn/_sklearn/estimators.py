"""scikit-learn estimators: HydaMultiTaskClassifier and HydaMultiTaskRegressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight

from .docstrings import SHARED_ATTRIBUTES_DOC, SHARED_PARAMETERS_DOC
from .multitask import BaseHydaMultiTask


class HydaMultiTaskClassifier(ClassifierMixin, BaseHydaMultiTask):
    __doc__ = """Multi-task neural network classifier with dynamic task weighting.

    The main task (column 0 of ``y``) is a binary or multiclass
    classification; further columns of ``y`` are auxiliary targets of any
    type that share the network's trunk and help the main task. By default
    the task losses are re-weighted on every mini-batch with HydaLearn [1]_.
    """ + SHARED_PARAMETERS_DOC + """
    class_weight : dict, "balanced" or None, default=None
        Weights of the main task's classes, as in scikit-learn: a dict from
        label to weight (labels left out weigh 1), ``"balanced"``
        (``n_samples / (n_classes * count)``, computed on the training rows,
        all of which carry a main label) or None. They multiply
        ``sample_weight`` row by row and weigh a row's loss in every task.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels of the main task.
    """ + SHARED_ATTRIBUTES_DOC + """
    See Also
    --------
    HydaMultiTaskRegressor : the same for a regression main task.
    sklearn.neural_network.MLPClassifier : single-task counterpart.
    hydasklearn.model_selection.MainTaskStratifiedKFold : cross-validation
        folds stratified on the main task, for ``GridSearchCV`` and
        ``cross_validate`` with a multi-task ``y``.

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
    score = BaseHydaMultiTask.score

    _parameter_constraints = {
        **BaseHydaMultiTask._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *,
                 trunk=None, weighting="hydalearn", aux_tasks="auto", head_layer_sizes=(),
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3,
                 max_iter=200, early_stopping=False, scoring="loss", validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, random_state=None, verbose=0,
                 warm_start=False, device="cpu", callbacks=None,
                 categorical_features="from_dtype", class_weight=None):
        super().__init__(
            hidden_layer_sizes, activation, trunk=trunk, weighting=weighting,
            aux_tasks=aux_tasks, head_layer_sizes=head_layer_sizes, dropout=dropout, alpha=alpha,
            batch_size=batch_size, learning_rate_init=learning_rate_init, max_iter=max_iter,
            early_stopping=early_stopping, scoring=scoring,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, random_state=random_state,
            verbose=verbose, warm_start=warm_start, device=device, callbacks=callbacks,
            categorical_features=categorical_features)
        self.class_weight = class_weight

    def _first_classes(self, classes):
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit: "
                             "every class of the main task.")
        return np.asarray(classes)

    def _check_same_classes(self, classes):
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={np.unique(classes).tolist()} is not the same as on the "
                             f"first call to partial_fit: {self.classes_.tolist()}.")

    def _class_weights(self, main_task, main_codes):
        """Per-row weights of the main task's classes, as scikit-learn's ``class_weight``."""
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            unknown = [label for label in self.class_weight
                       if label not in set(main_task.classes.tolist())]
            if unknown:
                raise ValueError(f"class_weight names labels {unknown} that are not classes "
                                 f"of the main task {main_task.classes.tolist()}.")
        codes = main_codes.astype(np.int64)
        per_class = compute_class_weight(self.class_weight, classes=main_task.classes,
                                         y=main_task.classes[codes])
        return per_class[codes]

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


class HydaMultiTaskRegressor(RegressorMixin, BaseHydaMultiTask):
    __doc__ = """Multi-task neural network regressor with dynamic task weighting.

    The main task (column 0 of ``y``) is a regression; further columns of
    ``y`` are auxiliary targets of any type that share the network's trunk.
    Regression targets are standardized inside and predicted in their own
    units. By default the task losses are re-weighted on every mini-batch with
    HydaLearn [1]_.
    """ + SHARED_PARAMETERS_DOC + """
    Attributes
    ----------""" + SHARED_ATTRIBUTES_DOC + """
    See Also
    --------
    HydaMultiTaskClassifier : the same for a classification main task.
    sklearn.neural_network.MLPRegressor : single-task counterpart.
    hydasklearn.model_selection.MainTaskStratifiedKFold : folds for a
        classification main task; a regressor's ``cv=<int>`` works with any ``y``.

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
    score = BaseHydaMultiTask.score
