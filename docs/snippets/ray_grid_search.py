"""Grid search over weightings on a Ray cluster, through joblib (not run in the docs)."""

import joblib
import ray
from ray.util.joblib import register_ray
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer

ray.init(address="auto")  # connect to a running cluster; ray.init() starts a local one
register_ray()

X, y, _ = make_auxiliary_tasks(n_samples=20_000, random_state=0)
folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y[:, 0]))
search = GridSearchCV(
    HydaMultiTaskClassifier(early_stopping=True, random_state=0),
    {"weighting": ["equal", "hydalearn"], "alpha": [1e-4, 1e-3, 1e-2]},
    scoring=main_task_scorer("roc_auc"), cv=folds, n_jobs=-1)

with joblib.parallel_backend("ray"):
    search.fit(X, y)
print(search.best_params_, search.best_score_)
