"""The evidence suite: the relations of the set-ups' tasks, its rows and summary, one tiny run."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def test_relations_are_known_for_generated_set_ups_and_the_main_job_only():
    from _evidence_suite import known_setups, relations
    from _registry import SETUPS

    assert relations(SETUPS["hurt: 2 conflicting + noise, trunk 8"]) == (
        "conflicting", "conflicting", "noise")
    assert relations(SETUPS["main job: aux tasks help"]) == ("related", "noise")
    assert relations(SETUPS["real: SUPPORT2, later outcomes as aux"]) is None
    known = known_setups()
    assert "main job: aux tasks hurt" in known and "help: related" in known
    assert not any(name.startswith("real") for name in known)


def test_every_auxiliary_task_of_a_fit_gets_a_row_with_its_relation():
    from _evidence_suite import COLUMNS, evidence_rows, summary

    rows = [{"setup": "main job: aux tasks hurt", "seed": seed,
             "gain_z_scores": np.array([-1.0, 0.5, 2.0]) + seed,
             "switched_off": np.array([True, False, False])} for seed in (0, 1)]
    table = pd.DataFrame(evidence_rows(rows), columns=COLUMNS)
    assert table["relation"].tolist() == ["conflicting", "conflicting", "noise"] * 2
    assert table["task"].tolist() == ["aux_1", "aux_2", "aux_3"] * 2
    assert set(table["kind"]) == {"hurt"}
    summed = summary(table)
    conflicting = summed.loc[("main job: aux tasks hurt", "conflicting")]
    assert (conflicting["tasks"], conflicting["z_min"], conflicting["z_max"]) == (4, -1.0, 1.5)
    assert conflicting["switched_off"] == 0.5


def test_a_tiny_run_writes_the_evidence_of_every_auxiliary_task(tmp_path):
    done = subprocess.run([sys.executable, str(RUN), "evidence", "--seeds", "1", "--epochs",
                           "2", "--rows", "60", "--setups", "main job", "--results",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(tmp_path / "evidence.csv")
    assert len(frame) == 2 + 3  # the help scenario's two tasks, the hurt one's three
    assert frame["relation"].tolist() == ["related", "noise", "conflicting", "conflicting",
                                          "noise"]
    assert frame["switched_off"].dtype == bool
