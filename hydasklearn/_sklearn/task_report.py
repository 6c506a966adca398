"""Which auxiliary tasks helped the main task: a summary of a fit's records.

The per-step records of a fitted estimator (``weight_history_``,
``gain_history_``) say, step by step, how much every task's step would have
lowered the main task's loss and which weight every task got. This module
sums them up per auxiliary task: the average gain over the whole fit with
its standard error, a verdict by the evidence rule's thresholds, and whether
(and from which step) the task ended switched off. It reads the records and
changes nothing; it needs no network and no weighting strategy's internals.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..weighting import EvidenceRule, HydaLearn
from .fitted_records import optimizer_steps

#: The columns of :func:`auxiliary_task_report`, in order.
REPORT_COLUMNS = (
    "mean_gain", "gain_standard_error", "gain_z_score", "gain_relative_to_main",
    "n_measurements", "mean_weight", "final_weight", "switched_off", "switched_off_step",
    "switched_off_epoch", "verdict",
)

#: The verdicts, by the z-score of the average gain (see :func:`auxiliary_task_report`).
VERDICTS = ("helps", "no evidence", "hurts", "not measured")


def auxiliary_task_report(weights, gains, task_names, step_epochs=None, evidence=2.0,
                          release=3.0, as_frame=None):
    """Per auxiliary task: its average main-task gain, its weight, a verdict.

    Parameters
    ----------
    weights : array-like of shape (n_steps, n_tasks)
        The task weights of every optimizer step, main task first (an
        estimator's ``weight_history_``).
    gains : array-like of shape (n_steps, n_tasks)
        What the weighting strategy measured on every step (an estimator's
        ``gain_history_``): main-task gains for HydaLearn, NaN for strategies
        that measure none. A step whose gains repeat the previous step's
        exactly is a step between two measurements (HydaLearn's
        ``gain_every > 1`` repeats the last measurement) and counts once.
    task_names : sequence of str
        The names of the tasks, main first.
    step_epochs : array-like of shape (n_steps,), default=None
        The (1-based) epoch of every step; None: ``switched_off_epoch`` is NaN.
    evidence : float, default=2.0
        Standard errors above 0 for the verdict "helps" (the evidence rule's
        ``evidence``).
    release : float, default=3.0
        Standard errors below 0 for the verdict "hurts" (the evidence rule's
        ``release``, at which it switches a task off).
    as_frame : bool or None, default=None
        Whether to return a pandas DataFrame; None: when pandas is installed.

    Returns
    -------
    pandas.DataFrame or dict of str to ndarray
        One row per auxiliary task, indexed by its name (as a dict: ``task``,
        the names, then one array per column), with the columns of
        :data:`REPORT_COLUMNS`:

        - ``mean_gain``: the plain (equally weighted, so unbiased) average of
          the task's measured gains over the whole fit;
        - ``gain_standard_error``: its standard error, ``std / sqrt(n)``
          with ``ddof=1``, the measurements counted as independent (NaN with
          fewer than 2);
        - ``gain_z_score``: ``mean_gain / gain_standard_error``;
        - ``gain_relative_to_main``: ``mean_gain`` over the main task's own
          average gain (NaN unless that is positive): how much a step along
          the task's gradient helps the main task, against a step along the
          main task's own;
        - ``n_measurements``: the steps whose gains were measured (finite);
        - ``mean_weight``, ``final_weight``: the task's weight, averaged
          over all steps and on the last one;
        - ``switched_off``: whether the task's weight was 0 on the last step;
        - ``switched_off_step``: the first step (0-based, as the index of
          ``training_history()``) of the run of zero weights that ends the
          fit, NaN if the task ended on;
        - ``switched_off_epoch``: that step's epoch (1-based);
        - ``verdict``: ``"helps"`` when ``gain_z_score > evidence``,
          ``"hurts"`` when ``gain_z_score < -release``, ``"no evidence"``
          in between (or when the z-score is NaN), ``"not measured"``
          without any measured gain.

    Notes
    -----
    The verdict weighs the whole fit's measurements, while the evidence rule
    decides on a moving average of the last hundred steps or so: a task can
    be switched off for harm late in a fit whose whole average says "no
    evidence", and a long fit piles up evidence that no window of the rule
    holds. Gains measure the first-order effect of a step on the main task's
    loss on training batches; harm through the trunk's capacity, which
    only held-out data shows, is not in them.

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.array([[1.0, 1.0, 1.0], [1.5, 1.5, 0.0], [1.5, 1.5, 0.0]])
    >>> gains = np.array([[1.0, 0.5, -0.5], [1.2, 0.7, -0.7], [1.2, 0.7, -0.7]])
    >>> report = auxiliary_task_report(weights, gains, ["main", "a", "b"], as_frame=False)
    >>> report["task"].tolist(), report["mean_gain"].tolist()
    (['a', 'b'], [0.6, -0.6])
    >>> report["n_measurements"].tolist(), report["switched_off_step"].tolist()
    ([2, 2], [nan, 1.0])
    """
    weights = np.asarray(weights, dtype=float).reshape(-1, len(task_names))
    gains = np.asarray(gains, dtype=float).reshape(-1, len(task_names))
    measured = _measured_steps(gains)
    columns = {name: [] for name in REPORT_COLUMNS}
    main_mean = _mean_and_error(gains[measured, 0])[0] if len(task_names) else np.nan
    for k in range(1, len(task_names)):
        values = gains[measured, k]
        values = values[np.isfinite(values)]
        mean, error = _mean_and_error(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            z_score = np.divide(mean, error)  # NaN, not an error, for all-zero gains
        off_step = _switched_off_step(weights[:, k])
        columns["mean_gain"].append(mean)
        columns["gain_standard_error"].append(error)
        columns["gain_z_score"].append(z_score)
        columns["gain_relative_to_main"].append(mean / main_mean if main_mean > 0 else np.nan)
        columns["n_measurements"].append(len(values))
        columns["mean_weight"].append(weights[:, k].mean() if len(weights) else np.nan)
        columns["final_weight"].append(weights[-1, k] if len(weights) else np.nan)
        columns["switched_off"].append(not np.isnan(off_step))
        columns["switched_off_step"].append(off_step)
        columns["switched_off_epoch"].append(
            np.nan if np.isnan(off_step) or step_epochs is None
            else float(np.asarray(step_epochs)[int(off_step)]))
        columns["verdict"].append(_verdict(z_score, len(values), evidence, release))
    dtypes = {"n_measurements": int, "switched_off": bool, "verdict": object}
    arrays = {name: np.array(values, dtype=dtypes.get(name, float))
              for name, values in columns.items()}
    names = np.array(list(task_names[1:]), dtype=object)
    if as_frame is None:
        as_frame = _pandas_installed()
    if not as_frame:
        return {"task": names, **arrays}
    import pandas as pd

    return pd.DataFrame(arrays, index=pd.Index(names, name="task"))


def estimator_task_report(model):
    """:func:`auxiliary_task_report` of a fitted estimator's records.

    The verdict's thresholds are those of the fitted strategy's rule when it
    is HydaLearn with an :class:`~hydasklearn.weighting.EvidenceRule`, else
    the evidence rule's defaults.

    Parameters
    ----------
    model : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted.

    Returns
    -------
    pandas.DataFrame or dict of str to ndarray
    """
    check_is_fitted(model)
    rule = model.weighting_.rule_ if isinstance(model.weighting_, HydaLearn) else None
    if not isinstance(rule, EvidenceRule):
        rule = EvidenceRule()
    step_epochs = [epoch for epoch, _ in optimizer_steps(model.net_.history)]
    return auxiliary_task_report(model.weight_history_, model.gain_history_, model.task_names_,
                                 step_epochs, evidence=rule.evidence, release=rule.release)


def _measured_steps(gains):
    """Whether each step measured its gains: finite somewhere, not a repeat of the last step's."""
    any_finite = np.isfinite(gains).any(axis=1)
    repeated = np.zeros(len(gains), dtype=bool)
    if len(gains) > 1:
        same = (gains[1:] == gains[:-1]) | (np.isnan(gains[1:]) & np.isnan(gains[:-1]))
        repeated[1:] = same.all(axis=1)
    return any_finite & ~repeated


def _mean_and_error(values):
    """Plain average of the finite ``values`` and its standard error (NaN with < 2)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.nan, np.nan
    if len(values) == 1:
        return float(values[0]), np.nan
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def _switched_off_step(weights):
    """First step of the run of zero weights that ends ``weights``; NaN if it ends non-zero."""
    if len(weights) == 0 or weights[-1] != 0:
        return np.nan
    nonzero = np.flatnonzero(weights != 0)
    return float(nonzero[-1] + 1) if len(nonzero) else 0.0


def _verdict(z_score, n_measurements, evidence, release):
    if n_measurements == 0:
        return "not measured"
    if z_score > evidence:
        return "helps"
    if z_score < -release:
        return "hurts"
    return "no evidence"


def _pandas_installed():
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True
