"""Stop training when it diverges, keeping the last finite parameters."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.nn.utils import parameters_to_vector, vector_to_parameters


class DivergenceWarning(UserWarning):
    """Training diverged (non-finite losses or parameters) and was stopped."""


class DivergenceGuard(Callback):
    """After every epoch: stop if a task loss or a parameter is not finite.

    Then the parameters of the last epoch that ended finite (or those of the
    start of training) are restored, training stops as early stopping does,
    and :attr:`message` says what happened, for the estimator to warn with a
    :class:`DivergenceWarning` (a diverged network would otherwise predict
    NaN without a word). Checked once per epoch, so it costs nothing on the
    step.

    Attributes
    ----------
    message : str or None
        Why the last training run was stopped; None if it was not.
    """

    def on_train_begin(self, net, **kwargs):
        self._snapshot = self._flat(net.module_)
        self.message = None

    def on_epoch_end(self, net, **kwargs):
        losses = np.asarray(net.history[-1].get("train_task_losses", []), dtype=np.float64)
        parameters = self._flat(net.module_)
        if not np.all(np.isfinite(losses)):
            self._stop(net, "task losses")
        if not bool(torch.isfinite(parameters).all()):
            self._stop(net, "parameters")
        self._snapshot = parameters

    def on_train_end(self, net, **kwargs):
        self._snapshot = None  # a fitted model does not carry (or pickle) a parameter copy

    def _stop(self, net, what):
        vector_to_parameters(self._snapshot, net.module_.parameters())
        self.message = (
            f"Training diverged in epoch {len(net.history)} (non-finite {what}); it was "
            "stopped and the parameters of the last finite epoch were restored. A smaller "
            "learning_rate_init usually helps.")
        raise KeyboardInterrupt  # skorch's way to end training early

    @staticmethod
    @torch.no_grad()
    def _flat(module):
        """All parameters in one new vector: one copy per epoch, whatever the layers."""
        return parameters_to_vector(module.parameters())
