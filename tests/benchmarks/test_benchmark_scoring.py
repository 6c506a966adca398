"""The benchmarks' scoring harness: paired differences, the bar, scores files, one fit."""

import importlib
import math

import numpy as np
import pytest

scoring = importlib.import_module("_scoring")


def test_paired_difference_is_the_mean_and_standard_error_of_per_seed_differences():
    mean, error = scoring.paired(np.array([0.82, 0.84, 0.83]), np.array([0.80, 0.80, 0.80]))
    assert mean == pytest.approx(0.03)
    assert error == pytest.approx(np.std([0.02, 0.04, 0.03], ddof=1) / np.sqrt(3))
    # only the seeds both have; one seed has no standard error
    assert scoring.paired([0.9, 0.5], [0.8])[0] == pytest.approx(0.1)
    assert math.isnan(scoring.paired([0.9], [0.8])[1])


def test_the_bar_is_the_better_baseline_minus_one_standard_error():
    single, equal = np.array([0.80, 0.81, 0.82]), np.array([0.70, 0.71, 0.72])
    assert scoring.better_baseline({"single-task": single, "equal": equal}) == "single-task"
    mean, error, met = scoring.verdict_against_better("hurt: x", single - 0.01, single, equal)
    assert (mean, error, met) == (pytest.approx(-0.01), pytest.approx(0.0), False)
    assert scoring.verdict_against_better("hurt: x", single, single, equal)[2]
    # mixed set-ups also need +0.003 above both baselines
    same = np.array([0.8, 0.8, 0.8])
    assert scoring.verdict_against_better("mixed: x", same + [0.001, 0.003, 0.005], same, same)[2]
    assert not scoring.verdict_against_better("mixed: x", same + [0.001, 0.002, 0.003], same,
                                              same)[2]
    assert scoring.cell("hurt: x", single, single, equal) == "+0.0000 ± 0.0000 *"


def test_scores_files_round_trip_and_rename_recorded_names(tmp_path):
    path = tmp_path / "scores.csv"
    rows = [{"setup": "hurt: x", "variant": name, "seed": seed, "roc_auc": value}
            for name, values in (("single-task", [0.8, 0.81]), ("equal", [0.7, 0.71]),
                                 ("old name", [0.8, 0.82]))
            for seed, value in enumerate(values)]
    scoring.write_scores(path, rows[:2])
    scoring.write_scores(path, rows[2:])  # appends, one header
    assert path.read_text().count("setup,variant") == 1
    scores = scoring.read_scores(path, {"old name": "new name"})
    np.testing.assert_allclose(scores["hurt: x"]["new name"], [0.8, 0.82])
    table = scoring.markdown_table(scores)
    assert table.splitlines()[0] == "| variant | hurt: x |"
    assert "| new name | +0.0050 ± 0.0050 * |" in table


def test_score_fits_a_configuration_on_a_setup_split():
    registry = importlib.import_module("_registry")
    setup = registry.GeneratedSetup("help: tiny", "help", train=80, test=80,
                                    fit=dict(hidden_layer_sizes=(4,), max_iter=2))
    single = scoring.score("single-task", setup, 0)
    assert single["setup"] == "help: tiny" and single["variant"] == "single-task"
    assert 0 <= single["roc_auc"] <= 1 and single["fit_time"] > 0
    assert len(single["mean_weights"]) == 1  # the main task alone
    rows = scoring.score_all([setup], ["equal", "static:1,0,0"], [0, 1])
    assert [(r["variant"], r["seed"]) for r in rows] == [
        ("equal", 0), ("static:1,0,0", 0), ("equal", 1), ("static:1,0,0", 1)]
    assert len(rows[0]["mean_weights"]) == 3
    assert scoring.by_variant(rows)["help: tiny"]["equal"].shape == (2,)


def test_a_checked_name_wraps_the_model_in_its_held_out_check():
    from _split_check import SplitCheck
    from sklearn.model_selection import GridSearchCV

    from hydasklearn import HydaMultiTaskClassifier

    model = HydaMultiTaskClassifier()
    assert scoring.checked_as_named(model, "hydalearn", 0) is model
    folds = scoring.checked_as_named(model, "checked:hydalearn", 0)
    assert isinstance(folds, GridSearchCV) and folds.estimator is model
    split = scoring.checked_as_named(model, "split-checked-3se:hydalearn", 4)
    assert isinstance(split, SplitCheck)
    assert (split.estimator, split.evidence, split.random_state) == (model, 3.0, 4)
    assert scoring.checked_as_named(model, "split-checked:equal", 0).evidence == 1.0
