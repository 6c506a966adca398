"""auxiliary_task_report_: per auxiliary task, what the fit's records say about its help."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from _fitting import fit_quietly
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn._sklearn.task_report import REPORT_COLUMNS, auxiliary_task_report
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import EvidenceRule, HydaLearn

pd = pytest.importorskip("pandas")

SMALL = {"hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}


def _fit(relations, n_samples=600, max_iter=20, estimator=HydaMultiTaskClassifier, **params):
    X, y, _ = make_auxiliary_tasks(n_samples=n_samples, n_features=10,
                                   aux_relations=relations, random_state=0)
    return fit_quietly(estimator(**{**SMALL, "max_iter": max_iter, **params}), X, y)


@pytest.fixture(scope="module")
def related_and_noise():
    """The default HydaLearn on one related and one pure-noise auxiliary task."""
    return _fit(("related", "noise"))


@pytest.fixture(scope="module")
def harmful():
    """A small trunk shared with a competing and a pure-noise task, and an evidence rule
    that switches a task off at 2 standard errors of harm (the default's 3 leaves the
    noise task on here): the rule switches the noise task off."""
    return _fit(("conflicting", "noise"), n_samples=400, max_iter=15,
                hidden_layer_sizes=(8,), weighting=HydaLearn(rule=EvidenceRule(release=2.0)))


def test_rows_columns_and_types(related_and_noise):
    report = related_and_noise.auxiliary_task_report_
    assert isinstance(report, pd.DataFrame)
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert report.index.name == "task"
    assert report.index.tolist() == related_and_noise.task_names_[1:]
    assert report["n_measurements"].dtype == np.int64
    assert report["switched_off"].dtype == bool
    assert pd.api.types.is_string_dtype(report["verdict"])
    floats = [c for c in REPORT_COLUMNS if c not in ("n_measurements", "switched_off", "verdict")]
    assert all(report[c].dtype == np.float64 for c in floats)


def test_related_task_helps_noise_does_not(related_and_noise):
    report = related_and_noise.auxiliary_task_report_
    related, noise = report.loc["aux_1"], report.loc["aux_2"]
    assert related["mean_gain"] > 2 * related["gain_standard_error"] > 0
    assert related["verdict"] == "helps" and 0 < related["gain_relative_to_main"] < 1
    assert not noise["mean_gain"] > 2 * noise["gain_standard_error"]
    assert noise["verdict"] != "helps"
    assert not related["switched_off"] and np.isnan(related["switched_off_step"])


def test_values_recomputed_from_gain_history(related_and_noise):
    """The default measures on every gain_every-th step; the steps in between repeat the
    last gains and count once."""
    model = related_and_noise
    every = model.weighting_.gain_every
    assert every > 1  # else no step repeats the last gains
    measured = model.gain_history_[::every, 1]
    for offset in range(1, every):
        repeated = model.gain_history_[offset::every, 1]
        np.testing.assert_array_equal(repeated, measured[:len(repeated)])
    assert len(np.unique(measured)) == len(measured)  # every measurement is new
    row = model.auxiliary_task_report_.loc["aux_1"]
    assert row["n_measurements"] == len(measured)
    np.testing.assert_allclose(row["mean_gain"], measured.mean())
    np.testing.assert_allclose(row["gain_standard_error"],
                               measured.std(ddof=1) / np.sqrt(len(measured)))
    np.testing.assert_allclose(row["gain_z_score"], row["mean_gain"] / row["gain_standard_error"])
    np.testing.assert_allclose(row["gain_relative_to_main"],
                               measured.mean() / model.gain_history_[::every, 0].mean())
    np.testing.assert_allclose(row["mean_weight"], model.weight_history_[:, 1].mean())
    assert row["final_weight"] == model.weight_history_[-1, 1]


def test_task_switched_off_at_the_step_the_weights_show(harmful):
    report = harmful.auxiliary_task_report_
    weights = harmful.weight_history_
    off = report.index[report["switched_off"]].tolist()
    assert off, "the set-up is meant to make the rule switch a task off"
    steps = harmful.training_history()
    for name in off:
        k = harmful.task_names_.index(name)
        step = int(report.loc[name, "switched_off_step"])
        assert step == report.loc[name, "switched_off_step"]
        assert (weights[step:, k] == 0).all() and weights[step - 1, k] > 0
        assert report.loc[name, "switched_off_epoch"] == steps["epoch"].iloc[step]
        assert report.loc[name, "final_weight"] == 0
        assert harmful.weighting_.rule_.gates_[k] == 0  # the rule's own state agrees
    assert report.loc["aux_2", "switched_off"]  # the noise task
    assert report.loc["aux_2", "mean_gain"] < 0


def test_single_task_fit_gives_an_empty_report():
    X, y, _ = make_auxiliary_tasks(n_samples=100, n_features=4, n_informative=2,
                                   random_state=0)
    model = fit_quietly(HydaMultiTaskClassifier(**{**SMALL, "max_iter": 2}), X, y[:, 0])
    report = model.auxiliary_task_report_
    assert report.shape == (0, len(REPORT_COLUMNS))
    assert list(report.columns) == list(REPORT_COLUMNS)


def test_strategy_without_gains_reports_weights_only():
    model = _fit(("related", "noise"), n_samples=200, max_iter=3, weighting=[1.0, 0.5, 0.0])
    report = model.auxiliary_task_report_
    assert report[["mean_gain", "gain_standard_error", "gain_z_score"]].isna().all().all()
    assert (report["n_measurements"] == 0).all()
    assert (report["verdict"] == "not measured").all()
    assert report["mean_weight"].tolist() == pytest.approx(
        model.weight_history_[:, 1:].mean(axis=0).tolist())
    assert report["switched_off"].tolist() == [False, True]
    assert report.loc["aux_2", "switched_off_step"] == 0
    assert report.loc["aux_2", "switched_off_epoch"] == 1


def test_regressor_and_the_rule_thresholds():
    rule = EvidenceRule(evidence=1e9, release=1e9)
    X, y, _ = make_auxiliary_tasks(n_samples=200, n_features=6, main_type="regression",
                                   random_state=0)
    model = fit_quietly(HydaMultiTaskRegressor(**{**SMALL, "max_iter": 3},
                                               weighting=HydaLearn(rule=rule)), X, y)
    report = model.auxiliary_task_report_
    assert (report["n_measurements"] > 0).all()
    assert (report["verdict"] == "no evidence").all()  # thresholds no average clears


def test_dict_of_arrays_without_pandas(related_and_noise, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    report = related_and_noise.auxiliary_task_report_
    assert isinstance(report, dict)
    assert list(report) == ["task", *REPORT_COLUMNS]
    assert report["task"].tolist() == ["aux_1", "aux_2"]
    assert all(isinstance(v, np.ndarray) and len(v) == 2 for v in report.values())


def test_not_fitted():
    model = HydaMultiTaskClassifier()
    assert not hasattr(model, "auxiliary_task_report_")
    with pytest.raises(NotFittedError):
        _ = model.auxiliary_task_report_


def test_function_on_records():
    weights = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 0.0, 1.0], [1.0, 2.0, 0.0, 1.0],
                        [1.0, 0.0, 0.0, 2.0]])
    gains = np.array([[1.0, 0.5, -0.5, 0.0], [1.0, 0.5, -0.5, 0.0], [2.0, 1.5, -1.0, 0.1],
                      [2.0, 1.0, -1.5, np.nan]])
    report = auxiliary_task_report(weights, gains, ["m", "a", "b", "c"], step_epochs=[1, 1, 2, 2],
                                   evidence=1.0, release=1.0, as_frame=False)
    # step 1 repeats step 0 (a step between measurements): 3 measurements
    assert report["n_measurements"].tolist() == [3, 3, 2]  # c's last gain is not finite
    np.testing.assert_allclose(report["mean_gain"], [1.0, -1.0, 0.05])
    np.testing.assert_allclose(report["gain_standard_error"], [0.5 / np.sqrt(3), 0.5 / np.sqrt(3),
                                                               0.05])
    np.testing.assert_allclose(report["gain_relative_to_main"], np.array([1.0, -1.0, 0.05]) / 5 * 3)
    assert report["verdict"].tolist() == ["helps", "hurts", "no evidence"]
    assert report["switched_off"].tolist() == [True, True, False]
    np.testing.assert_array_equal(report["switched_off_step"], [3, 1, np.nan])
    np.testing.assert_array_equal(report["switched_off_epoch"], [2, 1, np.nan])
    assert report["final_weight"].tolist() == [0.0, 0.0, 2.0]
    frame = auxiliary_task_report(weights, gains, ["m", "a", "b", "c"])
    assert isinstance(frame, pd.DataFrame) and frame["switched_off_epoch"].isna().all()
