"""Stop training when it diverges, keeping the last finite parameters."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback


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
        self._snapshot = self._copy(net.module_)
        self.message = None

    def on_epoch_end(self, net, **kwargs):
        losses = np.asarray(net.history[-1].get("train_task_losses", []), dtype=np.float64)
        parameters_finite = all(bool(torch.isfinite(p).all()) for p in net.module_.parameters())
        if np.all(np.isfinite(losses)) and parameters_finite:
            self._snapshot = self._copy(net.module_)
            return
        net.module_.load_state_dict(self._snapshot)
        self.message = (
            f"Training diverged in epoch {len(net.history)} (non-finite "
            f"{'task losses' if parameters_finite else 'parameters'}); it was stopped and the "
            "parameters of the last finite epoch were restored. A smaller "
            "learning_rate_init usually helps.")
        raise KeyboardInterrupt  # skorch's way to end training early

    @staticmethod
    def _copy(module):
        return {name: value.detach().clone() for name, value in module.state_dict().items()}
