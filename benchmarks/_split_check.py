"""A held-out check of the auxiliary tasks on one split, judged per sample (a benchmark part).

:func:`hydasklearn.model_selection.make_auxiliary_check` judges the main
task alone against the model on the per-fold scores of ``cv`` folds:
``2 * cv + 1`` fits (seven with three folds). :class:`SplitCheck` fits
both once, on the same training share of one stratified split, and judges
them on the per-sample main-task losses of the held-out rows, which are
paired (the same rows for both): the main task alone is kept only where
its mean loss is lower by more than ``evidence`` standard errors of the
per-sample differences; the choice is refitted on all rows (three fits).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import train_test_split


class SplitCheck(BaseEstimator):
    """The model, or its main task alone where that clearly scores better on held-out rows.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier
        The multi-task model, with the weighting to check.
    test_size : float, default=0.25
        Share of the rows held out (stratified on the main task).
    evidence : float, default=1.0
        Standard errors of the per-sample differences by which the main task
        alone must have the lower mean loss to be kept.
    random_state : int or None, default=None
        Draws the split.

    Attributes
    ----------
    best_params_ : dict
        ``{"weighting": ...}``: the model's own weighting or ``"main-only"``.
    best_estimator_ : HydaMultiTaskClassifier
        The choice, refitted on all rows.
    loss_difference_ : tuple of float
        Mean and standard error of the per-sample main-task log-loss of the
        main task alone less the model's, on the held-out rows.
    """

    def __init__(self, estimator, test_size=0.25, evidence=1.0, random_state=None):
        self.estimator = estimator
        self.test_size = test_size
        self.evidence = evidence
        self.random_state = random_state

    def fit(self, X, y):
        X, y = np.asarray(X), np.asarray(y)
        train, held_out = train_test_split(np.arange(len(y)), test_size=self.test_size,
                                           random_state=self.random_state, stratify=y[:, 0])
        own = self.estimator.weighting
        losses = {weighting: _sample_log_loss(
                      clone(self.estimator).set_params(weighting=weighting)
                      .fit(X[train], y[train]), X[held_out], y[held_out, 0])
                  for weighting in (own, "main-only")}
        difference = losses["main-only"] - losses[own]
        mean = float(difference.mean())
        error = float(difference.std(ddof=1) / np.sqrt(len(difference)))
        self.loss_difference_ = (mean, error)
        chosen = "main-only" if mean < -self.evidence * error else own
        self.best_params_ = {"weighting": chosen}
        self.best_estimator_ = clone(self.estimator).set_params(weighting=chosen).fit(X, y)
        return self

    def predict_proba(self, X):
        return self.best_estimator_.predict_proba(X)


def _sample_log_loss(model, X, main):
    """Every row's main-task log-loss under a fitted classifier."""
    probabilities = model.predict_proba(X)
    columns = np.searchsorted(model.classes_, main)
    chosen = probabilities[np.arange(len(main)), columns]
    return -np.log(np.clip(chosen, 1e-15, 1.0))
