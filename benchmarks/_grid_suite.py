"""The grid and main-job suites: configurations against single-task learning and equal weighting.

Both score configurations of the registry on set-ups of the registry with the
scoring harness (:mod:`_scoring`): every configuration on the same data and
initialization per seed, so that differences are paired. Per set-up they
print the paired difference of every configuration to the better of
single-task learning and equal weighting (mean ± standard error over the
seeds), and whether it meets the bar: at least the better baseline minus one
standard error and, on mixed set-ups, at least +0.003 above both.

* ``grid``: the generated set-ups where auxiliary tasks help, only hurt or
  both, and the real data sets (``--setups real`` needs the ``benchmarks``
  extra). Appends every seed's score to ``grid.csv`` (set-up, variant, seed,
  ROC AUC), so that a table can be rebuilt from several runs (``--table``).
* ``main-job``: the two scenarios of ``python -m hydasklearn`` (as the
  package defines them: short fits, no early stopping); ``main_job.csv``.
"""

from __future__ import annotations

import time

import numpy as np
from _options import pick
from _registry import GRID, MAIN_JOB, RENAMED, SETUPS, resolve, select_setups
from _scoring import BASELINES, markdown_table, read_scores, score_all, write_scores


def _add_arguments(parser):
    parser.add_argument("--configs", nargs="+", default=["hydalearn"], metavar="NAME",
                        help="configurations of the registry, 'static:w0,w1,...' or "
                             "'hydalearn:key=value,...' (default: hydalearn)")
    parser.add_argument("--skip-baselines", action="store_true",
                        help="fit the configurations only (the scores file must hold the "
                             "baselines' from an earlier run)")
    parser.add_argument("--table", action="store_true",
                        help="print the markdown table of the scores file instead of fitting")


def run_grid(options):
    """HydaLearn's variants over generated and real set-ups where auxiliary tasks help or hurt."""
    return _run(options, GRID, "grid.csv", seeds=10, overrides={})


def run_main_job(options):
    """Configurations on the main job's scenarios (python -m hydasklearn), fitted as it fits."""
    return _run(options, MAIN_JOB, "main_job.csv", seeds=5, overrides={})


run_grid.add_arguments = run_main_job.add_arguments = _add_arguments


def _run(options, default_setups, file_name, seeds, overrides):
    path = options.results / file_name
    setups = select_setups(options.setups, default_setups)
    if options.table:
        print(markdown_table(read_scores(path, RENAMED), setups))
        return {}
    seeds = list(range(pick(options, "seeds", seeds, 2)))
    epochs = pick(options, "epochs", None, 10)
    if epochs is not None:
        overrides = {**overrides, "max_iter": epochs}
    names = list(dict.fromkeys([*([] if options.skip_baselines else BASELINES),
                                *options.configs]))
    for name in names:
        resolve(name)  # an unknown name fails before any fit
    print(f"{len(seeds)} seeds per set-up; paired differences (same data and initialization): "
          "mean ± standard error; '*' marks the bar")
    for setup in setups:
        start = time.perf_counter()
        rows = score_all([SETUPS[setup]], names, seeds, jobs=options.jobs, overrides=overrides,
                         max_rows=pick(options, "rows", None, 300))
        write_scores(path, rows)
        _print_weights(rows)
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    print(markdown_table(read_scores(path, RENAMED), setups))
    return {"seeds": seeds, "configs": names, "setups": setups, "overrides": overrides}


def _print_weights(rows):
    """Mean task weights of every configuration over the seeds."""
    by_name = {}
    for row in rows:
        by_name.setdefault((row["setup"], row["variant"]), []).append(row["mean_weights"])
    for (setup, name), weights in by_name.items():
        if len(weights[0]) > 1:
            print(f"  {setup}: {name}: mean weights "
                  f"{np.array2string(np.mean(weights, axis=0), precision=2)}")
