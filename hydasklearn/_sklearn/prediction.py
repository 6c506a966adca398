"""Predictions of a fitted multi-task estimator, read through its skorch net."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.validation import check_is_fitted

from .._backend.batches import TensorDataset
from .._tasks.targets import main_target_column
from .fit_inputs import validated_X


class PredictionMixin:
    """``predict``, ``predict_tasks`` and ``score``, from ``net_`` and the fitted tasks.

    The net's forward pass is pure (see
    :func:`~hydasklearn._model.evaluation.evaluate_network`), so that threads may
    predict with one estimator at once.
    """

    def _task_outputs(self, X):
        """Raw head outputs (numpy, float64), one array per task."""
        check_is_fitted(self)
        X = validated_X(self, X, reset=False)
        data = TensorDataset(X, device=self.net_.device, dtype=np.float64)
        outputs = [output.numpy() for output in self.net_.forward(data)]
        if not all(np.isfinite(output).all() for output in outputs):
            raise ValueError("The network's outputs are not finite for some rows of X; "
                             "their features are probably far outside the training range.")
        return outputs

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
