"""The set-up that ``bench_hydalearn.py`` and ``bench_strategies.py`` time.

Both time weighting strategies' epochs on the same problem (3 tasks: main +
related + noise, an MLP trunk of 2 x 128, batch size 256) with
:func:`_timing.round_robin`, and differ only in the strategies they compare
and in how they report.
"""

from __future__ import annotations

import argparse
import warnings

import torch
from _timing import epoch_durations, round_robin

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks


def speed_arguments(description):
    """Command-line options common to the epoch-timing scripts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per fit (first dropped)")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", nargs="*", default=None, help="configurations to time")
    return parser


def fit_epochs(weighting, X, y, epochs, seed, device="cpu"):
    """Durations of every epoch of one fit but the first (warm-up)."""
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=(128, 128), weighting=weighting, batch_size=256,
        max_iter=epochs, n_iter_no_change=epochs + 1, random_state=seed, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return epoch_durations(model)


def time_strategies(configurations, names, args):
    """Every named configuration's fits, timed round robin after one warm-up fit each.

    Returns
    -------
    Timings
        ``epochs``: name -> the timed epochs of all repeats (the first epoch of
        every fit dropped); ``wall`` and ``cpu``: the whole fits.
    """
    torch.set_num_threads(args.threads)
    X, y, _ = make_auxiliary_tasks(n_samples=args.samples, n_features=20,
                                   aux_relations=("related", "noise"), random_state=0)
    runs = {name: (lambda repeat, w=configurations[name]:
                   fit_epochs(w, X, y, args.epochs, repeat, args.device))
            for name in names}
    warm_up = {name: (lambda w=configurations[name]: fit_epochs(w, X[:512], y[:512], 2, 0))
               for name in names}
    return round_robin(runs, args.repeats, warm_up=warm_up)
