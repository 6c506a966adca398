"""HydaLearn's variants against single-task learning and equal weighting, over a grid of set-ups.

``bench_hydalearn_scores.py`` compares configurations on one set-up; this
script repeats the comparison over a grid of generated set-ups of three kinds:
auxiliary tasks that *help* (a clean or noisy related task; scarce main
labels), tasks that only *hurt* (pure noise; unrelated tasks competing for a
small trunk), both *mixed* in one problem, and the *real* data sets of the
accuracy benchmark (Lending Club, both variants, and SUPPORT2; each seed draws
its own stratified 75 / 25 split). Per set-up and variant it prints
the mean test ROC AUC and the paired differences (same data and
initialisation per seed) to single-task learning, to equal weighting and to
the better of the two (the one with the higher mean), as mean ± standard error
of the paired difference over the seeds, and whether the variant meets issue
13's bar: at least the better baseline minus one standard error, and on mixed
set-ups at least +0.003 above both.

Usage::

    python benchmarks/bench_hydalearn_grid.py [--seeds 10] [--jobs 2]
        [--variants NAME ...] [--setups NAME ...] [--csv results/grid.csv]

Set-ups and variants come from one registry, ``_registry.py`` (``SETUPS``;
``CONFIGURATIONS``, ``static:w0,w1,...`` or ``hydalearn:key=value,...``); the
real data sets (``--setups real``) need ``pip install -e '.[benchmarks]'``.
``--csv`` appends every seed's score (set-up, variant, seed, ROC AUC), so a
table can be rebuilt from several runs (``--table results/grid.csv``).
About 1.3 s per fit and process on 2 busy cores: 10 seeds, 6 set-ups and
10 variants take about 10 minutes.
"""

from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np
from _grid_scores import grid_cell, read_grid
from _registry import SETUPS
from bench_hydalearn_scores import parse_arguments, run

DEFAULT_VARIANTS = ["hydalearn"]
BASELINES = ["single-task", "equal"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--setups", nargs="*", default=None,
                        help="set-ups to run (all by default); a prefix such as 'hurt' selects "
                             "every set-up whose name starts with it")
    parser.add_argument("--variants", nargs="*", default=DEFAULT_VARIANTS)
    parser.add_argument("--csv", default=None, help="append every seed's score to this file")
    parser.add_argument("--skip-baselines", action="store_true",
                        help="fit the variants only (their scores go to --csv, which must hold "
                             "the baselines' from an earlier run; print with --table)")
    parser.add_argument("--table", default=None,
                        help="print the table from a --csv file instead of fitting")
    parser.add_argument("--markdown", action="store_true",
                        help="with --table: one markdown table, variants by set-ups, of the "
                             "paired difference to the better baseline (a * marks the bar met)")
    options = parser.parse_args(argv)
    if options.table and options.markdown:
        print(markdown_table(read_grid(options.table)))
        return
    if options.table:
        scores = read_grid(options.table)
        for setup in SETUPS:
            if setup in scores:
                print_setup(setup, scores[setup], [v for v in scores[setup] if v not in BASELINES])
        return
    print(f"{options.seeds} seeds per set-up; differences are paired (same data and "
          "initialisation): mean ± standard error; 'ok' marks issue 13's bar")
    for setup, spec in SETUPS.items():
        if options.setups is not None and not any(setup.startswith(s) for s in options.setups):
            continue
        baselines = [] if options.skip_baselines else BASELINES
        args = parse_arguments(["--seeds", str(options.seeds), "--jobs", str(options.jobs),
                                "--configs", *baselines, *options.variants, *spec.options,
                                *(["--task", spec.task] if spec.task else [])])
        start = time.perf_counter()
        aucs, _, weights = run(args)
        if baselines:
            print_setup(setup, aucs, options.variants, weights)
        else:
            for name in options.variants:
                print(f"{setup}: {name}: mean weights "
                      f"{np.array2string(np.mean(weights[name], axis=0), precision=2)}")
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
        if options.csv:
            write_scores(options.csv, setup, aucs)


def print_setup(setup, aucs, variants, weights=None):
    kind = SETUPS[setup].kind
    single, equal = aucs["single-task"], aucs["equal"]
    best_name = "single-task" if single.mean() >= equal.mean() else "equal"
    print(f"{setup}: single {single.mean():.4f}, equal {equal.mean():.4f} "
          f"(equal - single {_paired(equal, single)})")
    print(f"  {'variant':<34}{'AUC':>8}{'- single':>20}{'- equal':>20}"
          f"{'- better (' + best_name + ')':>28}  bar  mean weights")
    for name in variants:
        scores = aucs[name]
        n = min(len(scores), len(single), len(equal))
        scores, s, e = scores[:n], single[:n], equal[:n]
        best = s if best_name == "single-task" else e
        diff = scores - best
        error = diff.std(ddof=1) / np.sqrt(n)
        ok = diff.mean() >= -error
        if kind == "mixed":
            ok = ok and (scores - s).mean() >= 0.003 and (scores - e).mean() >= 0.003
        mean_weights = ""
        if weights is not None and weights.get(name):
            mean_weights = np.array2string(np.mean(weights[name], axis=0), precision=2)
        print(f"  {name:<34}{scores.mean():>8.4f}{_paired(scores, s):>20}{_paired(scores, e):>20}"
              f"{_paired(scores, best):>28}  {'ok ' if ok else '-- '}  {mean_weights}")


def markdown_table(scores):
    """Variants by set-ups: paired difference to the better baseline, mean ± standard error."""
    setups = [setup for setup in SETUPS if setup in scores]
    variants = []
    for setup in setups:
        variants += [v for v in scores[setup] if v not in BASELINES and v not in variants]
    lines = ["| variant | " + " | ".join(setups) + " |",
             "|---|" + "---|" * len(setups)]
    base = ["| better of single, equal | "]
    for setup in setups:
        single, equal = scores[setup]["single-task"], scores[setup]["equal"]
        best = "single" if single.mean() >= equal.mean() else "equal"
        base.append(f"{best}: single {single.mean():.4f}, equal {equal.mean():.4f} | ")
    lines.insert(2, "".join(base))
    for name in variants:
        row = [f"| {name} | "]
        for setup in setups:
            if name not in scores[setup]:
                row.append("- | ")
                continue
            by_variant = scores[setup]
            row.append(grid_cell(setup, by_variant[name], by_variant["single-task"],
                                 by_variant["equal"]) + " | ")
        lines.append("".join(row))
    return "\n".join(lines)


def _paired(scores, reference):
    diff = scores - reference
    error = diff.std(ddof=1) / np.sqrt(len(diff))
    return f"{diff.mean():+.4f} ± {error:.4f}"


def write_scores(path, setup, aucs):
    new = not os.path.exists(path)
    with open(path, "a", newline="") as file:
        writer = csv.writer(file)
        if new:
            writer.writerow(["setup", "variant", "seed", "roc_auc"])
        for name, scores in aucs.items():
            for seed, value in enumerate(scores):
                writer.writerow([setup, name, seed, f"{value:.6f}"])


if __name__ == "__main__":
    main()
