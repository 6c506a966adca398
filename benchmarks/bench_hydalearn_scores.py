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

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import HydaLearn

#: The options of the strategy before issue 13 (the paper's weight rule on every step's own
#: gains); the named configurations below start from these, so that they keep meaning what
#: they were measured as whatever HydaLearn's defaults are.
BEFORE_ISSUE_13 = dict(rule="proportional", unit_length=False, smoothing=0.0, gain_every=1,
                       hysteresis=False, min_main_weight=0.0, max_main_weight=None)


def Variant(*args, **options):
    """A HydaLearn configuration: BEFORE_ISSUE_13 with ``options`` on top."""
    return HydaLearn(*args, **{**BEFORE_ISSUE_13, **options})


CONFIGURATIONS = {
    "single-task": "single",
    "hydalearn": "hydalearn",  # the package default, whatever it is
    "equal": "equal",
    "first_order batch": Variant(approximation="first_order", gain_data="batch"),
    "first_order heldout (default)": Variant(gain_data="heldout"),  # the default before issue 13
    "exact batch": Variant(approximation="exact", gain_data="batch"),
    "exact heldout": Variant(approximation="exact", gain_data="heldout"),
    "representation": Variant(approximation="representation"),
    "first_order batch max": Variant(gain_data="batch", normalization="max"),
    "first_order heldout max": Variant(gain_data="heldout", normalization="max"),
    # Variants of issue 13 (bench_hydalearn_grid.py): gain reference, gradients, smoothing,
    # bounds on the main task's weight.
    "paper (batch gains)": Variant(gain_data="batch"),
    "heldout": Variant(gain_data="heldout"),
    "previous": Variant(gain_data="previous"),
    "previous ema": Variant(gain_data="previous", smoothing=0.9),
    "previous ema floor": Variant(gain_data="previous", smoothing=0.9, min_main_weight=1.0),
    "crossfit": Variant(gain_data="crossfit"),
    "crossfit ema floor": Variant(gain_data="crossfit", smoothing=0.9, min_main_weight=1.0),
    "last_layer previous": Variant(approximation="last_layer", gain_data="previous"),
    "last_layer previous ema": Variant(approximation="last_layer", gain_data="previous",
                                         smoothing=0.9),
    "last_layer previous ema floor": Variant(approximation="last_layer", gain_data="previous",
                                               smoothing=0.9, min_main_weight=1.0),
    "last_layer crossfit ema floor": Variant(approximation="last_layer", gain_data="crossfit",
                                               smoothing=0.9, min_main_weight=1.0),
    "previous ema floor every 4": Variant(gain_data="previous", smoothing=0.9,
                                            min_main_weight=1.0, gain_every=4),
    "crossfit ema floor every 4": Variant(gain_data="crossfit", smoothing=0.9,
                                            min_main_weight=1.0, gain_every=4),
    "previous unit": Variant(gain_data="previous", unit_length=True),
    "previous unit floor": Variant(gain_data="previous", unit_length=True, min_main_weight=1.0),
    "previous unit ema floor": Variant(gain_data="previous", unit_length=True, smoothing=0.9,
                                         min_main_weight=1.0),
    "previous unit ema floor every 4": Variant(gain_data="previous", unit_length=True,
                                                 smoothing=0.9, min_main_weight=1.0, gain_every=4),
    "crossfit unit ema floor": Variant(gain_data="crossfit", unit_length=True, smoothing=0.9,
                                         min_main_weight=1.0),
    "batch unit floor": Variant(gain_data="batch", unit_length=True, min_main_weight=1.0),
    "previous evidence": Variant(gain_data="previous", smoothing=0.9, rule="evidence"),
    "previous unit evidence": Variant(gain_data="previous", unit_length=True, smoothing=0.9,
                                        rule="evidence"),
    "previous unit evidence every 4": Variant(gain_data="previous", unit_length=True,
                                                smoothing=0.9, rule="evidence", gain_every=4),
    "crossfit unit evidence": Variant(gain_data="crossfit", unit_length=True, smoothing=0.9,
                                        rule="evidence"),
    "representation evidence": Variant(approximation="representation", smoothing=0.9,
                                         rule="evidence"),
    "running unit": Variant(gain_data="running", unit_length=True),
    "running unit ema": Variant(gain_data="running", unit_length=True, smoothing=0.9),
    "running unit evidence": Variant(gain_data="running", unit_length=True, smoothing=0.9,
                                       rule="evidence"),
    "previous unit evidence slow": Variant(gain_data="previous", unit_length=True,
                                             smoothing=0.99, rule="evidence"),  # the new default
    "previous unit evidence slow every 4": Variant(gain_data="previous", unit_length=True,
                                                     smoothing=0.99, rule="evidence",
                                                     hysteresis=False, gain_every=4),
    "previous unit evidence slow every 2": Variant(gain_data="previous", unit_length=True,
                                                     smoothing=0.99, rule="evidence",
                                                     gain_every=2),
    "previous unit evidence slower": Variant(gain_data="previous", unit_length=True,
                                             smoothing=0.995, rule="evidence"),
    "previous unit evidence fast": Variant(gain_data="previous", unit_length=True,
                                             smoothing=0.95, rule="evidence", evidence=1.0),
    "previous unit evidence hysteresis": Variant(gain_data="previous", unit_length=True,
                                                   smoothing=0.99, rule="evidence",
                                                   hysteresis=True, gain_every=4),
    "crossfit unit evidence hysteresis": Variant(gain_data="crossfit", unit_length=True,
                                                   smoothing=0.99, rule="evidence",
                                                   hysteresis=True, gain_every=4),
    "running unit evidence slow every 4": Variant(gain_data="running", unit_length=True,
                                                    smoothing=0.99, rule="evidence",
                                                    hysteresis=False, gain_every=4),
    "previous unit evidence z1 every 4": Variant(gain_data="previous", unit_length=True,
                                                   smoothing=0.99, rule="evidence", evidence=1.0,
                                                   hysteresis=False, gain_every=4),
    "running unit evidence z1 every 4": Variant(gain_data="running", unit_length=True,
                                                  smoothing=0.99, rule="evidence", evidence=1.0,
                                                  hysteresis=False, gain_every=4),
    "representation batch": Variant(approximation="representation"),
    "representation ema ceiling": Variant(approximation="representation", smoothing=0.9,
                                            max_main_weight=1.5),
}
DEFAULT_CONFIGS = ["single-task", "equal", "first_order batch", "first_order heldout (default)",
                   "exact batch", "exact heldout"]


