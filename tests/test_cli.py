"""The main job: ``python -m hydasklearn``."""

import math

from hydasklearn._cli import compare_weightings, format_table, main
from hydasklearn.weighting import STRATEGIES


def test_main_job_prints_a_row_per_weighting(capsys):
    assert main(["--n-samples", "300", "--max-iter", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "weighting"
    names = [line.split()[0] for line in lines[1:]]
    assert names == ["single-task", *STRATEGIES]


def test_scores_are_real_roc_aucs():
    rows = compare_weightings(n_samples=300, max_iter=2)
    fitted = [row for row in rows if "skipped" not in row]
    assert {"single-task", "equal", "hydalearn"} <= {row["weighting"] for row in fitted}
    for row in fitted:
        assert 0.0 <= row["roc_auc"] <= 1.0 and math.isfinite(row["fit_time"])


def test_skipped_strategy_is_reported_with_its_reason():
    table = format_table([{"weighting": "torchjd", "skipped": "needs hydasklearn[torchjd]"}])
    assert "torchjd" in table and "needs hydasklearn[torchjd]" in table
