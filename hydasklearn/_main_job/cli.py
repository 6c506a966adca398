"""The main job: task weightings on two generated problems, a table and a verdict.

Run as ``python -m hydasklearn`` or ``hydasklearn``. Two built-in scenarios:
auxiliary tasks that help (scarce, noisy main labels beside a clean related
task) and auxiliary tasks that only hurt (noise and tasks that compete for a
small trunk). Every method is fitted on five seeds; the table gives the
mean main-task ROC AUC with its standard error, the mean fit time (measured
after a warm-up fit of every method), and the conclusions, one for HydaLearn
and one for HydaLearn checked on held-out rows, are computed from the
numbers.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from .. import HydaMultiTaskClassifier
from ..datasets import make_auxiliary_tasks
from ..model_selection import make_auxiliary_check

#: Generated problems: keyword arguments of make_auxiliary_tasks, and the trunk.
#: Tasks hurt where they compete with the main task for a small trunk (as in
#: the benchmark grid's "hurt" set-ups, `python benchmarks/run.py grid`).
SCENARIOS = {
    "aux tasks help": (dict(n_samples=1000, n_features=20, aux_relations=("related", "noise"),
                            main_noise=2.0), (32, 32)),
    "aux tasks hurt": (dict(n_samples=1000, n_features=20,
                            aux_relations=("conflicting", "conflicting", "noise")), (8,)),
}
#: HydaLearn checked on held-out folds (see :func:`checked`).
CHECKED = "hydalearn-checked"
#: Single-task learning, the two references, HydaLearn alone and checked, and the strongest
#: baselines.
METHODS = ("single-task", "equal", "hydalearn", CHECKED, "gcs", "olaux", "pcgrad")
BATCH_SIZE = 64
#: Folds of the check of the auxiliary tasks (see :func:`checked`).
CHECK_FOLDS = 3
#: Rounding by which a mean and its standard error may differ where they are equal.
TIE_TOLERANCE = 1e-12


def checked(model, seed):
    """``model``, or its main task alone where that clearly scores better on held-out rows.

    :func:`~hydasklearn.model_selection.make_auxiliary_check` in
    :data:`CHECK_FOLDS` folds, judged by the main task's log-loss, refitted
    on all rows.
    """
    return make_auxiliary_check(model, cv=CHECK_FOLDS, random_state=seed)


def fit_and_score(method, X_train, y_train, X_test, y_test, max_iter, seed, trunk=(32, 32)):
    """Main-task test ROC AUC and fit time (s) of one method on one split."""
    single = method == "single-task"
    weighting = {"single-task": "equal", CHECKED: "hydalearn"}.get(method, method)
    model = HydaMultiTaskClassifier(weighting=weighting, max_iter=max_iter,
                                    hidden_layer_sizes=trunk, batch_size=BATCH_SIZE,
                                    random_state=seed)
    if method == CHECKED:
        model = checked(model, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train[:, 0] if single else y_train)
    fit_time = time.perf_counter() - start
    return roc_auc_score(y_test[:, 0], model.predict_proba(X_test)[:, 1]), fit_time


def compare_weightings(n_seeds=5, max_iter=30, methods=METHODS, scenarios=SCENARIOS):
    """Fit every method on every scenario and seed.

    Returns
    -------
    dict
        ``{scenario: {method: {"auc": ndarray (n_seeds,), "fit_time": ndarray}}}``;
        seed ``s`` uses the same data and split for every method (paired).
    """
    warm_X, warm_y, _ = make_auxiliary_tasks(n_samples=200, aux_relations=("related",),
                                             random_state=0)
    for method in methods:  # the first fits pay torch's warm-up; not timed
        fit_and_score(method, warm_X, warm_y, warm_X, warm_y, 1, 0)
    results = {}
    for scenario, (options, trunk) in scenarios.items():
        per_method = {m: {"auc": [], "fit_time": []} for m in methods}
        for seed in range(n_seeds):
            X, y, _ = make_auxiliary_tasks(**options, random_state=seed)
            split = train_test_split(X, y, test_size=0.4, random_state=seed, stratify=y[:, 0])
            for method in methods:
                auc, fit_time = fit_and_score(method, *split[::2], *split[1::2], max_iter, seed,
                                              trunk)
                per_method[method]["auc"].append(auc)
                per_method[method]["fit_time"].append(fit_time)
        results[scenario] = {m: {k: np.array(v) for k, v in r.items()}
                             for m, r in per_method.items()}
    return results


def standard_error(values):
    """Standard error of the mean (0 for a single value)."""
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def format_table(results):
    """Render the results as one fixed-width table per scenario."""
    lines = []
    for scenario, per_method in results.items():
        lines += [f"{scenario}:", f"  {'method':<26}{'main ROC AUC':>20}{'fit time (s)':>14}"]
        for method, result in per_method.items():
            auc = result["auc"]
            lines.append(f"  {method:<26}{auc.mean():>11.4f} ± {standard_error(auc):.4f}"
                         f"{result['fit_time'].mean():>14.2f}")
    return "\n".join(lines)


def difference_to_better(per_method, method):
    """``method``'s paired differences (one per seed) to the better of the references.

    Parameters
    ----------
    per_method : dict
        One scenario of :func:`compare_weightings`.
    method : str

    Returns
    -------
    better : str
        Whichever of single-task learning and equal weighting scored higher
        on average.
    difference : ndarray of shape (n_seeds,)
    """
    better = max(("single-task", "equal"), key=lambda m: per_method[m]["auc"].mean())
    return better, per_method[method]["auc"] - per_method[better]["auc"]


def within_one_standard_error(mean, error):
    """Whether a paired difference is at least minus one standard error: the bar.

    A tie counts: a method that differs from the reference on one seed only
    has a mean of exactly minus one standard error, up to rounding.
    """
    return bool(mean >= -error - TIE_TOLERANCE)


def conclusion(results, method="hydalearn"):
    """One line, computed from the numbers: ``method`` against the better of the references.

    Per scenario, the paired difference (mean ± standard error over seeds)
    between ``method`` and whichever of single-task learning and equal
    weighting scored higher on average there.
    """
    parts, kept = [], 0
    for scenario, per_method in results.items():
        better, difference = difference_to_better(per_method, method)
        error = standard_error(difference)
        kept += within_one_standard_error(difference.mean(), error)
        parts.append(f"{scenario}: {difference.mean():+.4f} ± {error:.4f} vs {better}")
    n_seeds = len(next(iter(next(iter(results.values())).values()))["auc"])
    return (f"{method} is at least the better of single-task and equal weighting, within one "
            f"standard error, in {kept} of {len(results)} scenarios ({'; '.join(parts)}; "
            f"{n_seeds} seeds).")


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="hydasklearn",
        description="Compare task weightings on generated problems where auxiliary tasks "
                    "help and where they hurt.")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=30, help="epochs per model")
    args = parser.parse_args(argv)
    # The CLI owns its process: one torch thread is the fastest for these small
    # networks, and it does not spin against other work on a busy machine.
    torch.set_num_threads(1)
    results = compare_weightings(args.seeds, args.max_iter)
    print(format_table(results))
    print(conclusion(results))
    print(conclusion(results, CHECKED))
    return 0
