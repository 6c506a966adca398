"""The categorical suite: embedded categorical columns against one-hot columns, Lending Club.

Lending Club (:func:`hydasklearn.datasets.load_lending_club` with
``categorical="keep"``: ``addr_state``, 50 states, and
``verification_status``, 3 levels, as pandas ``category`` columns; the main
target ``bad``, the auxiliary targets ``int_rate`` and ``sub_grade``) is
fitted by two pipelines that differ only in how those two columns reach the
network:

- ``embedding``: the numeric columns scaled (``StandardScaler`` in a
  ``ColumnTransformer`` with pandas output), the category columns passed
  through; the estimator embeds them (``categorical_features="from_dtype"``,
  widths 15 and 3): 19 + 18 = 37 trunk inputs;
- ``one-hot``: the same scaling, the categories one-hot encoded
  (``OneHotEncoder(handle_unknown="ignore")``): 19 + 53 = 72 trunk inputs.

Each with the package's default weighting (``hydalearn``) and with
``equal``. Same splits (75/25, stratified on ``bad``, one per seed) and the
same ``random_state`` for both; early stopping on 10% of the training rows.
Every seed is a repeat of the :func:`_timing.round_robin` harness (all
configurations in turn, one torch thread), so a change in the machine's load
hits them alike. Results: ``categorical.csv`` (one row per configuration:
medians over seeds of the test ROC AUC, of the fit time and of the time per
epoch; the paired AUC difference to one-hot with the same weighting, as mean
and standard error over the seeds, :func:`_scoring.paired`) and
``categorical_runs.csv`` (every fit). Run it with ``python
benchmarks/run.py categorical``, which saves the machine and
the settings in ``run_info_categorical.json``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import torch
from _scoring import main_auc, paired
from _timing import round_robin
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import load_lending_club

ENCODINGS = ("embedding", "one-hot")
WEIGHTINGS = ("hydalearn", "equal")
CATEGORICAL = ("addr_state", "verification_status")


def run_categorical(results_dir, seeds=tuple(range(10)), quick=False, log=print):
    """Embedded categorical columns against one-hot columns: Lending Club ROC AUC and fit time.

    Parameters
    ----------
    results_dir : path-like
        Where ``categorical.csv`` and ``categorical_runs.csv`` are written.
    seeds : sequence of int, default=(0, 1, ..., 9)
        One split and one ``random_state`` per seed (the first two in quick mode).
    quick : bool, default=False
        Two seeds and at most 5 epochs: a smoke run, not figures to report.
    log : callable, default=print

    Returns
    -------
    dict
        The settings the figures were measured with.
    """
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    seeds = list(seeds)[:2] if quick else list(seeds)
    settings = {"seeds": seeds, "hidden_layer_sizes": [64, 64], "max_iter": 5 if quick else 30,
                "early_stopping": True, "n_iter_no_change": 5, "test_size": 0.25,
                "torch_threads": 1, "quick": quick}
    X, y = load_lending_club(categorical="keep")
    splits = {seed: train_test_split(X, y, test_size=settings["test_size"], random_state=seed,
                                     stratify=y["bad"]) for seed in seeds}
    runs = {f"{encoding}, {weighting}": _run(encoding, weighting, splits, seeds, settings)
            for weighting in WEIGHTINGS for encoding in ENCODINGS}
    threads = torch.get_num_threads()
    torch.set_num_threads(settings["torch_threads"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence at max_iter in quick mode
            warm_up = {name: (lambda run=run: run(0, warm_up=True)) for name, run in runs.items()}
            timings = round_robin(runs, repeats=len(seeds), warm_up=warm_up, log=log)
    finally:
        torch.set_num_threads(threads)
    fits = pd.DataFrame([
        {"configuration": name, "encoding": name.split(", ")[0],
         "weighting": name.split(", ")[1], "seed": seeds[repeat],
         "fit_s": timings.wall[name][k], "cpu_s": timings.cpu[name][k],
         **timings.returned[name][k]}
        for name in runs for k, repeat in enumerate(range(len(timings.wall[name])))])
    fits["s_per_epoch"] = fits["fit_s"] / fits["epochs"]
    summary = summarize(fits)
    fits.to_csv(results_dir / "categorical_runs.csv", index=False, float_format="%.5g")
    summary.to_csv(results_dir / "categorical.csv", index=False, float_format="%.5g")
    log(summary.to_string(index=False))
    return settings


def _run(encoding, weighting, splits, seeds, settings):
    """``run(repeat)``: fit one pipeline on the repeat's seed; its test ROC AUC and epochs."""

    def run(repeat, warm_up=False):
        seed = seeds[repeat]
        X_train, X_test, y_train, y_test = splits[seed]
        model = pipeline(encoding, X_train, weighting, seed,
                         max_iter=1 if warm_up else settings["max_iter"],
                         hidden_layer_sizes=tuple(settings["hidden_layer_sizes"]),
                         n_iter_no_change=settings["n_iter_no_change"])
        model.fit(X_train, y_train)
        network = model[-1]
        first = network.net_.module_.trunk[0]  # the embedding, or the first linear layer
        inputs = first.out_features if encoding == "embedding" else first.in_features
        return {"roc_auc": main_auc(model, X_test, y_test["bad"]),
                "epochs": network.n_iter_, "trunk_inputs": inputs}

    return run


def pipeline(encoding, X, weighting, seed, **network):
    """The scaling and encoding steps for ``encoding``, then the estimator."""
    categorical = [c for c in CATEGORICAL if c in X.columns]
    numeric = [c for c in X.columns if c not in categorical]
    if encoding == "embedding":
        prepare = ColumnTransformer([("numeric", StandardScaler(), numeric)],
                                    remainder="passthrough", verbose_feature_names_out=False)
        prepare.set_output(transform="pandas")
    else:
        prepare = ColumnTransformer([
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             categorical)])
    return make_pipeline(prepare, HydaMultiTaskClassifier(
        weighting=weighting, early_stopping=True, random_state=seed, **network))


def summarize(fits):
    """One row per configuration: medians over seeds; the paired AUC difference to one-hot."""
    rows = []
    for (encoding, weighting), part in fits.groupby(["encoding", "weighting"], sort=False):
        part = part.sort_values("seed")
        one_hot = fits[(fits["encoding"] == "one-hot") & (fits["weighting"] == weighting)]
        difference, error = paired(part["roc_auc"].to_numpy(),
                                   one_hot.sort_values("seed")["roc_auc"].to_numpy())
        rows.append({
            "encoding": encoding, "weighting": weighting, "runs": len(part),
            "roc_auc_median": part["roc_auc"].median(), "roc_auc_min": part["roc_auc"].min(),
            "roc_auc_max": part["roc_auc"].max(), "auc_minus_one_hot_mean": difference,
            "auc_minus_one_hot_se": error, "fit_s_median": part["fit_s"].median(),
            "cpu_s_median": part["cpu_s"].median(), "epochs_median": part["epochs"].median(),
            "s_per_epoch_median": part["s_per_epoch"].median(),
            "trunk_inputs": part["trunk_inputs"].iloc[0]})
    return pd.DataFrame(rows)

