"""HydaLearn's variants on the main job's two scenarios (``python -m hydasklearn``).

The main job fits single-task learning, equal weighting and a few methods on
two generated scenarios (auxiliary tasks that help, tasks that hurt) with
short fits (30 epochs, no early stopping). This script runs the same fits for
any configurations of the registry and prints, per scenario, the paired
difference of each to the better of single-task learning and equal weighting
(mean ± standard error over the seeds), as a markdown table.

Usage::

    python benchmarks/bench_main_job.py [--seeds 5] [--variants hydalearn "gain ratio 0" ...]
"""

from __future__ import annotations

import argparse

import torch
from _registry import resolve

from hydasklearn._main_job.cli import (
    compare_weightings,
    difference_to_better,
    standard_error,
)

BASELINES = ("single-task", "equal")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=30)
    parser.add_argument("--variants", nargs="*", default=["hydalearn"])
    options = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the main job
    methods = {name: resolve(name) for name in options.variants}
    results = compare_weightings(options.seeds, options.max_iter,
                                 methods=BASELINES + tuple(methods.values()))
    scenarios = list(results)
    print(f"{options.seeds} seeds; paired difference to the better of single-task and equal")
    print("| variant | " + " | ".join(scenarios) + " |")
    print("|---|" + "---|" * len(scenarios))
    for name, method in methods.items():
        cells = []
        for scenario in scenarios:
            better, difference = difference_to_better(results[scenario], method)
            cells.append(f"{difference.mean():+.4f} ± {standard_error(difference):.4f} "
                         f"(vs {better})")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
