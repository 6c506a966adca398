"""Stop training when it diverges, keeping the last finite parameters."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from skorch.callbacks import Callback


class DivergenceWarning(UserWarning):
    """Training diverged (non-finite losses or parameters) and was stopped."""


class DivergenceGuard(Callback):
    """After every epoch: stop if a task loss or a parameter is not finite.

    Then the parameters of the last epoch that ended finite (or those of the
    start of training) are restored, a :class:`DivergenceWarning` says so,
    and training stops as early stopping does. A diverged network would
    otherwise predict NaN without a word. Checked once per epoch, so it
    costs nothing on the step.
    """

    def on_train_begin(self, net, **kwargs):
        self._snapshot = self._copy(net.module_)

    def on_epoch_end(self, net, **kwargs):
        losses = np.asarray(net.history[-1].get("train_task_losses", []), dtype=np.float64)
        parameters_finite = all(bool(torch.isfinite(p).all()) for p in net.module_.parameters())
        if np.all(np.isfinite(losses)) and parameters_finite:
            self._snapshot = self._copy(net.module_)
            return
        net.module_.load_state_dict(self._snapshot)
        warnings.warn(
            f"Training diverged in epoch {len(net.history)} (non-finite "
            f"{'task losses' if parameters_finite else 'parameters'}); stopped, and the "
            "parameters of the last finite epoch were restored. A smaller "
            "learning_rate_init usually helps.", DivergenceWarning, stacklevel=2)
        raise KeyboardInterrupt  # skorch's way to end training early

    @staticmethod
    def _copy(module):
        return {name: value.detach().clone() for name, value in module.state_dict().items()}
