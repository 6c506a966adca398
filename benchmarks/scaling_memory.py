"""Add the peak-memory columns to ``results/scaling_rows.csv`` without re-timing.

The scaling part of ``run.py --speed`` measures fit times and, beside them, the
peak memory of one ``equal`` fit beyond its data (``bench_memory``). This script
runs that memory measurement alone for every row count already in the file and
writes ``peak_extra_mb`` and ``copies_of_x`` into the ``equal`` rows, keeping the
timings as they were measured::

    python benchmarks/scaling_memory.py [--results benchmarks/results]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _speed_suite import BATCH_SIZE, HIDDEN, N_FEATURES
from bench_memory import peak_fit_memory

from hydasklearn.datasets import make_auxiliary_tasks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--epochs", type=int, default=2, help="as run.py's speed_epochs")
    args = parser.parse_args(argv)
    path = args.results / "scaling_rows.csv"
    table = pd.read_csv(path)
    table["peak_extra_mb"], table["copies_of_x"] = np.nan, np.nan
    for n_rows in sorted(table["n_rows"].unique()):
        X, y, _ = make_auxiliary_tasks(n_samples=int(n_rows), n_features=N_FEATURES,
                                       aux_relations=("related", "noise"), random_state=0)
        memory = peak_fit_memory(X, y, weighting="equal", hidden_layer_sizes=list(HIDDEN),
                                 batch_size=BATCH_SIZE, max_iter=args.epochs,
                                 n_iter_no_change=args.epochs + 1)
        rows = (table["n_rows"] == n_rows) & (table["method"] == "equal")
        table.loc[rows, "peak_extra_mb"] = round(memory["extra_mb"], 1)
        table.loc[rows, "copies_of_x"] = round(memory["copies_of_x"], 3)
        print(f"{int(n_rows):>8} rows: {memory['extra_mb']:.0f} MB beyond X "
              f"({memory['copies_of_x']:.2f} copies of X)", flush=True)
    table.to_csv(path, index=False)


if __name__ == "__main__":
    main()