def resolve(name):
    """A named configuration, ``static:w0,w1,w2`` or ``hydalearn:key=value,...``."""
    if name in CONFIGURATIONS:
        return CONFIGURATIONS[name]
    if name.startswith("static:"):
        return [float(w) for w in name.split(":", 1)[1].split(",")]
    if not name.startswith("hydalearn:"):
        raise SystemExit(f"Unknown configuration {name!r}; expected one of "
                         f"{list(CONFIGURATIONS)} or 'hydalearn:key=value,...'.")
    options = dict(item.split("=") for item in name.split(":", 1)[1].split(","))
    return HydaLearn(**{key: _literal(value) for key, value in options.items()})


def _literal(value):
    import ast

    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def score(name, seed, args):
    import torch

    torch.set_num_threads(1)
    X, y, _ = make_auxiliary_tasks(
        n_samples=args.train + args.test, n_features=args.features, n_informative=5,
        aux_relations=tuple(args.relations), main_noise=args.main_noise,
        aux_noise=args.aux_noise, random_state=seed)
    if args.related_noise:  # a weaker related task: extra noise on the related columns only
        rng = np.random.default_rng(10_000 + seed)
        for k, relation in enumerate(args.relations, start=1):
            if relation == "related":
                y[:, k] += args.related_noise * rng.normal(size=len(y))
    X_train, y_train, X_test, y_test = X[:args.train], y[:args.train], X[args.train:], y[args.train:]
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


def parse_arguments(argv=None):
    """The benchmark's options (also the defaults of ``bench_hydalearn_grid.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--configs", nargs="*", default=DEFAULT_CONFIGS,
                        help=f"names from {list(CONFIGURATIONS)}, 'static:w0,w1,w2' or "
                             "'hydalearn:key=value,...'")
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
    print(f"{args.seeds} seeds; {args.train} training / {args.test} test samples, "
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
