"""Benchmarks of hydasklearn on generated and real data: accuracy, speed and scaling.

Usage::

    pip install -e '.[benchmarks]'
    python benchmarks/run.py --quick        # about 10 minutes on 2 busy cores
    python benchmarks/run.py                # full: 5 seeds, all rows (an hour or more)
    python benchmarks/run.py --accuracy     # only the accuracy part
    python benchmarks/run.py --speed        # only the speed suite and scaling

The accuracy part compares, on the same splits and seeds, single-task
learning, every weighting strategy of ``hydasklearn.weighting.STRATEGIES``
(read at run time), HydaLearn with held-out gains, scikit-learn's
``MLPClassifier`` and ``HistGradientBoostingClassifier``. Every method gets
the same number of candidate configurations, chosen on a validation split;
the test split only scores the chosen model. Tasks: generated data, Lending
Club loans with the pricing columns as auxiliary targets or as features, and
30-day mortality in SUPPORT2 with later outcomes as auxiliary targets.

The speed part runs the speed scripts of ``benchmarks/`` that exist
(``bench_backend.py``, ``bench_hydalearn.py``, ``bench_strategies.py``) and
measures fit time against the number of rows and of auxiliary tasks.

Results go to ``benchmarks/results/`` (CSV, PNG, the speed scripts' text
output). The docs page ``docs/benchmark_results.rst`` is written by hand and
fills its numbers, tables and figures in from them when the docs are built
(``benchmarks/_report.py`` computes them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helpers next to this file

from _accuracy import run_accuracy, summarize  # noqa: E402
from _plots import plot_scaling, plot_scores, plot_weight_trajectories  # noqa: E402
from _speed_suite import run_speed_scripts, scaling_with_rows, scaling_with_tasks  # noqa: E402
from _tasks import TASKS  # noqa: E402
from _timing import stopwatch  # noqa: E402

import hydasklearn  # noqa: E402
from hydasklearn.weighting import HydaLearn  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Settings:
    """What a run does; :func:`preset` gives the quick and the full mode."""

    quick: bool
    seeds: list = field(default_factory=lambda: [0, 1, 2, 3, 4])
    budget: int = 4                   # candidate configurations per method
    max_rows: int | None = None       # stratified subsample of every task
    max_iter: int = 100               # epoch cap of the networks
    patience: int = 10                # early stopping: epochs without improvement
    tasks: list = field(default_factory=lambda: list(TASKS))
    jobs: int = 1                     # (task, seed) units run in parallel
    threads: int = 1                  # torch threads per unit
    rows_grid: list = field(default_factory=lambda: [10**3, 10**4, 10**5, 10**6])
    tasks_grid: list = field(default_factory=lambda: [1, 2, 4, 8, 16])
    tasks_rows: int = 20000
    repeats: int = 3
    speed_epochs: int = 2
    speed_threads: int = 1            # threads of every fit in the scaling part
    script_timeout: int = 480
    scripts: bool = True              # run the speed scripts of the other benchmarks


def preset(quick):
    """Settings of the quick or the full mode."""
    if not quick:
        return Settings(quick=False)
    return Settings(quick=True, seeds=[0, 1], budget=2, max_rows=3000, max_iter=40, patience=5,
                    rows_grid=[10**3, 10**4, 10**5], tasks_rows=4000, repeats=2,
                    script_timeout=120)


def main(argv=None):
    global RESULTS  # --results redirects every output of the run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds, 2 candidates, 3,000 rows per task, rows up to 1e5")
    parser.add_argument("--accuracy", action="store_true", help="run the accuracy part")
    parser.add_argument("--speed", action="store_true", help="run the speed part")
    parser.add_argument("--seeds", type=int, help="number of seeds (overrides the mode)")
    parser.add_argument("--budget", type=int, help="candidates per method (overrides the mode)")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), help="accuracy tasks to run")
    parser.add_argument("--jobs", type=int, default=1, help="(task, seed) units in parallel")
    parser.add_argument("--skip-scripts", action="store_true",
                        help="speed part without the bench_*.py scripts")
    parser.add_argument("--speed-threads", type=int, default=1,
                        help="threads of every fit in the scaling part")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="folder of the CSV and PNG results (default: benchmarks/results)")
    args = parser.parse_args(argv)
    RESULTS = args.results.resolve()
    settings = preset(args.quick)
    if args.seeds:
        settings.seeds = list(range(args.seeds))
    if args.budget:
        settings.budget = args.budget
    if args.tasks:
        settings.tasks = args.tasks
    settings.jobs = args.jobs
    settings.speed_threads = args.speed_threads
    settings.scripts = not args.skip_scripts
    parts = {"accuracy": args.accuracy or not args.speed, "speed": args.speed or not args.accuracy}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for part, run_part in (("accuracy", accuracy_part), ("speed", speed_part)):
        if parts[part]:
            # Written first as incomplete, so that results cut short by a time limit say so.
            info = run_info(settings, part, None)
            (RESULTS / f"run_info_{part}.json").write_text(json.dumps(info, indent=2))
            with stopwatch() as watch:
                run_part(settings)
            info = run_info(settings, part, watch.wall)
            (RESULTS / f"run_info_{part}.json").write_text(json.dumps(info, indent=2))
            print(f"{part} part done in {info['wall_time_s'] / 60:.1f} min")
    return 0


def accuracy_part(settings):
    print(f"accuracy: tasks {settings.tasks}, seeds {settings.seeds}, budget {settings.budget}")
    runs, trajectories = run_accuracy(settings, on_unit=save_accuracy)
    summary = save_accuracy(runs, trajectories)
    print(summary[["task", "method", "test_roc_auc_mean", "test_roc_auc_std",
                   "test_log_loss_mean", "fit_time_mean"]].to_string(index=False))


def save_accuracy(runs, trajectories):
    """Write the accuracy CSVs and figures (also called with partial results)."""
    summary = summarize(runs)
    runs.to_csv(RESULTS / "accuracy_runs.csv", index=False)
    summary.to_csv(RESULTS / "accuracy_summary.csv", index=False, float_format="%.5g")
    save_trajectories(trajectories)
    titles = {name: task.title for name, task in TASKS.items()}
    plot_scores(runs, summary, titles, RESULTS / "accuracy.png")
    if trajectories:
        plot_weight_trajectories(trajectories, titles, RESULTS / "weight_trajectories.png")
    return summary


def save_trajectories(trajectories):
    """Per-step weights of HydaLearn (first seed) and their means, as CSV."""
    means = []
    for t in trajectories:
        frame = pd.DataFrame(t["weights"], columns=t["task_names"])
        frame.index.name = "step"
        frame.to_csv(RESULTS / f"weights_{t['task']}_{t['method']}.csv", float_format="%.4g")
        means += [{"task": t["task"], "method": t["method"], "target": name,
                   "is_main": k == 0, "mean_weight": frame[name].mean(),
                   "std_weight": frame[name].std(), "share_zero": (frame[name] == 0).mean()}
                  for k, name in enumerate(t["task_names"])]
    pd.DataFrame(means).to_csv(RESULTS / "weight_means.csv", index=False, float_format="%.4g")


def speed_part(settings):
    print("fit time against rows:")
    rows = scaling_with_rows(settings)
    rows.to_csv(RESULTS / "scaling_rows.csv", index=False, float_format="%.4g")
    plot_scaling(rows, "n_rows", "rows", RESULTS / "scaling_rows.png",
                 f"main + 2 aux tasks, MLP 2x64, {settings.speed_epochs} epochs "
                 "(boosting: 100 iterations)")
    print("fit time against auxiliary tasks:")
    tasks = scaling_with_tasks(settings)
    tasks.to_csv(RESULTS / "scaling_tasks.csv", index=False, float_format="%.4g")
    plot_scaling(tasks, "n_aux", "auxiliary tasks", RESULTS / "scaling_tasks.png",
                 f"{settings.tasks_rows} rows, MLP 2x64, {settings.speed_epochs} epochs")
    if settings.scripts:
        print("speed scripts:")
        scripts = run_speed_scripts(settings, RESULTS)
        scripts["mode"] = "quick" if settings.quick else "full"
        scripts["date"] = time.strftime("%Y-%m-%d")
        scripts.to_csv(RESULTS / "speed_scripts.csv", index=False, float_format="%.1f")


def run_info(settings, part, wall_time):
    """Machine, versions and settings of a part's run (saved next to its results)."""
    return {
        "mode": "quick" if settings.quick else "full",
        "part": part,
        "settings": asdict(settings),
        "machine": f"{platform.system()} {platform.machine()}, "
                   f"{platform.processor() or 'unknown CPU'}",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__, "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "hydasklearn": hydasklearn.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "wall_time_s": wall_time,
        "complete": wall_time is not None,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        # Uncommitted changes of the package make a run hard to reproduce: say so.
        "package_modified": bool(_git("status", "--porcelain", "--", "hydasklearn")),
        "hydalearn_defaults": {k: v for k, v in HydaLearn().get_params().items()
                               if isinstance(v, (str, int, float, type(None)))},
    }


def _git(*arguments):
    try:
        return subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=ROOT,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
