"""Model selection for multi-task targets: a splitter, and a held-out check of the side targets."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

from ._tasks.targets import main_target_column, missing_mask
from .metrics import main_task_scorer

__all__ = ["MainTaskStratifiedKFold", "make_auxiliary_check"]


class MainTaskStratifiedKFold(StratifiedKFold):
    """Stratified K-fold on the main task (column 0) of a multi-task ``y``.

    The folds are those of :class:`~sklearn.model_selection.StratifiedKFold`
    given the main column alone: each test fold keeps the main task's class
    proportions. The auxiliary columns may be of any type and have missing
    labels; they go with their rows and play no part in the split.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle each class's rows before splitting them into folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling when ``shuffle=True``; an int gives the same
        folds on every call.

    See Also
    --------
    sklearn.model_selection.StratifiedKFold : what this splitter does to the
        main column.
    hydasklearn.metrics.main_task_scorer : a scorer that sees the main column
        only, for the same searches.

    Notes
    -----
    Given ``cv=<int>``, scikit-learn's searches choose a splitter from the
    *whole* ``y`` with ``type_of_target``. A multi-task ``y`` defeats that:
    a string main column beside auxiliary columns with ``NaN`` or ``None``
    cannot be inspected (a ``TypeError`` when the labels are sorted, or
    "Input y contains NaN"), so ``GridSearchCV(model, grid, cv=3).fit(X, y)``
    fails before the estimator is called; a complete numeric 2-D ``y``
    counts as multi-output, and the folds are an unstratified
    :class:`~sklearn.model_selection.KFold`. Pass
    ``cv=MainTaskStratifiedKFold(3)`` instead. A regressor's searches use
    ``KFold`` whatever ``y`` holds, so ``cv=<int>`` works for them.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn.model_selection import MainTaskStratifiedKFold
    >>> y = np.array([["cat", 1.5], ["dog", np.nan], ["cat", None],
    ...               ["dog", 0.5], ["cat", 2.0], ["dog", np.nan]], dtype=object)
    >>> X = np.zeros((6, 1))
    >>> cv = MainTaskStratifiedKFold(n_splits=3)
    >>> for train, test in cv.split(X, y):
    ...     print(test, y[test, 0])
    [0 1] ['cat' 'dog']
    [2 3] ['cat' 'dog']
    [4 5] ['cat' 'dog']

    In a search: ``GridSearchCV(HydaMultiTaskClassifier(), grid,
    cv=MainTaskStratifiedKFold(3, shuffle=True, random_state=0))``.
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    def split(self, X, y, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; only its length is used.
        y : array-like or DataFrame of shape (n_samples,) or (n_samples, n_tasks)
            Targets, the main task in column 0; its labels must be complete.
        groups : None
            Ignored, as by StratifiedKFold.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        main = main_target_column(y)
        n_missing = int(missing_mask(main).sum())
        if n_missing:
            raise ValueError(
                f"The main target (column 0 of y) has {n_missing} missing labels; stratified "
                "folds need every main label (drop those rows first)."
            )
        return super().split(X, main, groups)


def make_auxiliary_check(estimator, *, cv=3, scoring=None, random_state=None):
    """Keep the auxiliary tasks unless they clearly hurt on held-out rows: a search to fit.

    A :class:`~sklearn.model_selection.GridSearchCV` over ``weighting``
    between the estimator's own and ``"main-only"``
    (:class:`~hydasklearn.weighting.MainTaskOnly`, the main task alone on
    the same ``y``), scored on the main task in ``cv`` folds. The main task
    alone is kept only where its mean score beats the estimator's by more
    than one standard error of their per-fold differences (the
    one-standard-error rule, in favor of the auxiliary tasks); the choice
    is refitted on all rows (``2 * cv + 1`` fits in all). Per-batch gains
    cannot see auxiliary tasks that hurt the main task only through capacity
    or overfitting; held-out rows can.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        The multi-task model, with the weighting to check.
    cv : int or cross-validation splitter, default=3
        Folds: an int gives shuffled :class:`MainTaskStratifiedKFold` folds for
        a classifier, :class:`~sklearn.model_selection.KFold` for a regressor.
    scoring : str, callable or None, default=None
        Scored on the main task (:func:`~hydasklearn.metrics.main_task_scorer`);
        None: the log-loss for a classifier, the squared error for a
        regressor (both as negatives, larger is better).
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows into folds (with an int ``cv``).

    Returns
    -------
    GridSearchCV
        Unfitted. After ``fit``, ``best_params_["weighting"]`` says which was
        kept and ``best_estimator_`` is it, refitted on all rows.

    See Also
    --------
    hydasklearn.weighting.MainTaskOnly : The main task alone.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.model_selection import make_auxiliary_check
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, rng.normal(size=200)])  # a side target of noise
    >>> check = make_auxiliary_check(HydaMultiTaskClassifier(max_iter=5, random_state=0),
    ...                              random_state=0).fit(X, y)
    >>> check.best_params_["weighting"] in ("hydalearn", "main-only")
    True
    """
    classifier = is_classifier(estimator)
    if scoring is None:
        scoring = "neg_log_loss" if classifier else "neg_mean_squared_error"
    if isinstance(cv, Integral):
        folds = MainTaskStratifiedKFold if classifier else KFold
        cv = folds(cv, shuffle=True, random_state=random_state)
    return GridSearchCV(estimator, {"weighting": [estimator.weighting, "main-only"]}, cv=cv,
                        scoring=main_task_scorer(scoring), refit=_main_only_if_clearly_better)


def _main_only_if_clearly_better(results):
    """Index of the search's choice: 1 (the main task alone) only if its folds' scores beat
    the estimator's (0) by more than one standard error of the per-fold differences."""
    n_splits = sum(1 for key in results if key.startswith("split") and key.endswith("_test_score"))
    scores = np.array([results[f"split{k}_test_score"] for k in range(n_splits)])
    gains = scores[:, 1] - scores[:, 0]
    error = gains.std(ddof=1) / np.sqrt(n_splits) if n_splits > 1 else 0.0
    return int(gains.mean() > error)
