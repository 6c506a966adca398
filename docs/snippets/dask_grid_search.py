"""Grid search over weightings on a Dask cluster, through joblib.

Run it as ``python dask_grid_search.py`` for a local cluster of two worker
processes, or ``python dask_grid_search.py tcp://scheduler-address:8786`` for
a running cluster (every worker needs hydasklearn and PyTorch installed).
``--quick`` fits a tiny search, in seconds.
"""

import argparse

import joblib
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer


def main():
    parser = argparse.ArgumentParser(description="Grid search on a Dask cluster.")
    parser.add_argument("scheduler", nargs="?", help="scheduler address; default: a local cluster")
    parser.add_argument("--quick", action="store_true", help="a tiny search, for a test")
    args = parser.parse_args()

    # One thread per worker process: dask's nanny also sets OMP_NUM_THREADS=1 there,
    # so PyTorch in each worker uses one core.
    cluster = None if args.scheduler else LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None)
    client = Client(args.scheduler or cluster)

    n_samples, epochs = (200, 3) if args.quick else (20_000, 200)
    X, y, _ = make_auxiliary_tasks(n_samples=n_samples, random_state=0)
    folds = list(StratifiedKFold(3 if args.quick else 5, shuffle=True,
                                 random_state=0).split(X, y[:, 0]))
    grid = {"weighting": ["equal", "hydalearn"]}
    if not args.quick:
        grid.update({"alpha": [1e-4, 1e-3, 1e-2], "hidden_layer_sizes": [(64,), (64, 64)]})
    search = GridSearchCV(
        HydaMultiTaskClassifier(early_stopping=True, max_iter=epochs, random_state=0),
        grid, scoring=main_task_scorer("roc_auc"), cv=folds, n_jobs=-1)

    # scatter: the data go to the workers once, not with every candidate.
    with joblib.parallel_backend("dask", scatter=[X, y]):
        search.fit(X, y)
    print(search.best_params_, round(search.best_score_, 3))
    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":  # the worker processes of a local cluster re-import this file
    main()
