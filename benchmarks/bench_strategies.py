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

import importlib.util
import platform

import torch
from _strategy_setup import speed_arguments, time_strategies
from _timing import medians, ratios

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


def main(argv=None):
    args = speed_arguments(__doc__.splitlines()[0]).parse_args(argv)
    names = [n for n in CONFIGURATIONS if args.only is None or n in args.only or n == "equal"]
    if importlib.util.find_spec("torchjd") is None:
        names = [n for n in names if not n.startswith("torchjd")]
    times = time_strategies(CONFIGURATIONS, names, args).epochs
    device = (torch.cuda.get_device_name() if args.device.startswith("cuda")
              else platform.processor() or platform.machine())
    print(f"machine: {device}, torch {torch.__version__}, {args.threads} threads; "
          f"{args.samples} samples, batch 256, 3 tasks, MLP 2x128; "
          f"{args.repeats} repeats x {args.epochs - 1} timed epochs")
    median = medians(times)
    ratio = ratios(median, "equal")
    print(f"{'strategy':<24}{'median epoch (s)':>18}{'ratio':>8}")
    for name in names:
        print(f"{name:<24}{median[name]:>18.4f}{ratio[name]:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
