"""Speed-up of a grid search on a two-worker Dask LocalCluster (and loky) over n_jobs=1.

The same search (weightings x L2 penalties, 2 folds: 8 fits) runs in one
process (one torch thread), on a local Dask cluster of two worker processes
with one thread each, and with joblib's loky backend, two workers. Every
repeat runs each in turn (round robin); the medians are reported. The cluster
and loky's workers are started and warmed (PyTorch imported in them) before
the timing, so the figures are the steady state of long-lived workers::

    python benchmarks/bench_scaleout.py [--repeats 3] [--samples 4000]

Needs the ``dask`` extra.
"""

from __future__ import annotations

import argparse
import os
import platform
import warnings

import joblib
import torch
from _timing import medians, ratios, round_robin, stopwatch
from sklearn.model_selection import GridSearchCV

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer


def search(X, y, n_jobs, epochs):
    """The benchmarked search: 4 candidates x 2 folds."""
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(64,), max_iter=epochs,
                                    n_iter_no_change=epochs + 1, random_state=0)
    grid = {"weighting": ["equal", "hydalearn"], "alpha": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GridSearchCV(model, grid, cv=2, n_jobs=n_jobs,
                            scoring=main_task_scorer("roc_auc")).fit(X, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    from dask.distributed import Client, LocalCluster

    torch.set_num_threads(1)  # like each worker: one core per fit
    X, y, _ = make_auxiliary_tasks(n_samples=args.samples, n_features=20, random_state=0)
    runs = {
        "n_jobs=1": lambda: search(X, y, 1, args.epochs),
        "dask, 2 workers": lambda: _on("dask", lambda: search(X, y, -1, args.epochs),
                                       scatter=[X, y]),
        "loky, 2 workers": lambda: _on("loky", lambda: search(X, y, 2, args.epochs),
                                       inner_max_num_threads=1),
    }
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster):
        with stopwatch() as warm_up:
            _on("dask", lambda: search(X[:200], y[:200], -1, 1))  # warm-up: torch in the workers
        print(f"cluster warm-up (import torch in 2 workers, first search): "
              f"{warm_up.wall:.1f} s")
        _on("loky", lambda: search(X[:200], y[:200], 2, 1), inner_max_num_threads=1)
        times = round_robin({name: (lambda repeat, run=run: run()) for name, run in runs.items()},
                            args.repeats).wall
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (load average {load:.1f}); "
          f"torch {torch.__version__}")
    print(f"search: 4 candidates x 2 folds, {args.samples} x 20, MLP (64,), "
          f"{args.epochs} epochs; median of {args.repeats}, round robin")
    median = medians(times)
    relative = ratios(median, "n_jobs=1")
    for name, values in times.items():
        print(f"  {name:<18} {median[name]:7.2f} s  (min {min(values):.2f}, "
              f"max {max(values):.2f})  speed-up {1 / relative[name]:.2f}x")


def _on(backend, run, **options):
    with joblib.parallel_backend(backend, **options):
        return run()


if __name__ == "__main__":
    main()
