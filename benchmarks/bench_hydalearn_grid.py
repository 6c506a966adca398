"""HydaLearn against single-task learning and equal weighting, over several generated set-ups.

``bench_hydalearn_scores.py`` compares the configurations on one set-up; this
script repeats that comparison over a grid of set-ups (how noisy the related
task is, how wide the trunk, how many and which other auxiliary tasks), to
show whether the order of the methods depends on the data. Per set-up it
prints the mean test ROC AUC of single-task learning and equal weighting, and
the paired difference of each HydaLearn configuration to both, as mean ±
standard error over the seeds, with how many seeds HydaLearn won.

Usage::

    python benchmarks/bench_hydalearn_grid.py [--seeds 10] [--jobs 2]

Takes about 5 minutes on 2 cores with 10 seeds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench_hydalearn_scores import parse_arguments, run

SETUPS = {
    "related + noise (clean related)": [],
    "related + noise, related aux noise 0.5": ["--aux-noise", "0.5"],
    "related + noise, related aux noise 1.0": ["--aux-noise", "1.0"],
    "related + noise, trunk 16 x 16": ["--hidden", "16", "16"],
    "related + 3 noise": ["--relations", "related", "noise", "noise", "noise"],
    "related + 2 conflicting + noise, trunk 8": [
        "--relations", "related", "conflicting", "conflicting", "noise", "--hidden", "8"],
    "2 conflicting + noise, trunk 8 (harmful aux)": [
        "--relations", "conflicting", "conflicting", "noise", "--hidden", "8"],
}
HYDALEARN = ["first_order heldout (default)", "first_order batch"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="set-ups to run")
    options = parser.parse_args(argv)
    print(f"{options.seeds} seeds per set-up; differences are paired (same data and "
          "initialisation), mean ± standard error, and the seeds won")
    print(f"{'set-up':<46}{'single':>8}{'equal':>8}  {'HydaLearn':<30}{'AUC':>8}"
          f"{'- single':>23}{'- equal':>23}")
    for setup, extra in SETUPS.items():
        if options.only is not None and setup not in options.only:
            continue
        args = parse_arguments(["--seeds", str(options.seeds), "--jobs", str(options.jobs),
                                "--configs", "single-task", "equal", *HYDALEARN, *extra])
        start = time.perf_counter()
        aucs, _, _ = run(args)
        single, equal = aucs["single-task"], aucs["equal"]
        for i, name in enumerate(HYDALEARN):
            head = (f"{setup:<46}{single.mean():>8.4f}{equal.mean():>8.4f}" if i == 0
                    else " " * 62)
            print(f"{head}  {name:<30}{aucs[name].mean():>8.4f}"
                  f"{_paired(aucs[name], single):>23}{_paired(aucs[name], equal):>23}")
        print(f"{'':<46}({time.perf_counter() - start:.0f} s)", flush=True)


def _paired(scores, reference):
    diff = scores - reference
    error = diff.std(ddof=1) / np.sqrt(len(diff))
    return f"{diff.mean():+.4f}±{error:.4f} {int((diff > 0).sum())}/{len(diff)}"


if __name__ == "__main__":
    main()
