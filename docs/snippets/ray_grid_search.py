"""Grid search over weightings on a Ray cluster, through joblib.

Run it as ``python ray_grid_search.py`` for a local Ray with two CPUs, or
``python ray_grid_search.py ray://head-address:10001`` (or ``auto`` on a node
of a running cluster; every node needs hydasklearn and PyTorch installed).
``--quick`` fits a tiny search, in seconds.
"""

import argparse

import joblib
import ray
from ray.util.joblib import register_ray
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer

parser = argparse.ArgumentParser(description="Grid search on a Ray cluster.")
parser.add_argument("address", nargs="?", help="cluster address; default: a local Ray")
parser.add_argument("--quick", action="store_true", help="a tiny search, for a test")
args = parser.parse_args()

if args.address:
    ray.init(address=args.address)
else:
    # Ray gives each task OMP_NUM_THREADS=1 (its one CPU): one PyTorch thread per worker.
    ray.init(num_cpus=2, include_dashboard=False)
register_ray()

n_samples, epochs = (200, 3) if args.quick else (20_000, 200)
X, y, _ = make_auxiliary_tasks(n_samples=n_samples, random_state=0)
folds = list(StratifiedKFold(3 if args.quick else 5, shuffle=True,
                             random_state=0).split(X, y[:, 0]))
grid = {"weighting": ["equal", "hydalearn"]}
if not args.quick:
    grid["alpha"] = [1e-4, 1e-3, 1e-2]
search = GridSearchCV(
    HydaMultiTaskClassifier(early_stopping=True, max_iter=epochs, random_state=0),
    grid, scoring=main_task_scorer("roc_auc"), cv=folds, n_jobs=-1)

with joblib.parallel_backend("ray"):
    search.fit(X, y)
print(search.best_params_, round(search.best_score_, 3))
ray.shutdown()
