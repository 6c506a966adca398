"""The drift suite: how an auxiliary task's weight changes during training.

Generated data (:func:`hydasklearn.datasets.make_auxiliary_tasks`): a binary
main task, one related auxiliary task (the main task's latent score with
little noise) and one pure-noise task. The per-step weights of the paper's
rule (weights proportional to the gains, set anew on every step) are
averaged per epoch and over seeds, for gains measured on the current batch
(``hydalearn-paper``) and on held-out rows (``heldout``); ``drift.csv``:
configuration, epoch, the three weights and the related task's loss.

What it shows: early in training the related task's steps lower the main
loss about as much as the main task's own, and it weighs about as much as
the main task. Once the trunk has learned the features both tasks share, its
steps add little for the main task and its weight falls.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch
from _options import pick
from _registry import resolve

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks

CONFIGURATIONS = ("hydalearn-paper", "heldout")


def run_drift(options):
    """HydaLearn's per-epoch task weights: a related task's weight drifts as the trunk learns."""
    seeds, epochs = pick(options, "seeds", 3, 1), pick(options, "epochs", 30, 4)
    samples, batch = pick(options, "rows", 2000, 500), 100
    torch.set_num_threads(pick(options, "threads", 2))
    rows = []
    for name in CONFIGURATIONS:
        runs = [epoch_weights(name, seed, samples, batch, epochs) for seed in range(seeds)]
        weights = np.mean([w for w, _ in runs], axis=0)
        losses = np.mean([loss for _, loss in runs], axis=0)
        rows += [{"configuration": name, "epoch": epoch + 1, "main": w[0], "related": w[1],
                  "noise": w[2], "related_loss": loss}
                 for epoch, (w, loss) in enumerate(zip(weights, losses))]
    frame = pd.DataFrame(rows)
    frame.to_csv(options.results / "drift.csv", index=False, float_format="%.4g")
    print(frame.pivot(index="epoch", columns="configuration", values="related").round(2)
          .to_string())
    for name, part in frame.groupby("configuration", sort=False):
        related = part["related"].to_numpy()
        print(f"related task's weight ({name}): peak {related.max():.2f} "
              f"(epoch {related.argmax() + 1}) -> last 5 epochs {related[-5:].mean():.2f}")
    return {"seeds": seeds, "epochs": epochs, "samples": samples, "batch_size": batch}


def epoch_weights(name, seed, samples, batch, epochs):
    """Per-epoch mean weights (epochs x tasks) and the related task's epoch losses."""
    X, y, _ = make_auxiliary_tasks(n_samples=samples, n_features=20,
                                   aux_relations=("related", "noise"), random_state=seed)
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=(64, 64), batch_size=batch, max_iter=epochs,
        n_iter_no_change=epochs + 1, weighting=resolve(name),
        random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    weights = np.asarray(model.weight_history_)
    steps_per_epoch = len(weights) // epochs
    weights = weights[:steps_per_epoch * epochs].reshape(epochs, steps_per_epoch, -1).mean(axis=1)
    return weights, np.asarray(model.task_loss_curves_["aux_1"])
