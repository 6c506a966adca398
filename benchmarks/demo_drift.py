"""Claim (i): an auxiliary task's relevance drifts during training.

Generated data (:func:`hydasklearn.datasets.make_auxiliary_tasks`): a binary
main task, one related auxiliary task (the main task's latent score with
little noise) and one pure-noise task. HydaLearn's per-batch weights are
averaged per epoch (and over seeds) and printed for both sources of gain data.

What it shows: early in training the related task's steps lower the main
loss about as much as the main task's own, and it weighs about as much as the
main task (more, with held-out gains). Once the trunk has learnt the features
both tasks share (the related task's loss has dropped to its noise level), its
steps add little for the main task and its weight falls: with gains on the
current batch to almost 0, with held-out gains to about half its early value,
while these gains, measured on data the model has started to overfit, become
noisy enough that the noise task picks up weight too.

Usage::

    python benchmarks/demo_drift.py [--seeds 3] [--epochs 30]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import HydaLearn


def epoch_weights(gain_data, seed, args):
    """Per-epoch mean weights (epochs x tasks) and the related task's epoch losses."""
    X, y, _ = make_auxiliary_tasks(n_samples=args.samples, n_features=20,
                                   aux_relations=("related", "noise"), random_state=seed)
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=(64, 64), batch_size=args.batch, max_iter=args.epochs,
        n_iter_no_change=args.epochs + 1, weighting=HydaLearn(gain_data=gain_data),
        random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    steps_per_epoch = -(-args.samples // args.batch)
    weights = model.weight_history_.reshape(args.epochs, steps_per_epoch, 3).mean(axis=1)
    return weights, model.task_loss_curves_["aux_1"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    start = time.perf_counter()
    results = {}
    for gain_data in ("batch", "heldout"):
        runs = [epoch_weights(gain_data, seed, args) for seed in range(args.seeds)]
        results[gain_data] = (np.mean([w for w, _ in runs], axis=0),
                              np.mean([loss for _, loss in runs], axis=0))
    print(f"{args.samples} samples, aux: related + noise, MLP 2x64, batch {args.batch}; "
          f"per-epoch mean HydaLearn weights (sum 3), averaged over {args.seeds} seeds; "
          f"{time.perf_counter() - start:.0f} s")
    print(f"{'':>6}{'gains on the batch':^24}{'gains on held-out data':^24}{'related loss':>14}")
    print(f"{'epoch':>6}" + f"{'main':>8}{'related':>8}{'noise':>8}" * 2 + f"{'(batch runs)':>14}")
    for epoch in range(args.epochs):
        row = f"{epoch + 1:>6}"
        for gain_data in ("batch", "heldout"):
            row += "".join(f"{w:>8.2f}" for w in results[gain_data][0][epoch])
        print(row + f"{results['batch'][1][epoch]:>14.3f}")
    print("related task's weight, peak epoch -> mean of the last 5 epochs:")
    for gain_data in ("batch", "heldout"):
        related = results[gain_data][0][:, 1]
        print(f"  {gain_data:<8} {related.max():.2f} (epoch {related.argmax() + 1}) -> "
              f"{related[-5:].mean():.2f}")


if __name__ == "__main__":
    main()
