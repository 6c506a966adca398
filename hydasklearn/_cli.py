"""The main job: compare weightings on generated data and print a table.

Run as ``python -m hydasklearn`` or ``hydasklearn``.
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from . import HydaMultiTaskClassifier
from .datasets import make_auxiliary_tasks
from .weighting import STRATEGIES


def compare_weightings(n_samples=4000, max_iter=30, random_state=0):
    """Fit single-task learning and every weighting; return rows of results.

    The data: a binary main task with a related and a pure-noise auxiliary
    regression task (:func:`hydasklearn.datasets.make_auxiliary_tasks`).

    Returns
    -------
    list of dict
        ``{"weighting", "roc_auc", "fit_time"}`` per model, on a 25% test split.
        A strategy whose optional dependency is missing gets ``{"weighting",
        "skipped"}`` instead, with the reason.
    """
    X, y, _ = make_auxiliary_tasks(n_samples=n_samples, aux_relations=("related", "noise"),
                                   main_noise=1.5, random_state=random_state)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=random_state, stratify=y[:, 0])
    candidates = [("single-task", "equal", y_train[:, 0])]
    candidates += [(name, name, y_train) for name in STRATEGIES]
    rows = []
    for label, weighting, target in candidates:
        model = HydaMultiTaskClassifier(hidden_layer_sizes=(64, 64), weighting=weighting,
                                        batch_size=128, max_iter=max_iter,
                                        random_state=random_state)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, target)
        except ImportError as error:  # an optional extra (e.g. torchjd) is not installed
            rows.append({"weighting": label, "skipped": str(error)})
            continue
        fit_time = time.perf_counter() - start
        auc = roc_auc_score(y_test[:, 0], model.predict_proba(X_test)[:, 1])
        rows.append({"weighting": label, "roc_auc": auc, "fit_time": fit_time})
    return rows


def format_table(rows):
    """Render result rows as a fixed-width text table."""
    lines = [f"{'weighting':<14} {'main ROC AUC':>12} {'fit time (s)':>12}"]
    for row in rows:
        if "skipped" in row:
            lines.append(f"{row['weighting']:<14} skipped: {row['skipped']}")
        else:
            lines.append(f"{row['weighting']:<14} {row['roc_auc']:>12.4f} {row['fit_time']:>12.2f}")
    return "\n".join(lines)


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="hydasklearn",
        description="Compare task weightings on a generated main task with a related "
                    "and a noise auxiliary task.")
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--max-iter", type=int, default=30, help="epochs per model")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    rows = compare_weightings(args.n_samples, args.max_iter, args.random_state)
    print(format_table(rows))
    return 0
