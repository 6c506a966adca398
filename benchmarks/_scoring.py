"""The one scoring harness: fit a configuration on a set-up's split for a seed; paired differences.

* :func:`fit_scored`, :func:`main_auc`: fit any estimator, return its
  main-task ROC AUC on other rows and the fit time (the accuracy suite's
  candidates use them too).
* :func:`score`: one configuration of the registry on one set-up and seed.
* :func:`score_all`: every (set-up, configuration, seed), in parallel
  processes of one torch thread each; one row per fit.
* :func:`paired`, :func:`verdict_against_better`: statistics on scores of the
  same seeds (same data and initialization for every configuration), as mean
  and standard error of the per-seed differences.
* :func:`read_scores`, :func:`write_scores`: the scores files
  (``results/grid.csv``, ``results/main_job.csv``): set-up, variant, seed, ROC AUC.
"""

from __future__ import annotations

import csv
import os
import time
import warnings
from collections import defaultdict

import numpy as np

BASELINES = ("single-task", "equal")
#: On "mixed" set-ups a configuration must also beat both baselines by this much.
MIXED_MARGIN = 0.003


# ---------------------------------------------------------------------- fits
def main_auc(model, X, main):
    """ROC AUC of a fitted classifier's main-task probabilities against the main labels."""
    from sklearn.metrics import roc_auc_score

    return roc_auc_score(main, model.predict_proba(X)[:, 1])


def fit_scored(model, X_train, y_train, X_eval, main_eval):
    """Fit ``model``; its main-task ROC AUC on ``(X_eval, main_eval)`` and the fit time (s)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings at the epoch cap
        model.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    return main_auc(model, X_eval, main_eval), fit_time


def score(name, setup, seed, overrides=None, max_rows=None):
    """Fit configuration ``name`` on ``setup``'s split of ``seed``; one result row.

    Parameters
    ----------
    name : str
        A configuration or label of :func:`_registry.resolve`.
    setup : _registry.Setup
    seed : int
        Draws the data (or the split) and the network's initialization.
    overrides : dict, optional
        Estimator options on top of ``setup.fit`` (e.g. fewer epochs).
    max_rows : int, optional
        Cap on the training rows.

    Returns
    -------
    dict
        ``setup``, ``variant``, ``seed``, ``roc_auc``, ``fit_time``,
        ``n_iter``, ``mean_weights`` (the mean task weights over the steps)
        and, per auxiliary task, ``gain_z_scores`` and ``switched_off`` (of
        the fitted model's ``auxiliary_task_report_``; NaN z-scores for a
        weighting that measures no gains).
    """
    import torch
    from _registry import resolve

    from hydasklearn import HydaMultiTaskClassifier

    torch.set_num_threads(1)
    split = setup.load(seed, max_rows=max_rows)
    weighting, y_train = resolve(name), split.y_train
    if isinstance(weighting, str) and weighting == "single":
        weighting, y_train = "equal", y_train[:, 0]
    model = HydaMultiTaskClassifier(weighting=weighting, random_state=seed,
                                    **{**setup.fit, **(overrides or {})})
    model = checked_as_named(model, name, seed)
    auc, fit_time = fit_scored(model, split.X_train, y_train, split.X_test, split.y_test[:, 0])
    fitted = getattr(model, "best_estimator_", model)
    report = fitted.auxiliary_task_report_ if y_train.ndim > 1 else None
    return {"setup": setup.name, "variant": name, "seed": seed, "roc_auc": auc,
            "fit_time": fit_time, "n_iter": fitted.n_iter_,
            "mean_weights": np.asarray(fitted.weight_history_).mean(axis=0),
            "gain_z_scores": np.asarray([] if report is None else report["gain_z_score"],
                                        dtype=float),
            "switched_off": np.asarray([] if report is None else report["switched_off"],
                                       dtype=bool)}


def checked_as_named(model, name, seed):
    """``model`` wrapped in the held-out check its configuration's name asks for, if any.

    ``checked:NAME``: :func:`~hydasklearn.model_selection.make_auxiliary_check`
    through the main job's own ``checked`` (its ``hydalearn-checked``, folds
    and all); ``split-checked:NAME`` and its
    ``-2se`` and ``-3se`` forms: ``_split_check.SplitCheck``; the split or
    folds drawn with ``seed``.
    """
    from _registry import CHECKED, SPLIT_CHECKED
    from _split_check import SplitCheck

    from hydasklearn._main_job.cli import checked

    if name.startswith(CHECKED):
        return checked(model, seed)  # exactly as the main job checks
    for prefix, evidence in SPLIT_CHECKED.items():
        if name.startswith(prefix):
            return SplitCheck(model, evidence=evidence, random_state=seed)
    return model


def score_all(setups, names, seeds, jobs=1, overrides=None, max_rows=None):
    """Every configuration on every set-up and seed (``jobs`` processes); a list of rows."""
    from joblib import Parallel, delayed

    units = [(setup, name, seed) for setup in setups for seed in seeds for name in names]
    return Parallel(n_jobs=jobs)(delayed(score)(name, setup, seed, overrides, max_rows)
                                 for setup, name, seed in units)


def by_variant(rows):
    """set-up -> variant -> scores by seed order, from :func:`score_all`'s rows."""
    table = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        table[row["setup"]][row["variant"]][int(row["seed"])] = float(row["roc_auc"])
    return {setup: {name: np.array([seeds[k] for k in sorted(seeds)])
                    for name, seeds in variants.items()}
            for setup, variants in table.items()}


