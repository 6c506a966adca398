"""hydasklearn.plotting: what is drawn matches the fitted estimator's records."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from _fitting import auxiliary_data, fit_quietly
from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.weighting import EvidenceRule, HydaLearn

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hydasklearn.plotting import (  # noqa: E402
    VERDICT_COLORS,
    moving_average,
    plot_gains,
    plot_loss_curves,
    plot_task_evidence,
    plot_task_weights,
)


def _fit(**params):
    X, y = auxiliary_data(n_samples=150, n_informative=3)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), batch_size=25, max_iter=4,
                                    random_state=0, **params)
    return fit_quietly(model, X, y)


@pytest.fixture(scope="module")
def fitted():
    return _fit()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_task_weights_raw_and_smoothed(fitted):
    ax = plot_task_weights(fitted, smooth=5)
    lines = ax.get_lines()
    n_tasks = len(fitted.task_names_)
    assert len(lines) == 2 * n_tasks  # raw + smoothed per task
    for k in range(n_tasks):
        raw, smoothed = lines[2 * k], lines[2 * k + 1]
        np.testing.assert_array_equal(raw.get_ydata(), fitted.weight_history_[:, k])
        np.testing.assert_allclose(smoothed.get_ydata(),
                                   moving_average(fitted.weight_history_[:, [k]], 5)[:, 0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == fitted.task_names_


def test_task_weights_on_given_axes_without_smoothing(fitted):
    _, ax = plt.subplots()
    assert plot_task_weights(fitted, ax=ax, smooth=None) is ax
    assert len(ax.get_lines()) == len(fitted.task_names_)
    assert len(plot_task_weights(fitted, smooth=1).get_lines()) == len(fitted.task_names_)


def test_gains_drawn_for_hydalearn_refused_without_gains(fitted):
    ax = plot_gains(fitted, smooth=None)
    for k, line in enumerate(ax.get_lines()[:len(fitted.task_names_)]):
        np.testing.assert_array_equal(line.get_ydata(), fitted.gain_history_[:, k])
    with pytest.raises(ValueError, match="records no gains"):
        plot_gains(_fit(weighting="equal"))


def test_loss_curves_per_task_and_validation():
    model = _fit(early_stopping=True, validation_fraction=0.2)
    ax = plot_loss_curves(model)
    lines = ax.get_lines()
    assert len(lines) == len(model.task_names_) + 1
    for line, name in zip(lines, model.task_names_):
        np.testing.assert_allclose(line.get_ydata(), model.task_loss_curves_[name])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, model.n_iter_ + 1))
    np.testing.assert_allclose(lines[-1].get_ydata(), model.validation_loss_curve_)


def test_moving_average_against_a_loop():
    values = np.random.RandomState(0).normal(size=(23, 2))
    values[4, 1] = np.nan
    expected = np.array([[np.nanmean(values[max(0, i - 6):i + 1, j]) for j in range(2)]
                         for i in range(23)])
    np.testing.assert_allclose(moving_average(values, 7), expected)


def test_task_evidence_draws_the_report():
    """One bar per auxiliary task at its average gain, 2 standard errors either side,
    colored by the verdict; a task switched off is hollow and noted."""
    model = _fit(weighting=HydaLearn(rule=EvidenceRule(warm_up=0, release=0.0)))
    report = model.auxiliary_task_report_
    ax = plot_task_evidence(model)
    bars = ax.containers
    assert len(bars) == len(report)
    rows = dict(zip((t.get_text() for t in ax.get_yticklabels()), ax.get_yticks()))
    assert rows[report.index[0]] > rows[report.index[-1]]  # the first task on top
    for bar, (name, row) in zip(bars, report.iterrows()):
        marker, _, (segments,) = bar.lines
        assert marker.get_xdata()[0] == pytest.approx(row["mean_gain"])
        assert marker.get_ydata()[0] == rows[name]
        low, high = segments.get_segments()[0][:, 0]
        assert (low, high) == pytest.approx((row["mean_gain"] - 2 * row["gain_standard_error"],
                                             row["mean_gain"] + 2 * row["gain_standard_error"]))
        assert matplotlib.colors.same_color(marker.get_color(), VERDICT_COLORS[row["verdict"]])
        assert (marker.get_markerfacecolor() == "white") == row["switched_off"]
    notes = [t.get_text() for t in ax.texts]
    assert len(notes) == report["switched_off"].sum()
    assert notes, "the rule with release=0 is meant to switch a task off here"
    assert all(note.startswith("switched off in epoch") for note in notes)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(legend) == set(report["verdict"]) | {"switched off"}


def test_task_evidence_refused_without_gains_or_auxiliary_tasks():
    with pytest.raises(ValueError, match="records no gains"):
        plot_task_evidence(_fit(weighting="equal"))
    X, y = auxiliary_data(n_samples=60, n_informative=3)
    single = fit_quietly(HydaMultiTaskClassifier(hidden_layer_sizes=(4,), max_iter=1,
                                                 random_state=0), X, y[:, 0])
    with pytest.raises(ValueError, match="without auxiliary tasks"):
        plot_task_evidence(single)


def test_clear_errors(fitted, monkeypatch):
    for plot in (plot_task_weights, plot_gains, plot_loss_curves, plot_task_evidence):
        with pytest.raises(NotFittedError):
            plot(HydaMultiTaskClassifier())
    for smooth in (0, 2.5, "median"):
        with pytest.raises(ValueError, match="smooth must be"):
            plot_task_weights(fitted, smooth=smooth)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install hydasklearn\[plot\]"):
        plot_task_weights(fitted)


def test_automatic_smoothing_window(fitted):
    n_steps = len(fitted.weight_history_)  # 4 epochs of 6 steps
    ax = plot_task_weights(fitted)
    window = int(round(np.sqrt(n_steps)))
    assert window > 1 and f"moving average over {window}" in ax.get_xlabel()
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(),
                               moving_average(fitted.weight_history_[:, [0]], window)[:, 0])
