"""Scorers that score the main task (column 0) of a multi-task ``y``."""

from __future__ import annotations

from sklearn.metrics import get_scorer

from ._tasks.targets import main_target_column

__all__ = ["main_task_scorer"]


class _MainTaskScorer:
    """Call a scikit-learn scorer on column 0 of ``y``."""

    def __init__(self, scorer):
        self.scorer = scorer

    def __call__(self, estimator, X, y, **kwargs):
        return self.scorer(estimator, X, main_target_column(y), **kwargs)

    def __repr__(self):
        return f"main_task_scorer({self.scorer!r})"


def main_task_scorer(scoring=None):
    """Make a scorer that scores only the main task of a 2-D ``y``.

    ``GridSearchCV`` and ``cross_validate`` pass the whole ``y`` to a scorer;
    with auxiliary targets in ``y``, plain scorers such as ``"roc_auc"`` would
    fail or score the wrong thing. This wraps one so that it sees column 0
    (a 1-D ``y`` is passed through unchanged).

    Parameters
    ----------
    scoring : str, callable or None, default=None
        A scikit-learn scoring name (``"roc_auc"``, ``"r2"``, ...), a scorer
        ``scorer(estimator, X, y)`` or None for the estimator's ``score``.

    Returns
    -------
    callable
        ``scorer(estimator, X, y)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.metrics import main_task_scorer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(120, 3))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0] + X[:, 1]])
    >>> model = HydaMultiTaskClassifier(max_iter=20, random_state=0)
    >>> scores = cross_val_score(model, X, y, cv=3, scoring=main_task_scorer("roc_auc"))
    >>> scores.shape
    (3,)
    """
    if scoring is None:
        return _MainTaskScorer(_EstimatorScore())
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    return _MainTaskScorer(scorer)


class _EstimatorScore:
    def __call__(self, estimator, X, y, **kwargs):
        return estimator.score(X, y, **kwargs)

    def __repr__(self):
        return "estimator.score"
