"""The benchmarks' one entry point: every suite has a --help, and a tiny run writes its files."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

RUN = BENCHMARKS / "run.py"


def _run(*arguments, timeout=300):
    return subprocess.run([sys.executable, str(RUN), *arguments], capture_output=True,
                          text=True, timeout=timeout)


def test_every_suite_is_listed_and_has_its_help():
    run = importlib.import_module("run")
    expected = {"speed", "scaling", "memory", "accuracy", "grid", "main-job", "drift"}
    assert expected <= set(run.SUITES)
    parser = run.parser()
    for name in run.SUITES:
        with pytest.raises(SystemExit) as done:
            parser.parse_args([name, "--help"])
        assert done.value.code == 0
    listed = _run("--list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(run.SUITES)


def test_a_tiny_run_writes_its_results_and_run_information(tmp_path):
    done = _run("main-job", "--seeds", "2", "--epochs", "1", "--rows", "40", "--configs",
                "hydalearn-paper", "--results", str(tmp_path))
    assert done.returncode == 0, done.stderr
    scores = (tmp_path / "main_job.csv").read_text().splitlines()
    assert scores[0] == "setup,variant,seed,roc_auc"
    assert len(scores) == 1 + 2 * 3 * 2  # 2 scenarios x (2 baselines + 1) x 2 seeds
    info = json.loads((tmp_path / "run_info_main-job.json").read_text())
    assert info["complete"] and info["suite"] == "main-job"
    assert info["settings"]["seeds"] == [0, 1]
    assert {"machine", "python", "torch", "git_commit"} <= set(info)
    assert "| hydalearn-paper |" in done.stdout


def test_quick_runs_do_not_write_over_the_recorded_results():
    run = importlib.import_module("run")
    options = importlib.import_module("_options")
    assert options.RESULTS == BENCHMARKS / "results"
    source = RUN.read_text()
    assert 'RESULTS / "quick" if options.quick else RESULTS' in source
    assert run.SUITES["grid"].__name__ == "run_grid"


def test_a_suite_is_a_function_of_the_options_or_of_a_results_folder(tmp_path):
    run = importlib.import_module("run")
    options = run.parser().parse_args(["grid", "--seeds", "3", "--results", str(tmp_path)])
    calls = []

    def of_options(options):
        calls.append(options.seeds)
        return {"seen": True}

    def of_a_folder(results_dir, seeds=(0,), quick=False):
        calls.append((results_dir, list(seeds), quick))

    assert run.call_suite(of_options, options) == {"seen": True}
    assert run.call_suite(of_a_folder, options) is None
    assert calls == [3, (tmp_path, [0, 1, 2], False)]


TINY = {
    "accuracy": (["--datasets", "generated", "--seeds", "1", "--budget", "1", "--epochs", "2",
                  "--rows", "300"], ["accuracy_runs.csv", "accuracy_summary.csv",
                                     "weight_means.csv"]),
    "speed": (["--repeats", "1", "--epochs", "2", "--rows", "256", "--only", "hydasklearn",
               "torch loop", "equal", "hydalearn", "--threads", "1"], ["speed_backend.csv", "speed_strategies.csv"]),
    "scaling": (["--rows-grid", "200", "--tasks-grid", "1", "--rows", "200", "--repeats", "1",
                 "--epochs", "1"], ["scaling_rows.csv", "scaling_tasks.csv"]),
    "drift": (["--seeds", "1", "--epochs", "2", "--rows", "200", "--threads", "1"],
              ["drift.csv"]),
}


@pytest.mark.parametrize("suite", list(TINY))
def test_tiny_runs_of_the_suites_write_their_files(suite, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    run = importlib.import_module("run")
    monkeypatch.setattr("builtins.print", lambda *args, **kwargs: None)
    arguments, files = TINY[suite]
    assert run.main([suite, *arguments, "--results", str(tmp_path)]) == 0
    for name in files:
        assert (tmp_path / name).stat().st_size > 0
    info = json.loads((tmp_path / f"run_info_{suite}.json").read_text())
    assert info["complete"] and info["suite"] == suite


def test_a_table_of_recorded_scores_runs_nothing_and_writes_nothing(tmp_path, capsys):
    run = importlib.import_module("run")
    (tmp_path / "main_job.csv").write_text(
        "setup,variant,seed,roc_auc\n" + "".join(
            f"main job: aux tasks help,{name},{seed},{0.8 + 0.01 * seed + bonus}\n"
            for name, bonus in (("single-task", 0.0), ("equal", 0.01), ("hydalearn", 0.012))
            for seed in range(3)))
    assert run.main(["main-job", "--table", "--results", str(tmp_path)]) == 0
    assert "| hydalearn | +0.0020 ± 0.0000 * |" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main_job.csv"]
