"""The accuracy benchmark: every method, tuned on a validation split, scored on a test split.

For each task and seed, one stratified split (60% train, 20% validation, 20%
test) is shared by every method. A method fits each of its candidate
configurations on the training rows, keeps the one with the best main-task
ROC AUC on the validation rows, and that fitted model is scored once on the
test rows. The test rows are never used to choose anything.
"""

from __future__ import annotations

import json
import time
import traceback
import warnings

import numpy as np
import pandas as pd
import torch
from _methods import candidates, methods
from _tasks import TASKS, split, subsample
from joblib import Parallel, delayed
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits


def run_accuracy(settings, log=print, on_unit=None):
    """Run every (task, seed) unit; return the per-run rows and the weight trajectories.

    Parameters
    ----------
    settings : Settings
        Seeds, budget, epochs, subsample size, tasks and jobs (see ``run.py``).
    log : callable
        Progress messages.
    on_unit : callable or None
        Called as ``on_unit(runs, trajectories)`` with everything finished so
        far, after every (task, seed) unit: partial results survive a time limit.

    Returns
    -------
    runs : DataFrame
        One row per task, seed and method.
    trajectories : list of dict
        HydaLearn's per-step weights on the first seed: ``task``, ``method``,
        ``task_names``, ``weights`` (ndarray of shape (n_steps, n_tasks)).
    """
    data = {}
    for name in settings.tasks:
        X, y = TASKS[name].load()
        data[name] = subsample(X, y, settings.max_rows)
        log(f"  {name}: {len(data[name][0])} rows, {X.shape[1]} features, "
            f"targets {list(y.columns)}")
    # Seed-major order: a run stopped early still covers every task.
    units = [(name, seed) for seed in settings.seeds for name in settings.tasks]
    outputs = Parallel(n_jobs=settings.jobs, return_as="generator")(
        delayed(evaluate_unit)(name, *data[name], seed, settings) for name, seed in units)
    rows, trajectories = [], []
    for (name, seed), (unit_rows, unit_trajectories) in zip(units, outputs):
        rows += unit_rows
        trajectories += unit_trajectories
        log(f"  done: {name}, seed {seed}")
        if on_unit is not None:
            on_unit(pd.DataFrame(rows), trajectories)
    return pd.DataFrame(rows), trajectories


def evaluate_unit(task, X, y, seed, settings):
    """Tune and score every method on one task and one seed's split.

    Every method runs with ``settings.threads`` threads (torch, OpenMP and
    BLAS alike), so that fit times compare like with like.
    """
    torch.set_num_threads(settings.threads)
    with threadpool_limits(limits=settings.threads):
        _warm_up()
        return _evaluate_unit(task, X, y, seed, settings)


def _warm_up():
    """One tiny fit, so that the first timed method does not pay torch's start-up."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        methods()[0].build({}, 0, (2, 2)).fit(X, (X[:, 0] > 0).astype(int))


def _evaluate_unit(task, X, y, seed, settings):
    train, valid, test = split(y, seed)
    scaler = StandardScaler().fit(X.iloc[train])
    X_train, X_valid, X_test = (scaler.transform(X.iloc[rows]) for rows in (train, valid, test))
    main = y.iloc[:, 0].to_numpy(dtype=np.int64)
    y_train = y.iloc[train].reset_index(drop=True)
    rows, trajectories = [], []
    for method in methods():
        target = y_train if method.multitask else main[train]
        start = time.perf_counter()
        try:
            model, fit_time, valid_auc, params = _tune(
                method, X_train, target, X_valid, main[valid], seed, settings)
        except Exception as error:  # a broken strategy must not stop the benchmark
            rows.append({"task": task, "seed": seed, "method": method.name,
                         "error": f"{type(error).__name__}: {error}"})
            traceback.print_exc()
            continue
        proba = model.predict_proba(X_test)[:, 1]
        rows.append({
            "task": task, "seed": seed, "method": method.name,
            "test_roc_auc": roc_auc_score(main[test], proba),
            "test_log_loss": log_loss(main[test], proba, labels=[0, 1]),
            "valid_roc_auc": valid_auc, "fit_time": fit_time,
            "tuning_time": time.perf_counter() - start,
            "n_iter": getattr(model, "n_iter_", np.nan),
            "params": json.dumps(params), "error": "",
        })
        if method.hydalearn and seed == settings.seeds[0]:
            trajectories.append({"task": task, "method": method.name,
                                 "task_names": list(model.task_names_),
                                 "weights": np.asarray(model.weight_history_)})
    return rows, trajectories


def _tune(method, X_train, y_train, X_valid, main_valid, seed, settings):
    """Fit every candidate; return the best model (validation ROC AUC) and its fit time."""
    best = None
    for params in candidates(method.family, settings.budget, seed):
        model = method.build(params, seed, (settings.max_iter, settings.patience))
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings at the epoch cap
            model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        auc = roc_auc_score(main_valid, model.predict_proba(X_valid)[:, 1])
        if best is None or auc > best[2]:
            best = (model, fit_time, auc, params)
    return best


def summarize(runs):
    """Mean and standard deviation over seeds of every metric, per task and method."""
    ok = runs[runs["error"].fillna("") == ""]
    metrics = ["test_roc_auc", "test_log_loss", "fit_time", "tuning_time"]
    grouped = ok.groupby(["task", "method"], sort=False)[metrics]
    summary = grouped.agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    summary["n_seeds"] = grouped.size()
    return summary.reset_index()
