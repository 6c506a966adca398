"""Plots of a fitted estimator's training: task weights, gains and losses.

Needs matplotlib, the ``plot`` extra: ``pip install hydasklearn[plot]``.
Every function takes a fitted :class:`~hydasklearn.HydaMultiTaskClassifier`
or :class:`~hydasklearn.HydaMultiTaskRegressor` (or a fitted ``Pipeline`` or
search around one), draws on ``ax`` (a new figure when None) and returns the
matplotlib Axes.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ._sklearn.history import fitted_multitask_estimator

__all__ = ["plot_gains", "plot_loss_curves", "plot_task_evidence", "plot_task_weights"]

#: The color of every verdict of ``auxiliary_task_report_`` in :func:`plot_task_evidence`.
VERDICT_COLORS = {"helps": "tab:green", "no evidence": "0.45", "hurts": "tab:red"}


def plot_task_weights(estimator, ax=None, smooth="auto"):
    """Plot the task weights over training steps, raw and smoothed.

    Weights that change on every mini-batch (HydaLearn) are noisy; the raw
    values are drawn faint and a moving average over ``smooth`` steps on top.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted estimator (``weight_history_`` is plotted).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    smooth : int, "auto" or None, default="auto"
        Window of the trailing moving average, in steps. ``"auto"``: the
        square root of the number of steps, rounded (10 for 100 steps, 100
        for 10,000); None or 1: raw values only.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.datasets import make_auxiliary_tasks
    >>> from hydasklearn.plotting import plot_task_weights
    >>> X, y, _ = make_auxiliary_tasks(n_samples=400, random_state=0)
    >>> model = HydaMultiTaskClassifier(max_iter=5, random_state=0).fit(X, y)
    >>> ax = plot_task_weights(model)  # doctest: +SKIP
    """
    model = fitted_multitask_estimator(estimator)
    ax = _axes(ax)
    _plot_steps(ax, model.weight_history_, model.task_names_, smooth)
    ax.set_ylabel("task weight")
    ax.set_title(f"Task weights ({_strategy_name(model)})")
    return ax


def plot_gains(estimator, ax=None, smooth="auto"):
    """Plot HydaLearn's main-task gains over training steps, raw and smoothed.

    The gain of task k is the main-task loss decrease expected from a step
    along task k's gradient; a task whose gain is <= 0 gets weight 0 on that
    mini-batch, so a line at 0 is drawn.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted with a strategy that records gains (``gain_history_`` not
        all NaN), such as HydaLearn.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    smooth : int, "auto" or None, default="auto"
        Window of the trailing moving average, in steps (see
        :func:`plot_task_weights`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    model = fitted_multitask_estimator(estimator)
    gains = model.gain_history_
    if gains.size == 0 or np.isnan(gains).all():
        raise ValueError(
            f"The weighting strategy {_strategy_name(model)!r} records no gains; "
            "gains come from gain-based strategies such as HydaLearn."
        )
    ax = _axes(ax)
    _plot_steps(ax, gains, model.task_names_, smooth)
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.set_ylabel("main-task gain")
    ax.set_title(f"Main-task gains ({_strategy_name(model)})")
    return ax


def plot_loss_curves(estimator, ax=None):
    """Plot every task's training loss per epoch.

    With ``early_stopping=True`` the main task's validation loss is drawn
    too (dashed).

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted estimator (``task_loss_curves_`` is plotted).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    model = fitted_multitask_estimator(estimator)
    ax = _axes(ax)
    for name, curve in model.task_loss_curves_.items():
        epochs = np.arange(1, len(curve) + 1)
        ax.plot(epochs, curve, marker="." if len(curve) < 30 else None, label=name)
    if hasattr(model, "validation_loss_curve_"):
        curve = model.validation_loss_curve_
        ax.plot(np.arange(1, len(curve) + 1), curve, linestyle="--", color="0.3",
                label=f"{model.task_names_[0]} (validation)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title("Loss per task")
    ax.legend()
    return ax


def plot_task_evidence(estimator, ax=None):
    """Plot every auxiliary task's average main-task gain, ± 2 standard errors.

    One row per auxiliary task, from ``auxiliary_task_report_``: its
    average gain over the fit with a bar of 2 standard errors either side,
    colored by the verdict (green "helps", gray "no evidence", red "hurts";
    see the attribute); a hollow marker and a note mark a task that ended
    switched off (weight 0), with the epoch it was switched off in. A bar
    clear of the zero line is evidence that the task's steps lowered (right
    of 0) or raised (left) the main task's training loss.

    Parameters
    ----------
    estimator : HydaMultiTaskClassifier or HydaMultiTaskRegressor
        Fitted with auxiliary tasks and a strategy that records gains (such
        as HydaLearn).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.datasets import make_auxiliary_tasks
    >>> from hydasklearn.plotting import plot_task_evidence
    >>> X, y, _ = make_auxiliary_tasks(n_samples=400, aux_relations=("related", "noise"),
    ...                                random_state=0)
    >>> model = HydaMultiTaskClassifier(max_iter=5, random_state=0).fit(X, y)
    >>> model.auxiliary_task_report_.index.tolist()
    ['aux_1', 'aux_2']
    >>> ax = plot_task_evidence(model)  # doctest: +SKIP
    """
    model = fitted_multitask_estimator(estimator)
    report = _as_columns(model.auxiliary_task_report_)
    if len(report["task"]) == 0:
        raise ValueError("The estimator was fitted without auxiliary tasks: nothing to plot.")
    if (report["n_measurements"] == 0).all():
        raise ValueError(
            f"The weighting strategy {_strategy_name(model)!r} records no gains; "
            "gains come from gain-based strategies such as HydaLearn."
        )
    ax = _axes(ax)
    positions = np.arange(len(report["task"]))[::-1]  # the first task on top
    drawn = set()
    for k, position in enumerate(positions):
        verdict = report["verdict"][k]
        if verdict not in VERDICT_COLORS:  # "not measured"
            continue
        color, off = VERDICT_COLORS[verdict], bool(report["switched_off"][k])
        error = report["gain_standard_error"][k]
        ax.errorbar(report["mean_gain"][k], position,
                    xerr=2 * error if np.isfinite(error) else None, fmt="o", color=color,
                    markerfacecolor="white" if off else color, capsize=4,
                    label=None if verdict in drawn else verdict)
        drawn.add(verdict)
        if off:
            epoch = report["switched_off_epoch"][k]
            note = "switched off" + (f" in epoch {epoch:.0f}" if np.isfinite(epoch) else "")
            ax.annotate(note, (report["mean_gain"][k], position), xytext=(0, 8),
                        textcoords="offset points", ha="center", fontsize="small",
                        color=color)
    if report["switched_off"].any():  # a legend entry for the hollow markers
        ax.plot([], [], "o", color="0.45", markerfacecolor="white", label="switched off")
    ax.axvline(0.0, color="0.5", linewidth=0.8)
    ax.set_yticks(positions, [str(name) for name in report["task"]])
    ax.set_ylim(-0.7, len(positions) - 0.3)
    ax.set_xlabel("average main-task gain (± 2 standard errors)")
    ax.set_title(f"Average gain of every auxiliary task ({_strategy_name(model)})")
    ax.legend()
    return ax


def moving_average(values, window):
    """Trailing moving average along axis 0, over at most ``window`` rows.

    The first rows average over the rows seen so far, so the output has the
    input's shape; NaN rows are skipped.

    Parameters
    ----------
    values : ndarray of shape (n_steps, n_columns)
    window : int

    Returns
    -------
    ndarray of shape (n_steps, n_columns)

    Examples
    --------
    >>> import numpy as np
    >>> moving_average(np.array([[1.0], [3.0], [5.0]]), 2).ravel().tolist()
    [1.0, 2.0, 4.0]
    """
    finite = np.isfinite(values)
    totals = np.cumsum(np.where(finite, values, 0.0), axis=0)
    counts = np.cumsum(finite, axis=0)
    shift = np.zeros((window,) + values.shape[1:])
    totals = totals - np.concatenate([shift, totals])[:len(values)]
    counts = counts - np.concatenate([shift, counts])[:len(values)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals / counts


def _plot_steps(ax, values, names, smooth):
    window = _window(smooth, len(values))
    steps = np.arange(len(values))
    colors = [f"C{k}" for k in range(len(names))]
    for k, name in enumerate(names):
        if window > 1:
            ax.plot(steps, values[:, k], color=colors[k], alpha=0.25, linewidth=0.6)
            ax.plot(steps, moving_average(values[:, k:k + 1], window)[:, 0], color=colors[k],
                    label=f"{name}")
        else:
            ax.plot(steps, values[:, k], color=colors[k], label=name)
    ax.set_xlabel("optimizer step" + (f" (moving average over {window})" if window > 1 else ""))
    ax.legend()


def _window(smooth, n_steps):
    if smooth is None:
        return 1
    if isinstance(smooth, str):
        if smooth != "auto":
            raise ValueError(f"smooth must be an int, 'auto' or None, got {smooth!r}.")
        return max(1, int(round(np.sqrt(n_steps))))
    if not isinstance(smooth, Integral) or smooth < 1:
        raise ValueError(f"smooth must be a positive int, 'auto' or None, got {smooth!r}.")
    return int(smooth)


def _as_columns(report):
    """A report as a dict of arrays (``task`` first), whether a DataFrame or one already."""
    if isinstance(report, dict):
        return report
    return {"task": report.index.to_numpy(),
            **{name: report[name].to_numpy() for name in report.columns}}


def _strategy_name(model):
    return type(model.weighting_).__name__


def _axes(ax):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "hydasklearn.plotting needs matplotlib: pip install hydasklearn[plot]"
        ) from error
    return plt.subplots()[1]
