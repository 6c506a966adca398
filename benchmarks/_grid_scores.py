"""Scores of the HydaLearn grid (``results/grid.csv``): reading them, and issue 13's bar.

Shared by ``bench_hydalearn_grid.py`` (its ``--table --markdown``) and ``_report.py`` (the docs
page), so that both judge a variant alike. NumPy and the standard library only: the generated
set-ups of the grid run without the ``benchmarks`` extra.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np


def grid_cell(setup, scores, single, equal):
    """``+0.0012 ± 0.0008 *``: paired difference to the better baseline, ``*`` the bar met."""
    mean, error, met = grid_verdict(setup, scores, single, equal)
    return f"{mean:+.4f} ± {error:.4f}{' *' if met else ''}"


def grid_verdict(setup, scores, single, equal):
    """Mean and standard error of the paired difference to the better baseline; the bar met.

    The seeds that every one of the three has are compared (the first ones).
    """
    n = min(len(scores), len(single), len(equal))
    scores, single, equal = scores[:n], single[:n], equal[:n]
    best = single if single.mean() >= equal.mean() else equal
    diff = scores - best
    error = diff.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    met = diff.mean() >= -error
    if setup_kind(setup) == "mixed":
        met = met and min((scores - single).mean(), (scores - equal).mean()) >= 0.003
    return diff.mean(), error, bool(met)


def setup_kind(setup):
    """The kind a set-up's name starts with: "hurt" for "hurt: 3 noise, trunk 8"."""
    return setup.split(":")[0].strip()


def read_grid(path):
    """set-up -> variant -> scores by seed, from ``grid.csv`` (the last row of a seed wins)."""
    table = defaultdict(lambda: defaultdict(dict))
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            table[row["setup"]][row["variant"]][int(row["seed"])] = float(row["roc_auc"])
    return {setup: {name: np.array([by_seed[k] for k in sorted(by_seed)])
                    for name, by_seed in variants.items()}
            for setup, variants in table.items()}
