"""The accuracy suite: every method, tuned on a validation split, scored on a test split.

For each data set of the registry (:data:`_registry.DATASETS`) and seed, one
stratified split (60% train, 20% validation, 20% test) is shared by every
method. A method fits each of its candidate configurations on the training
rows, keeps the one with the best main-task ROC AUC on the validation rows,
and that fitted model is scored once on the test rows. The test rows are
never used to choose anything. Written: ``accuracy_runs.csv`` (one row per
data set, seed and method), ``accuracy_summary.csv`` (means and standard
deviations over seeds), ``accuracy.png``, HydaLearn's per-step weights on
the first seed (``weights_<data set>_<method>.csv``,
``weight_trajectories.png``) and their means (``weight_means.csv``).
"""

from __future__ import annotations

import json
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from _methods import candidates, methods
from _options import pick
from _registry import DATASETS, subsample
from _scoring import fit_scored, main_auc
from joblib import Parallel, delayed
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits


@dataclass
class Settings:
    """What an accuracy run does."""

    seeds: list = field(default_factory=lambda: [0, 1, 2, 3, 4])
    budget: int = 4                   # candidate configurations per method
    max_rows: int | None = None       # stratified subsample of every data set
    max_iter: int = 100               # epoch cap of the networks
    patience: int = 10                # early stopping: epochs without improvement
    tasks: list = field(default_factory=lambda: list(DATASETS))
    jobs: int = 1                     # (data set, seed) units run in parallel
    threads: int = 1                  # torch threads per unit


def _add_arguments(parser):
    parser.add_argument("--budget", type=int, help="candidate configurations per method")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS),
                        help="data sets to run (default: all)")


def run_accuracy(options):
    """Every method tuned alike on generated, Lending Club and SUPPORT2 data; test ROC AUC."""
    settings = Settings(seeds=list(range(pick(options, "seeds", 5, 2))),
                        budget=pick(options, "budget", 4, 2),
                        max_rows=pick(options, "rows", None, 3000),
                        max_iter=pick(options, "epochs", 100, 40),
                        patience=10 if not options.quick else 5,
                        tasks=options.datasets or list(DATASETS),
                        jobs=options.jobs, threads=pick(options, "threads", 1))
    print(f"accuracy: data sets {settings.tasks}, seeds {settings.seeds}, "
          f"budget {settings.budget}")
    folder = options.results
    runs, trajectories = evaluate(
        settings, on_unit=lambda runs, trajectories: save(folder, runs, trajectories))
    summary = save(folder, runs, trajectories)
    print(summary[["task", "method", "test_roc_auc_mean", "test_roc_auc_std",
                   "test_log_loss_mean", "fit_time_mean"]].to_string(index=False))
    return asdict(settings)


run_accuracy.add_arguments = _add_arguments


def save(folder, runs, trajectories):
    """Write the accuracy CSVs and figures (also called with partial results)."""
    from _plots import plot_scores, plot_weight_trajectories  # matplotlib: only to write

    summary = summarize(runs)
    runs.to_csv(folder / "accuracy_runs.csv", index=False)
    summary.to_csv(folder / "accuracy_summary.csv", index=False, float_format="%.5g")
    means = []
    for t in trajectories:  # per-step weights of HydaLearn (first seed) and their means
        frame = pd.DataFrame(t["weights"], columns=t["task_names"])
        frame.index.name = "step"
        frame.to_csv(folder / f"weights_{t['task']}_{t['method']}.csv", float_format="%.4g")
        means += [{"task": t["task"], "method": t["method"], "target": name,
                   "is_main": k == 0, "mean_weight": frame[name].mean(),
                   "std_weight": frame[name].std(), "share_zero": (frame[name] == 0).mean()}
                  for k, name in enumerate(t["task_names"])]
    pd.DataFrame(means).to_csv(folder / "weight_means.csv", index=False, float_format="%.4g")
    titles = {name: data.title for name, data in DATASETS.items()}
    if len(summary):
        plot_scores(runs, summary, titles, folder / "accuracy.png")
    if trajectories:
        plot_weight_trajectories(trajectories, titles, folder / "weight_trajectories.png")
    return summary


def split(y, seed, valid=0.2, test=0.2):
    """Stratified train / validation / test row indices, the same for every method."""
    rows = np.arange(len(y))
    main = y.iloc[:, 0].to_numpy()
    rest, test_rows = train_test_split(rows, test_size=test, random_state=seed, stratify=main)
    train_rows, valid_rows = train_test_split(
        rest, test_size=valid / (1 - test), random_state=seed, stratify=main[rest])
    return train_rows, valid_rows, test_rows


def evaluate(settings, log=print, on_unit=None):
    """Run every (data set, seed) unit; return the per-run rows and the weight trajectories.

    Parameters
    ----------
    settings : Settings
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
        X, y = DATASETS[name].load()
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
            "test_roc_auc": main_auc(model, X_test, main[test]),
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
        auc, fit_time = fit_scored(model, X_train, y_train, X_valid, main_valid)
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
