"""The benchmarks of hydasklearn: one entry point, one suite per question.

Usage::

    python benchmarks/run.py SUITE [--quick] [options]
    python benchmarks/run.py SUITE --help       # the suite's options
    python benchmarks/run.py --list             # every suite, one line each

Every suite writes data files (CSV, JSON, PNG) to ``--results`` (default
``benchmarks/results``; ``--quick`` runs default to
``benchmarks/results/quick``, which git ignores, so that a small run never
overwrites the recorded results) and, beside them, ``run_info_<suite>.json``:
the options, the machine, the versions, the commit, the duration, and
whether the run finished. The docs page ``docs/benchmark_results.rst`` is
filled from these files when the docs are built.

A suite is a function ``suite(options)`` of the parsed options (``options.results``
is the folder to write to); it may return a dict of the settings it used,
which goes into the run information, and it may have an ``add_arguments(parser)``
attribute for options of its own. A function of a results folder,
``suite(results_dir, seeds=..., quick=...)``, is called with the folder and
those of ``--seeds`` and ``--quick`` it takes. Register either in :data:`SUITES`.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helpers next to this file

from _accuracy import run_accuracy  # noqa: E402
from _categorical_suite import run_categorical  # noqa: E402
from _cost_suite import run_cost  # noqa: E402
from _drift_suite import run_drift  # noqa: E402
from _evidence_suite import run_evidence  # noqa: E402
from _grid_suite import run_grid, run_main_job  # noqa: E402
from _options import RESULTS, add_common_arguments  # noqa: E402
from _registry import hydalearn_default_options  # noqa: E402
from _revisions_suite import run_revisions  # noqa: E402
from _scaleout_suite import run_scaleout  # noqa: E402
from _scaling_suite import run_memory, run_scaling  # noqa: E402
from _speed_suite import run_speed  # noqa: E402
from _timing import machine_info, stopwatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

#: suite name -> function of the parsed options.
SUITES = {
    "speed": run_speed,
    "scaling": run_scaling,
    "memory": run_memory,
    "accuracy": run_accuracy,
    "grid": run_grid,
    "main-job": run_main_job,
    "evidence": run_evidence,
    "drift": run_drift,
    "scaleout": run_scaleout,
    "revisions": run_revisions,
    "categorical": run_categorical,
    "cost": run_cost,
}


def parser():
    """The command line: one sub-command per suite, the common options on each."""
    main = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    main.add_argument("--list", action="store_true", help="list the suites and exit")
    commands = main.add_subparsers(dest="suite", metavar="SUITE")
    for name, suite in SUITES.items():
        summary = (suite.__doc__ or name).strip().splitlines()[0]
        command = commands.add_parser(name, help=summary, description=summary)
        add_common_arguments(command)
        if hasattr(suite, "add_arguments"):
            suite.add_arguments(command)
    return main


def main(argv=None):
    options = parser().parse_args(argv)
    if options.list or options.suite is None:
        for name, suite in SUITES.items():
            print(f"{name:<11} {(suite.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if options.results is None:
        options.results = RESULTS / "quick" if options.quick else RESULTS
    options.results = Path(options.results).resolve()
    if getattr(options, "table", False):  # a table of recorded results: nothing is run
        call_suite(SUITES[options.suite], options)
        return 0
    options.results.mkdir(parents=True, exist_ok=True)
    if options.results == (RESULTS / "quick").resolve():
        (options.results / ".gitignore").write_text("*\n")
    info_path = options.results / f"run_info_{options.suite}.json"
    # Written first as incomplete, so that results cut short by a time limit say so.
    info_path.write_text(json.dumps(run_info(options, None, {}), indent=2))
    with stopwatch() as watch:
        settings = call_suite(SUITES[options.suite], options) or {}
    info_path.write_text(json.dumps(run_info(options, watch.wall, settings), indent=2))
    print(f"{options.suite} done in {watch.wall / 60:.1f} min; results in {options.results}")
    return 0


def call_suite(suite, options):
    """Run a suite: ``suite(options)``, or ``suite(results_dir, seeds=..., quick=...)``."""
    parameters = inspect.signature(suite).parameters
    if next(iter(parameters), None) == "options":
        return suite(options)
    given = {"quick": options.quick}
    if options.seeds is not None:
        given["seeds"] = list(range(options.seeds))
    return suite(options.results, **{k: v for k, v in given.items() if k in parameters})


def run_info(options, wall_time, settings):
    """The run information saved beside a suite's results."""
    given = {key: (str(value) if isinstance(value, Path) else value)
             for key, value in vars(options).items() if key not in ("list",)}
    return {"suite": options.suite, "mode": "quick" if options.quick else "full",
            "settings": {**given, **settings}, **machine_info(ROOT),
            "hydalearn_defaults": hydalearn_default_options(),
            "wall_time_s": wall_time, "complete": wall_time is not None}


if __name__ == "__main__":
    sys.exit(main())