# ---------------------------------------------------------------- statistics
def paired(scores, reference):
    """Mean and standard error of the per-seed differences ``scores - reference``.

    The seeds that both have are compared (the first ones).
    """
    n = min(len(scores), len(reference))
    diff = np.asarray(scores[:n]) - np.asarray(reference[:n])
    error = diff.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    return float(diff.mean()), float(error)


def better_baseline(by_name):
    """Whichever of single-task learning and equal weighting has the higher mean score."""
    single, equal = by_name["single-task"], by_name["equal"]
    return "single-task" if np.mean(single) >= np.mean(equal) else "equal"


def verdict_against_better(setup, scores, single, equal):
    """Mean and standard error of the paired difference to the better baseline; the bar met.

    The bar: at least the better baseline minus one standard error and, on
    "mixed" set-ups, at least :data:`MIXED_MARGIN` above both baselines.
    The seeds that all three have are compared.
    """
    from hydasklearn._main_job.cli import within_one_standard_error  # the main job's bar

    n = min(len(scores), len(single), len(equal))
    scores, single, equal = scores[:n], single[:n], equal[:n]
    best = single if single.mean() >= equal.mean() else equal
    mean, error = paired(scores, best)
    met = within_one_standard_error(mean, error) if n > 1 else False
    if setup_kind(setup) == "mixed":
        met = met and min((scores - single).mean(), (scores - equal).mean()) >= MIXED_MARGIN
    return mean, error, bool(met)


def cell(setup, scores, single, equal):
    """``+0.0012 ± 0.0008 *``: paired difference to the better baseline, ``*`` the bar met."""
    mean, error, met = verdict_against_better(setup, scores, single, equal)
    return f"{mean:+.4f} ± {error:.4f}{' *' if met else ''}"


def setup_kind(setup):
    """The kind a set-up's name starts with: "hurt" for "hurt: 3 noise, trunk 8"."""
    return setup.split(":")[0].strip()


def markdown_table(scores, setups=None):
    """Variants by set-ups: paired difference to the better baseline (``*``: the bar met)."""
    setups = [s for s in (setups or scores) if s in scores
              and all(b in scores[s] for b in BASELINES)]
    variants = list(dict.fromkeys(v for s in setups for v in scores[s] if v not in BASELINES))
    lines = ["| variant | " + " | ".join(setups) + " |", "|---|" + "---|" * len(setups),
             "| better of single-task, equal | " + " | ".join(
                 f"{better_baseline(scores[s])}: single {scores[s]['single-task'].mean():.4f}, "
                 f"equal {scores[s]['equal'].mean():.4f}" for s in setups) + " |"]
    for name in variants:
        cells = [cell(s, scores[s][name], scores[s]["single-task"], scores[s]["equal"])
                 if name in scores[s] else "-" for s in setups]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------- files
SCORE_COLUMNS = ["setup", "variant", "seed", "roc_auc"]


def write_scores(path, rows):
    """Append rows (set-up, variant, seed, ROC AUC) to a scores file, with a header if new."""
    new = not os.path.exists(path)
    with open(path, "a", newline="") as file:
        writer = csv.writer(file)
        if new:
            writer.writerow(SCORE_COLUMNS)
        for row in rows:
            writer.writerow([row["setup"], row["variant"], row["seed"], f"{row['roc_auc']:.6f}"])


def read_scores(path, renamed=None):
    """set-up -> variant -> scores by seed, from a scores file (the last row of a seed wins).

    ``renamed`` maps recorded variant names to today's (e.g. the registry's ``RENAMED``).
    """
    renamed = renamed or {}
    with open(path, newline="") as file:
        rows = [{**row, "variant": renamed.get(row["variant"], row["variant"])}
                for row in csv.DictReader(file)]
    return by_variant(rows)
