"""The cost suite: paired ratios and verdicts on fake timings, its table, one tiny run."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def _timings():
    """Three repeats of equal and hydalearn; hydalearn stops one repeat early."""
    from _timing import Timings

    walls = {"equal": [1.0, 2.0, 1.0], "hydalearn": [1.1, 2.6, 1.3]}
    epochs = {"equal": [10, 10, 10], "hydalearn": [10, 13, 5]}
    return Timings(
        wall=walls, cpu={name: [2 * w for w in v] for name, v in walls.items()},
        epochs={name: [] for name in walls},
        returned={name: [{"epochs": n, "configuration": f"{name}()"} for n in epochs[name]]
                  for name in walls})


def test_paired_ratios_are_per_repeat_quartiles():
    from _cost_suite import paired_ratio_quartiles

    q25, median, q75 = paired_ratio_quartiles([1.1, 2.6, 1.3], [1.0, 2.0, 1.0])
    assert median == pytest.approx(1.3)
    assert (q25, q75) == (pytest.approx(1.2), pytest.approx(1.3))


def test_rows_have_ratios_epochs_and_the_verdict():
    from _cost_suite import cost_rows

    rows = {row["name"]: row for row in cost_rows(_timings(), target=1.2)}
    equal, default = rows["equal"], rows["hydalearn"]
    assert equal["wall_ratio"] == equal["paired_wall_ratio_median"] == 1.0
    assert equal["target"] is None and equal["meets_target"] is None
    assert default["configuration"] == "hydalearn()" and default["repeats"] == 3
    assert default["wall_median_s"] == 1.3 and default["wall_min_s"] == 1.1
    assert default["wall_ratio"] == pytest.approx(1.3)  # ratio of medians: 1.3 / 1.0
    assert default["cpu_ratio"] == pytest.approx(1.3)
    assert default["paired_wall_ratio_median"] == pytest.approx(1.3)
    assert default["epochs_median"] == 10
    # seconds per epoch: 0.11, 0.2, 0.26 against 0.1, 0.2, 0.1
    assert default["seconds_per_epoch_median"] == pytest.approx(0.2)
    assert default["epoch_ratio"] == pytest.approx(0.2 / 0.1)
    assert default["target"] == 1.2 and default["meets_target"] is False
    assert cost_rows(_timings(), target=1.3)[1]["meets_target"] is True


def test_set_ups_are_chosen_by_prefix():
    from _cost_suite import chosen_setups

    assert chosen_setups(None) == ["generated", "nine tasks", "lending", "support2"]
    assert chosen_setups(["gen", "supp"]) == ["generated", "support2"]
    with pytest.raises(SystemExit, match="No set-up of the cost suite"):
        chosen_setups(["hurt"])


def test_cost_is_listed_with_its_options():
    run = importlib.import_module("run")
    options = run.parser().parse_args(["cost", "--configs", "hydalearn:gain_every=4"])
    assert options.configs == ["hydalearn:gain_every=4"]
    listed = subprocess.run([sys.executable, str(RUN), "--list"], capture_output=True,
                            text=True, timeout=120, check=False)
    assert any(line.split()[0] == "cost" for line in listed.stdout.splitlines())


def test_the_docs_table_reads_cost_csv(tmp_path):
    from _cost_suite import COLUMNS, cost_rows

    report = importlib.import_module("_report")
    with pytest.raises(report.MissingResults):  # the docs show a placeholder
        report.cost_table(report.Results(tmp_path))
    frame = pd.DataFrame(cost_rows(_timings(), target=1.2))
    frame["setup"], frame["threads"] = "generated", 2
    frame.reindex(columns=COLUMNS).to_csv(tmp_path / "cost.csv", index=False)
    text = "\n".join(report.TABLES["cost"](report.Results(tmp_path)))
    assert '"generated", "equal", "3", "1.00", "1.00x", "1.00x (1.00x to 1.00x)", "1.00x", ' \
           '"-", "-"' in text
    assert '"generated", "hydalearn", "3", "1.30", "1.30x", "1.30x (1.20x to 1.30x)", ' \
           '"2.00x", "<= 1.2x", "no"' in text
    assert "cost-candidates" in report.TABLES


def test_a_tiny_run_writes_cost_csv(tmp_path, monkeypatch):
    run = importlib.import_module("run")
    monkeypatch.setattr("builtins.print", lambda *args, **kwargs: None)
    assert run.main(["cost", "--setups", "generated", "--repeats", "2", "--rows", "128",
                     "--epochs", "1", "--threads", "1", "--results", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "cost.csv")
    assert list(table["name"]) == ["equal", "hydalearn"]
    assert set(table["setup"]) == {"generated"} and set(table["repeats"]) == {2}
    assert table["rows"].iloc[0] == 128 and table["n_tasks"].iloc[0] == 3
    assert table["meets_target"].isna().iloc[0] and table["target"].iloc[1] == 1.2
