"""Main-task ROC AUC of HydaLearn against single-task learning and equal weighting.

Generated data (:func:`hydasklearn.datasets.make_auxiliary_tasks`): a binary
main task, one related auxiliary task (the main task's latent score, observed
with little noise) and one pure-noise auxiliary task. Each seed draws a new
data set and a new initialisation; every configuration is fitted on the same
training set (early stopping on a validation split of it) and scored on the
same test set. Fits run in parallel processes, one torch thread each.

Usage::

    python benchmarks/bench_hydalearn_scores.py [--seeds 10] [--jobs 2] [--configs ...]

Prints, per configuration, the mean and standard deviation of the test ROC
AUC over the seeds, the mean and spread (standard deviation) of the paired
difference to single-task learning and to equal weighting, the mean number of
epochs and the mean task weights.

Options change the data (``--relations conflicting conflicting noise --hidden 8``
gives auxiliary tasks that hurt a small trunk) and add configurations
(``static:1,2,0``, ``hydalearn:approximation=exact,step_size=0.1``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from functools import lru_cache

import numpy as np
from _registry import CONFIGURATIONS, resolve
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks

DEFAULT_CONFIGS = ["single-task", "equal", "first_order batch", "first_order heldout (default)",
                   "exact batch", "exact heldout"]


def score(name, seed, args):
    import torch

    torch.set_num_threads(1)
    X_train, y_train, X_test, y_test = (real_split(args.task, seed, args.test_fraction) if args.task
                                        else generated_split(seed, args))
    weighting = resolve(name)
    if weighting == "single":
        weighting, y_train = "equal", y_train[:, 0]
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=tuple(args.hidden), weighting=weighting, batch_size=args.batch,
        max_iter=args.epochs, early_stopping=True, n_iter_no_change=args.patience,
        random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, y_train)
    auc = roc_auc_score(y_test[:, 0], model.predict_proba(X_test)[:, 1])
    return auc, model.n_iter_, model.weight_history_.mean(axis=0)


def generated_split(seed, args):
    """Training and test rows of ``make_auxiliary_tasks`` with the options in ``args``."""
    X, y, _ = make_auxiliary_tasks(
        n_samples=args.train + args.test, n_features=args.features, n_informative=5,
        aux_relations=tuple(args.relations), main_noise=args.main_noise,
        aux_noise=args.aux_noise, random_state=seed)
    if args.related_noise:  # a weaker related task: extra noise on the related columns only
        rng = np.random.default_rng(10_000 + seed)
        for k, relation in enumerate(args.relations, start=1):
            if relation == "related":
                y[:, k] += args.related_noise * rng.normal(size=len(y))
    return X[:args.train], y[:args.train], X[args.train:], y[args.train:]


@lru_cache(maxsize=None)
def _real_data(task):
    from _tasks import TASKS

    X, y = TASKS[task].load()
    return X.to_numpy(dtype=float), y.astype(float).to_numpy()


def real_split(task, seed, test_fraction):
    """A stratified split of a real data set (a key of ``_tasks.TASKS``), standardised.

    Every seed draws its own split; missing auxiliary labels stay NaN.
    """
    X, y = _real_data(task)
    train, test = train_test_split(np.arange(len(y)), test_size=test_fraction,
                                   random_state=seed, stratify=y[:, 0])
    scaler = StandardScaler().fit(X[train])
    return scaler.transform(X[train]), y[train], scaler.transform(X[test]), y[test]


def parse_arguments(argv=None):
    """The benchmark's options (also the defaults of ``bench_hydalearn_grid.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--configs", nargs="*", default=DEFAULT_CONFIGS,
                        help=f"names from {list(CONFIGURATIONS)}, 'static:w0,w1,w2' or "
                             "'hydalearn:key=value,...'")
    parser.add_argument("--task", default=None,
                        help="a real data set of _tasks.TASKS instead of generated data")
    parser.add_argument("--test-fraction", type=float, default=0.25,
                        help="test share of a real data set (--task)")
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--test", type=int, default=5000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--main-noise", type=float, default=1.0)
    parser.add_argument("--aux-noise", type=float, default=0.1)
    parser.add_argument("--related-noise", type=float, default=0.0,
                        help="extra noise on the related auxiliary tasks only")
    parser.add_argument("--relations", nargs="*", default=["related", "noise"],
                        help="relation of every auxiliary task to the main task")
    parser.add_argument("--hidden", type=int, nargs="*", default=[64, 64])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=10)
    return parser.parse_args(argv)


def run(args):
    """Fit every configuration on every seed.

    Returns
    -------
    aucs, epochs : dict name -> ndarray of shape (n_seeds,)
    weights : dict name -> list of mean task weights, one per seed
    """
    for name in args.configs:
        resolve(name)
    jobs = [(name, seed) for seed in range(args.seeds) for name in args.configs]
    results = Parallel(n_jobs=args.jobs)(delayed(score)(name, seed, args) for name, seed in jobs)
    aucs = {name: np.zeros(args.seeds) for name in args.configs}
    epochs = {name: np.zeros(args.seeds) for name in args.configs}
    weights = {name: [] for name in args.configs}
    for (name, seed), (auc, n_iter, mean_weights) in zip(jobs, results):
        aucs[name][seed], epochs[name][seed] = auc, n_iter
        weights[name].append(mean_weights)
    return aucs, epochs, weights


def main(argv=None):
    args = parse_arguments(argv)
    start = time.perf_counter()
    aucs, epochs, weights = run(args)
    data = (f"{args.task} ({1 - args.test_fraction:.0%} training rows)" if args.task else
            f"{args.train} training / {args.test} test samples")
    print(f"{args.seeds} seeds; {data}, "
          f"{args.features} features, aux: {' + '.join(args.relations)} "
          f"(aux noise {args.aux_noise}); MLP {args.hidden}, batch "
          f"{args.batch}, early stopping (patience {args.patience}); "
          f"{time.perf_counter() - start:.0f} s with {args.jobs} processes")
    print(f"{'configuration':<44}{'ROC AUC':>16}{'- single':>18}{'- equal':>18}{'epochs':>8}"
          "   mean weights")
    for name in args.configs:
        row = f"{name:<44}{aucs[name].mean():>9.4f} ± {aucs[name].std():.4f}"
        for reference in ("single-task", "equal"):
            if reference in aucs:
                diff = aucs[name] - aucs[reference]
                row += f"{diff.mean():>+11.4f} ± {diff.std():.4f}"
            else:
                row += f"{'':>18}"
        multitask = [w for w in weights[name] if len(w) > 1]
        mean_weights = np.round(np.mean(multitask, axis=0), 2) if multitask else "-"
        print(row + f"{epochs[name].mean():>8.0f}   {mean_weights}")


if __name__ == "__main__":
    main()
