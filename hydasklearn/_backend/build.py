"""Translate the estimators' scikit-learn parameters into a configured skorch net.

The estimators decide *what* to train (tasks, data, parameters); this module
says *how* skorch is set up for it: the net's arguments, the early-stopping
and progress callbacks, and which parameter changes a warm start can apply
to a net that has trained already.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import torch
from skorch.callbacks import EarlyStopping
from skorch.helper import predefined_split

from .._model.losses import MultiTaskLoss
from .._model.network import SharedTrunkNetwork, layer_sizes
from .divergence import DivergenceGuard
from .net import MultiTaskNet
from .progress import EpochProgress
from .scoring import ValidationScore

#: Parameters a warm start applies to the trained net; any other change raises.
WARM_START_APPLICABLE = frozenset({
    "max_iter", "learning_rate_init", "alpha", "batch_size", "early_stopping",
    "validation_fraction", "n_iter_no_change", "tol", "warm_start",
})


def build_net(params, n_features, tasks, n_samples, valid, seed, cardinalities=()):
    """A new, uninitialized :class:`~hydasklearn._backend.net.MultiTaskNet`.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params(deep=False)``.
    n_features : int
    tasks : list of Task
    n_samples : int
        Training rows (for ``batch_size="auto"``).
    valid : TensorDataset or None
        Validation data for early stopping.
    seed : int
        The fit's seed: initialization, dropout, shuffling, held-out batches.
    cardinalities : sequence of int, default=()
        Categories seen in fit of every categorical feature, whose codes are
        the last ``len(cardinalities)`` of the ``n_features`` columns; each
        gets an embedding at the trunk's input.
    """
    device = params["device"]
    names, kinds = [t.name for t in tasks], [t.kind for t in tasks]
    dropout_generator = torch.Generator(device=torch.device(device)).manual_seed(seed + 1)
    return MultiTaskNet(
        module=SharedTrunkNetwork,
        module__n_features=n_features,
        module__task_outputs=[t.n_outputs for t in tasks],
        module__hidden_layer_sizes=tuple(layer_sizes(params["hidden_layer_sizes"])),
        module__head_layer_sizes=tuple(layer_sizes(params["head_layer_sizes"])),
        module__activation=params["activation"],
        module__dropout=params["dropout"],
        module__generator=dropout_generator,
        module__seed=seed,
        module__categorical_cardinalities=tuple(cardinalities),
        module__trunk=params["trunk"],
        criterion=MultiTaskLoss,
        criterion__task_kinds=kinds,
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=params["alpha"],
        **fused_adam(str(device)),
        lr=params["learning_rate_init"],
        max_epochs=params["max_iter"],
        batch_size=batch_size(params, n_samples),
        train_split=train_split(valid),
        callbacks=[*copy.deepcopy(params["callbacks"] or []),
                   *validation_score(params, tasks[0]),
                   ("early_stopping", early_stopping(params)),
                   ("divergence_guard", DivergenceGuard())],
        device=device,
        verbose=params["verbose"],
        weighting=params["weighting"],
        task_names=names,
        task_kinds=kinds,
        seed=seed,
        callbacks__print_log=progress(params, names),
    )


def apply_warm_start(net, old_params, params, n_samples, valid):
    """Carry parameter changes since the last fit over to ``net``, or raise.

    Parameters
    ----------
    net : MultiTaskNet
        The trained net.
    old_params, params : dict
        The estimator's parameters at the last fit and now.
    n_samples : int
    valid : TensorDataset or None
    """
    changed = sorted(name for name in params if not _same(old_params.get(name), params[name]))
    fixed = [name for name in changed if name not in WARM_START_APPLICABLE]
    if fixed:
        raise ValueError(
            f"warm_start=True cannot apply changed parameters {fixed} to the trained network; "
            "set warm_start=False to train a new one.")
    for group in net.optimizer_.param_groups:
        group["lr"], group["weight_decay"] = params["learning_rate_init"], params["alpha"]
    net.lr, net.optimizer__weight_decay = params["learning_rate_init"], params["alpha"]
    net.set_params(max_epochs=params["max_iter"], batch_size=batch_size(params, n_samples),
                   train_split=train_split(valid))
    # The started callback is updated in place (skorch re-creates no callback here).
    vars(dict(net.callbacks_)["early_stopping"]).update(vars(early_stopping(params)))


def _same(old, new):
    if old is new:
        return True
    if hasattr(old, "get_params") and hasattr(new, "get_params"):
        return type(old) is type(new) and repr(old.get_params()) == repr(new.get_params())
    try:
        return bool(np.array_equal(np.asarray(old, dtype=object), np.asarray(new, dtype=object)))
    except (TypeError, ValueError):
        return old == new


def batch_size(params, n_samples):
    """The mini-batch size: ``"auto"`` is ``min(200, n_samples)``."""
    return min(200, n_samples) if params["batch_size"] == "auto" else params["batch_size"]


def train_split(valid):
    return None if valid is None else predefined_split(valid)


def early_stopping(params):
    """Stop on the main task's validation loss or score (with early stopping) or training loss.

    With ``early_stopping``, ``scoring="loss"`` monitors ``valid_loss``
    (lower is better); a scorer monitors ``valid_score`` (higher is better,
    recorded by :func:`validation_score`'s callback). The best epoch's
    parameters are restored at the end.
    """
    scored = params["early_stopping"] and not _is_loss(params["scoring"])
    monitor = ("valid_score" if scored else "valid_loss") if params["early_stopping"] else (
        "train_loss")
    return EarlyStopping(monitor=monitor, patience=params["n_iter_no_change"],
                         threshold=params["tol"], threshold_mode="abs",
                         lower_is_better=not scored,
                         load_best=params["early_stopping"], sink=_silent)


def validation_score(params, main_task):
    """The callback that scores the main task on the validation split, if ``scoring`` asks."""
    if _is_loss(params["scoring"]):
        return []
    return [("validation_score", ValidationScore(params["scoring"], main_task))]


def _is_loss(scoring):
    return isinstance(scoring, str) and scoring == "loss"


def progress(params, task_names):
    """Our progress display, replacing skorch's epoch table; None when ``verbose=0``."""
    if not params["verbose"]:
        return None
    return EpochProgress(task_names, style="bar" if params["verbose"] == 1 else "lines")


@functools.lru_cache
def fused_adam(device):
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
