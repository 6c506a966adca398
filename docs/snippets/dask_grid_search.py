"""Grid search over weightings on a Dask cluster, through joblib (not run in the docs)."""

import joblib
from dask.distributed import Client
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer

client = Client("tcp://scheduler-address:8786")  # or Client() for a local cluster

X, y, _ = make_auxiliary_tasks(n_samples=20_000, random_state=0)
folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y[:, 0]))
search = GridSearchCV(
    HydaMultiTaskClassifier(early_stopping=True, random_state=0),
    {"weighting": ["equal", "hydalearn"], "alpha": [1e-4, 1e-3, 1e-2],
     "hidden_layer_sizes": [(64,), (64, 64)]},
    scoring=main_task_scorer("roc_auc"), cv=folds, n_jobs=-1)

with joblib.parallel_backend("dask", scatter=[X, y]):
    search.fit(X, y)
print(search.best_params_, search.best_score_)
