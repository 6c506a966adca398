"""The scale-out suite: a grid search on a two-worker Dask cluster and on loky, against n_jobs=1.

The same search (weightings x L2 penalties, 2 folds: 8 fits) runs in one
process (one torch thread), on a local Dask cluster of two worker processes
with one thread each, and with joblib's loky backend, two workers; round
robin, medians (``scaleout.csv``). The workers are started and warmed
(PyTorch imported in them) before the timing, so the figures are the steady
state of long-lived workers. Needs the ``dask`` extra.
"""

from __future__ import annotations

import warnings

import joblib
import pandas as pd
import torch
from _options import pick
from _timing import round_robin, stopwatch, table
from sklearn.model_selection import GridSearchCV

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer


def search(X, y, n_jobs, epochs):
    """The timed search: 4 candidates x 2 folds."""
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(64,), max_iter=epochs,
                                    n_iter_no_change=epochs + 1, random_state=0)
    grid = {"weighting": ["equal", "hydalearn"], "alpha": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GridSearchCV(model, grid, cv=2, n_jobs=n_jobs,
                            scoring=main_task_scorer("roc_auc")).fit(X, y)


def run_scaleout(options):
    """Speed-up of GridSearchCV on two Dask workers and on loky over one process."""
    from dask.distributed import Client, LocalCluster

    repeats, samples = pick(options, "repeats", 3, 1), pick(options, "rows", 4000, 1000)
    epochs = pick(options, "epochs", 10, 2)
    torch.set_num_threads(1)  # like each worker: one core per fit
    X, y, _ = make_auxiliary_tasks(n_samples=samples, n_features=20, random_state=0)
    runs = {
        "n_jobs=1": lambda repeat: search(X, y, 1, epochs),
        "dask, 2 workers": lambda repeat: _on("dask", lambda: search(X, y, -1, epochs),
                                              scatter=[X, y]),
        "loky, 2 workers": lambda repeat: _on("loky", lambda: search(X, y, 2, epochs),
                                              inner_max_num_threads=1),
    }
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster):
        with stopwatch() as warm_up:
            _on("dask", lambda: search(X[:200], y[:200], -1, 1))
        print(f"cluster warm-up (torch imported in 2 workers, first search): "
              f"{warm_up.wall:.1f} s")
        _on("loky", lambda: search(X[:200], y[:200], 2, 1), inner_max_num_threads=1)
        timings = round_robin(runs, repeats)
    frame = pd.DataFrame(table(timings, "n_jobs=1"))
    frame["speed_up"] = 1 / frame["wall_ratio"]
    frame.to_csv(options.results / "scaleout.csv", index=False, float_format="%.4g")
    print(frame[["name", "wall_median_s", "speed_up"]].to_string(index=False))
    return {"repeats": repeats, "samples": samples, "epochs": epochs,
            "cluster_warm_up_s": warm_up.wall}


def _on(backend, run, **options):
    with joblib.parallel_backend(backend, **options):
        return run()
