"""Training records of a fitted estimator as pandas DataFrames.

The skorch history of ``net_`` holds, per optimizer step, the task losses,
weights and gains (see :class:`~hydasklearn._backend.net.MultiTaskNet`) and,
per epoch, the mean task losses and timings. This module turns them into
tables for notebook analysis; it reads the history and changes nothing.
"""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted

from .fitted_records import optimizer_steps

LEVELS = ("step", "epoch")


def training_history(estimator, level="step"):
    """Training records of a fitted multi-task estimator as a DataFrame.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        A fitted estimator, or a fitted ``Pipeline`` or search
        (``GridSearchCV``, ...) whose final estimator is one.
    level : {"step", "epoch"}, default="step"
        ``"step"``: one row per optimizer step (see :func:`step_history`);
        ``"epoch"``: one row per epoch (see :func:`epoch_history`).

    Returns
    -------
    pandas.DataFrame
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}.")
    return step_history(estimator) if level == "step" else epoch_history(estimator)


def step_history(estimator):
    """One row per optimizer step: task weights, gains and losses.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted (or a fitted Pipeline / search around one).

    Returns
    -------
    pandas.DataFrame
        Index ``step`` (0, 1, ... across warm starts); columns ``epoch``
        (1-based, as in ``net_.history``), ``batch_size``, then for every
        task ``weight_<task>``, ``gain_<task>`` (NaN for strategies without
        gains) and ``loss_<task>`` (the task's loss on that mini-batch,
        before the update).
    """
    pd = _import_pandas()
    model = fitted_multitask_estimator(estimator)
    names = model.task_names_
    rows = [[epoch, batch["train_batch_size"], *batch["task_weights"], *batch["task_gains"],
             *batch["task_losses"]] for epoch, batch in optimizer_steps(model.net_.history)]
    columns = ["epoch", "batch_size"] + [f"{quantity}_{name}" for quantity in
                                         ("weight", "gain", "loss") for name in names]
    frame = pd.DataFrame(rows, columns=columns)
    frame.index.name = "step"
    return frame


def epoch_history(estimator):
    """One row per epoch: training loss per task, validation loss, duration.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted (or a fitted Pipeline / search around one).

    Returns
    -------
    pandas.DataFrame
        Index ``epoch`` (1-based); columns ``loss_<task>`` (mean training
        loss of every task over the epoch's mini-batches), ``valid_loss``
        (main-task validation loss, only with ``early_stopping=True``),
        ``valid_score`` (main-task validation score, with a ``scoring``
        other than ``"loss"``), ``weight_<task>`` (mean task weight over the
        epoch's steps) and ``duration`` (seconds).
    """
    pd = _import_pandas()
    model = fitted_multitask_estimator(estimator)
    names = model.task_names_
    history = model.net_.history
    frame = pd.DataFrame(list(history[:, "train_task_losses"]),
                         columns=[f"loss_{name}" for name in names],
                         index=pd.Index(list(history[:, "epoch"]), name="epoch"))
    if model.early_stopping:
        frame["valid_loss"] = list(history[:, "valid_loss"])
    if any("valid_score" in epoch for epoch in history):
        frame["valid_score"] = [epoch.get("valid_score", float("nan")) for epoch in history]
    steps = step_history(model)
    weights = steps.groupby("epoch")[[f"weight_{name}" for name in names]].mean()
    frame = frame.join(weights)
    frame["duration"] = list(history[:, "dur"])
    return frame


def fitted_multitask_estimator(estimator):
    """The fitted multi-task estimator in ``estimator``, or a clear error.

    Unwraps a fitted search (``best_estimator_``) and a ``Pipeline`` (its
    last step).

    Parameters
    ----------
    estimator : object

    Returns
    -------
    HydaMultiTaskClassifier or HydaMultiTaskRegressor
    """
    while not _is_multitask_estimator(estimator):
        if hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        else:
            raise TypeError(
                "Expected a fitted HydaMultiTaskClassifier or HydaMultiTaskRegressor, or a "
                "Pipeline or a fitted search (refit=True) around one; got "
                f"{type(estimator).__name__}."
            )
    check_is_fitted(estimator)
    return estimator


def _is_multitask_estimator(estimator):
    """Whether ``estimator`` is one of ours (told by its methods: this module is
    imported by the estimators, so it cannot import them)."""
    return callable(getattr(estimator, "predict_tasks", None)) and callable(
        getattr(estimator, "training_history", None))


def _import_pandas():
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            "The training history as a DataFrame needs pandas: pip install pandas"
        ) from error
    return pandas
