"""Epoch times of weighting strategies, side by side: shared by the speed scripts.

Both ``bench_hydalearn.py`` and ``bench_strategies.py`` time the same
set-up (3 tasks, an MLP trunk of 2 x 128, batch size 256) and differ only in
the strategies they compare and in how they report.
"""

from __future__ import annotations

import argparse
import warnings

import torch

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


def epoch_times(weighting, X, y, epochs, seed, device="cpu"):
    """Durations of every epoch of one fit but the first (warm-up), as skorch records them."""
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=(128, 128), weighting=weighting, batch_size=256,
        max_iter=epochs, n_iter_no_change=epochs + 1, random_state=seed, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return list(model.net_.history[1:, "dur"])


def time_round_robin(configurations, names, args):
    """Epoch times of every named configuration, fitted in turn in each repeat.

    Interleaving the repeats makes changes in the machine's load affect all
    configurations alike. Returns a dict name -> list of epoch durations.
    """
    torch.set_num_threads(args.threads)
    X, y, _ = make_auxiliary_tasks(n_samples=args.samples, n_features=20,
                                   aux_relations=("related", "noise"), random_state=0)
    times = {name: [] for name in names}
    for repeat in range(args.repeats):
        for name in names:
            times[name] += epoch_times(configurations[name], X, y, args.epochs, repeat,
                                       args.device)
    return times
