"""Early stopping on a score: the main task's score on the validation split, per epoch.

With ``scoring`` other than ``"loss"``, :class:`ValidationScore` records the
main task's validation score as ``valid_score`` in the net's history at the
end of every epoch that has validation data, and skorch's ``EarlyStopping``
monitors it (higher is better) instead of ``valid_loss``. The scorer sees a
:class:`MainTaskView` of the net in training: an estimator that predicts the
main task only, in its own labels or units, as scikit-learn's scorers expect.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer
from skorch.callbacks import Callback

from .._model.evaluation import evaluate_network


class MainTaskView(BaseEstimator):
    """The main task of a net in training, as a fitted estimator for a scorer.

    Parameters
    ----------
    net : MultiTaskNet
        The net whose module is read (never changed).
    task : Task
        The main task: decodes the head's output into labels or values.
    """

    def __init__(self, net=None, task=None):
        self.net = net
        self.task = task

    def _output(self, X):
        X = torch.as_tensor(X).to(self.net.device, torch.float64)
        return evaluate_network(self.net.module_, X)[0].cpu().numpy()

    def predict(self, X):
        return self.task.decode(self._output(X))

    def __sklearn_is_fitted__(self):
        return True


class _ClassifierView(ClassifierMixin, MainTaskView):
    @property
    def classes_(self):
        return self.task.classes

    def predict_proba(self, X):
        return self.task.probabilities(self._output(X))

    def decision_function(self, X):
        output = self._output(X).astype(np.float64)
        return output[:, 0] if self.task.kind == "binary" else output


class _RegressorView(RegressorMixin, MainTaskView):
    pass


def main_task_view(net, task):
    """A :class:`MainTaskView` of the classifier or regressor kind of ``task``."""
    view = _RegressorView if task.kind == "regression" else _ClassifierView
    return view(net, task)


class ValidationScore(Callback):
    """Record the main task's validation score as ``valid_score``, every epoch.

    Parameters
    ----------
    scoring : str or callable
        A scikit-learn scorer name (``"roc_auc"``, ``"r2"``, ...) or a
        callable ``scorer(estimator, X, y)``; higher is better.
    main_task : Task
        Decodes the main task's labels and outputs.

    Notes
    -----
    The scorer is called as ``scorer(view, X_valid, y_valid)``, with
    ``sample_weight`` too where the fit has row weights; ``X_valid`` is the
    validation split's features as the network sees them (float32 values),
    ``y_valid`` the main task's labels (or values, for a regression). Epochs
    without validation data (``partial_fit``) record nothing.
    """

    def __init__(self, scoring, main_task):
        self.scoring = scoring
        self.main_task = main_task

    def initialize(self):
        self.scorer_ = get_scorer(self.scoring) if isinstance(self.scoring, str) else self.scoring
        return self

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        codes = dataset_valid.y[:, 0].detach().cpu().numpy()
        if self.main_task.kind == "regression":
            y = self.main_task.decode(codes[:, None])
        else:
            y = self.main_task.classes[codes.astype(np.intp)]
        extra = {}
        if dataset_valid.sample_weight is not None:
            extra["sample_weight"] = dataset_valid.sample_weight.detach().cpu().numpy()
        X = dataset_valid.X.detach().cpu().numpy()
        try:
            score = self.scorer_(main_task_view(net, self.main_task), X, y, **extra)
        except (ValueError, TypeError) as error:
            seen = "" if self.main_task.kind == "regression" else (
                f", main labels {np.unique(y)[:10].tolist()}")
            raise ValueError(
                f"scoring={self.scoring!r} fails on the main task of the validation split "
                f"({len(y)} rows{seen}): {error} Hold out more rows (validation_fraction) "
                "or choose another scoring.") from error
        net.history.record("valid_score", float(score))
