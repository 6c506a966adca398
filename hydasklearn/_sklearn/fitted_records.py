"""The fitted attributes that summarize training, read from the skorch net's history.

The net records, per epoch, the mean losses and, per optimizer step, the
task weights and gains (see :class:`~hydasklearn._backend.net.MultiTaskNet`);
this module turns them into the estimators' ``loss_curve_``,
``weight_history_``, ``validation_scores_`` and the like. It reads the
history and changes nothing.
"""

from __future__ import annotations

import numpy as np


def training_records(history, task_names, stopper=None):
    """The fitted attributes of one fit's history, by attribute name.

    Parameters
    ----------
    history : skorch.History
    task_names : list of str
    stopper : skorch.callbacks.EarlyStopping or None
        The net's early stopping on the validation split, when the fit had
        one: what it monitored (``valid_loss``, lower is better, or
        ``valid_score``) and the epoch whose parameters it restored.

    Returns
    -------
    dict
        ``n_iter_``, ``loss_curve_``, ``task_loss_curves_``,
        ``weight_history_``, ``gain_history_``, ``validation_scores_``,
        ``best_validation_score_`` and, when any epoch was validated,
        ``validation_loss_curve_`` (NaN for epochs without validation,
        those of ``partial_fit``).
    """
    epoch_losses = np.array(history[:, "train_task_losses"])
    steps = [batch for _, batch in optimizer_steps(history)]
    records = {
        "n_iter_": len(history),
        "loss_curve_": list(history[:, "train_loss"]),
        "task_loss_curves_": {name: epoch_losses[:, k] for k, name in enumerate(task_names)},
        "weight_history_": np.array([b["task_weights"] for b in steps]),
        "gain_history_": np.array([b["task_gains"] for b in steps]),
    }
    if any("valid_loss" in epoch for epoch in history):
        records["validation_loss_curve_"] = [epoch.get("valid_loss", np.nan)
                                             for epoch in history]
    records.update(_validation_scores(history, stopper))
    return records


def optimizer_steps(history):
    """``(epoch, batch record)`` of every optimizer step of ``history``, in order.

    A step's record holds ``task_weights``, ``task_gains`` and
    ``task_losses``; validation batches carry no weights.
    """
    return [(epoch["epoch"], batch) for epoch in history for batch in epoch["batches"]
            if "task_weights" in batch]


def _validation_scores(history, stopper):
    """``validation_scores_`` and ``best_validation_score_``, as in ``MLPClassifier``.

    Per epoch (NaN for epochs without validation) after a fit with early
    stopping, else None. With ``scoring="loss"`` the score is the main
    task's validation loss negated, so that higher is better for every
    ``scoring``; the best score is the one of the epoch whose parameters
    early stopping restored.
    """
    if stopper is None:
        return {"validation_scores_": None, "best_validation_score_": None}
    key, sign = stopper.monitor, (-1.0 if stopper.lower_is_better else 1.0)
    scores = [sign * epoch[key] if key in epoch else np.nan for epoch in history]
    best = scores[stopper.best_epoch_ - 1] if stopper.best_epoch_ >= 1 else np.nan
    return {"validation_scores_": scores, "best_validation_score_": best}
