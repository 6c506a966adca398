"""Epoch time of every weighting strategy relative to equal weighting.

Three tasks (main + 2 auxiliary), an MLP trunk of 2 x 128, batch size 256,
2 torch threads by default. All strategies are timed side by side in one run:
the repeats are interleaved (round robin) so that the machine's load affects
them alike. Each repeat fits a few epochs; an epoch's duration is skorch's
``dur``, the first epoch (warm-up) is dropped, and the median over all timed
epochs of all repeats is reported, as a ratio to equal weighting.

Usage::

    python benchmarks/bench_strategies.py [--repeats 5] [--epochs 4] [--samples 16384]
                                          [--device cpu] [--only gcs pcgrad ...]

This is a measurement, not a test: there are no targets, only the table.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import warnings

import numpy as np
import torch

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import GradientCosineSimilarity, HydaLearn, TorchJDAggregator

CONFIGURATIONS = {
    "equal": "equal",
    "dwa": "dwa",
    "uncertainty": "uncertainty",
    "hydalearn first_order": HydaLearn(approximation="first_order"),
    "gcs": "gcs",
    "gcs weighted": GradientCosineSimilarity(weighted=True),
    "olaux": "olaux",
    "gradnorm": "gradnorm",
    "pcgrad": "pcgrad",
    "slgrad": "slgrad",
    "torchjd upgrad": TorchJDAggregator("upgrad"),
    "torchjd mgda": TorchJDAggregator("mgda"),
}


def epoch_times(weighting, X, y, epochs, seed, device):
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=(128, 128), weighting=weighting, batch_size=256,
        max_iter=epochs, n_iter_no_change=epochs + 1, random_state=seed, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return list(model.net_.history[1:, "dur"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per fit (first dropped)")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", nargs="*", default=None, help="configurations to time")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    X, y, _ = make_auxiliary_tasks(n_samples=args.samples, n_features=20,
                                   aux_relations=("related", "noise"), random_state=0)
    names = [n for n in CONFIGURATIONS if args.only is None or n in args.only or n == "equal"]
    if importlib.util.find_spec("torchjd") is None:
        names = [n for n in names if not n.startswith("torchjd")]
    times = {name: [] for name in names}
    for repeat in range(args.repeats):
        for name in names:
            times[name] += epoch_times(CONFIGURATIONS[name], X, y, args.epochs, repeat,
                                       args.device)
    device = (torch.cuda.get_device_name() if args.device.startswith("cuda")
              else platform.processor() or platform.machine())
    print(f"machine: {device}, torch {torch.__version__}, {args.threads} threads; "
          f"{args.samples} samples, batch 256, 3 tasks, MLP 2x128; "
          f"{args.repeats} repeats x {args.epochs - 1} timed epochs")
    baseline = np.median(times["equal"])
    print(f"{'strategy':<24}{'median epoch (s)':>18}{'ratio':>8}")
    for name in names:
        median = np.median(times[name])
        print(f"{name:<24}{median:>18.4f}{median / baseline:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
