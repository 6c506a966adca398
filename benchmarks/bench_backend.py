"""Fit time of the estimator's backend against vanilla skorch, scikit-learn and plain torch.

Every contender trains the same network (an MLP with two hidden layers of
128 ReLU units) on the same data (20000 x 40 synthetic binary
classification) for 5 epochs (``--epochs``), batch size 256, Adam with
learning rate 1e-3 and L2 penalty 1e-4, no early stopping, set-up included:

- ``hydasklearn``: ``HydaMultiTaskClassifier(weighting="equal")``, 1-D ``y``;
- ``hydasklearn +2 aux``: the same with two auxiliary targets (information
  only: three heads and three losses);
- ``skorch``: vanilla ``skorch.NeuralNetClassifier``, skorch's default
  ``Dataset`` and ``DataLoader`` (per-sample collate), no validation split;
- ``MLPClassifier``: scikit-learn's ``MLPClassifier`` (solver "adam");
- ``torch loop``: a hand-written loop: tensors in memory, batches by index
  slicing of a ``randperm``, ``zero_grad(set_to_none=True)``,
  ``CrossEntropyLoss`` on two logits, torch's default Adam;
- ``torch loop, fused``: the same with Adam's fused kernel (``fused=True``),
  which the estimator uses where torch has it: the floor.

The contenders are timed side by side in one run: every repeat fits each of
them once, in turn (round robin), so that the machine's load affects them
alike. The median fit time (wall clock) over the repeats is reported, with
ratios; so is the median CPU time of the process, which a busy machine
disturbs less (with one thread it is close to the time on an idle machine).

Usage::

    python benchmarks/bench_backend.py [--repeats 5] [--threads 2] [--samples 20000] [--epochs 5]
    python benchmarks/bench_backend.py --device cuda   # hydasklearn and skorch on a GPU

Targets: ``hydasklearn`` within 1.10x the fused torch loop, and at most 0.70x
the time of ``MLPClassifier``.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import warnings

import numpy as np
import sklearn
import skorch
import torch
from _timing import medians as median_of
from _timing import ratios, round_robin
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier
from skorch import NeuralNetClassifier
from threadpoolctl import threadpool_limits

from hydasklearn import HydaMultiTaskClassifier

N_SAMPLES, N_FEATURES = 20000, 40
HIDDEN = (128, 128)
EPOCHS, BATCH_SIZE, LEARNING_RATE, ALPHA = 5, 256, 1e-3, 1e-4


def make_data(n_samples=N_SAMPLES):
    X, y = make_classification(n_samples=n_samples, n_features=N_FEATURES, n_informative=20,
                               random_state=0)
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    rng = np.random.RandomState(1)
    aux = np.column_stack([X[:, 0] + rng.normal(size=len(X)),  # a regression target
                           (X[:, 1] > 0).astype(np.float64)])  # a binary target
    return X, y, np.column_stack([y, aux])


def mlp_module(n_outputs):
    layers, width = [], N_FEATURES
    for size in HIDDEN:
        layers += [torch.nn.Linear(width, size), torch.nn.ReLU()]
        width = size
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, n_outputs))


def fit_hydasklearn(X, y, y_multi, seed):
    HydaMultiTaskClassifier(hidden_layer_sizes=HIDDEN, weighting="equal", batch_size=BATCH_SIZE,
                            learning_rate_init=LEARNING_RATE, alpha=ALPHA, max_iter=EPOCHS,
                            random_state=seed).fit(X, y)


def fit_hydasklearn_aux(X, y, y_multi, seed):
    HydaMultiTaskClassifier(hidden_layer_sizes=HIDDEN, weighting="equal", batch_size=BATCH_SIZE,
                            learning_rate_init=LEARNING_RATE, alpha=ALPHA, max_iter=EPOCHS,
                            random_state=seed).fit(X, y_multi)


def fit_skorch(X, y, y_multi, seed):
    torch.manual_seed(seed)
    NeuralNetClassifier(
        mlp_module(2), criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
        optimizer__weight_decay=ALPHA, lr=LEARNING_RATE, max_epochs=EPOCHS,
        batch_size=BATCH_SIZE, iterator_train__shuffle=True, train_split=None, verbose=0,
    ).fit(X, y.astype(np.int64))


def fit_mlp(X, y, y_multi, seed):
    MLPClassifier(hidden_layer_sizes=HIDDEN, solver="adam", batch_size=BATCH_SIZE,
                  learning_rate_init=LEARNING_RATE, alpha=ALPHA, max_iter=EPOCHS,
                  early_stopping=False, n_iter_no_change=EPOCHS + 1,
                  random_state=seed).fit(X, y)


def fit_torch_loop(X, y, y_multi, seed, fused=False):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    module = mlp_module(2)
    optimizer = torch.optim.Adam(module.parameters(), lr=LEARNING_RATE, weight_decay=ALPHA,
                                 **({"fused": True} if fused else {}))
    loss_function = torch.nn.CrossEntropyLoss()
    X_all, y_all = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.int64)
    for _ in range(EPOCHS):
        order = torch.randperm(len(X_all), generator=generator)
        for start in range(0, len(X_all), BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(module(X_all[rows]), y_all[rows])
            loss.backward()
            optimizer.step()


CONTENDERS = {
    "hydasklearn": fit_hydasklearn,
    "hydasklearn +2 aux": fit_hydasklearn_aux,
    "skorch": fit_skorch,
    "MLPClassifier": fit_mlp,
    "torch loop": fit_torch_loop,
    "torch loop, fused": functools.partial(fit_torch_loop, fused=True),
}


def main(argv=None):
    global EPOCHS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2,
                        help="threads of torch and of numpy's BLAS (MLPClassifier)")
    parser.add_argument("--samples", type=int, default=N_SAMPLES,
                        help="rows of data (the targets are stated for 20000)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--only", nargs="*", default=None, help="contenders to time")
    parser.add_argument("--device", default="cpu",
                        help="torch device of hydasklearn and skorch, e.g. cuda; off the CPU "
                             "the CPU-only contenders are left out unless named in --only")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile one hydasklearn fit instead of benchmarking")
    args = parser.parse_args(argv)
    EPOCHS = args.epochs
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # the same thread budget for numpy's BLAS
    warnings.simplefilter("ignore")  # ConvergenceWarning after 10 epochs, by design
    X, y, y_multi = make_data(args.samples)
    if args.profile:
        import cProfile
        import pstats
        cProfile.runctx("fit_hydasklearn(X, y, y_multi, 0)", globals(), locals(), "/tmp/hyda.prof")
        pstats.Stats("/tmp/hyda.prof").sort_stats("cumulative").print_stats(30)
        return
    names = [n for n in CONTENDERS if args.only is None or n in args.only]
    if args.device != "cpu":
        names = _on_device(args.device, names, named=args.only is not None)
    # Warm-up on 2048 rows: imports, allocator, thread pools.
    timings = round_robin(
        {name: (lambda repeat, fit=CONTENDERS[name]: fit(X, y, y_multi, repeat)) for name in names},
        args.repeats,
        warm_up={name: (lambda fit=CONTENDERS[name]: fit(X[:2048], y[:2048], y_multi[:2048], 0))
                 for name in names})
    times = timings.wall
    print(f"machine: {platform.machine()} {platform.processor()}, {os.cpu_count()} cores; "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"scikit-learn {sklearn.__version__}, skorch {skorch.__version__}")
    print(f"device: {args.device}")
    print(f"data {args.samples} x {N_FEATURES}, MLP {HIDDEN}, {EPOCHS} epochs, batch {BATCH_SIZE}, "
          f"Adam lr {LEARNING_RATE}; median of {args.repeats} repeats, round robin")
    medians, cpu_medians = median_of(times), median_of(timings.cpu)
    print(f"{'contender':<20}{'wall median (s)':>16}{'min':>8}{'max':>8}{'ratio':>7}"
          f"{'CPU median (s)':>16}{'ratio':>7}")
    for name in names:
        ratio, cpu_ratio = (_ratio(m, name) for m in (medians, cpu_medians))
        print(f"{name:<20}{medians[name]:>16.3f}{min(times[name]):>8.3f}"
              f"{max(times[name]):>8.3f}{ratio:>7}{cpu_medians[name]:>16.3f}{cpu_ratio:>7}")
    print("ratio: time / hydasklearn's time")
    for label, m in (("wall", medians), ("CPU", cpu_medians)):
        if "hydasklearn" in m and "torch loop, fused" in m:
            relative = m["hydasklearn"] / m["torch loop, fused"]
            print(f"{label}: time relative to the fused torch loop {relative:.2f}x "
                  f"(target <= 1.10x): {'met' if relative <= 1.10 else 'MISSED'}")
        if "hydasklearn" in m and "MLPClassifier" in m:
            relative = m["hydasklearn"] / m["MLPClassifier"]
            print(f"{label}: time relative to MLPClassifier {relative:.2f}x (target <= 0.70x): "
                  f"{'met' if relative <= 0.70 else 'MISSED'}")
        if "hydasklearn" in m and "skorch" in m:
            print(f"{label}: speed-up over vanilla skorch {m['skorch'] / m['hydasklearn']:.2f}x")


def _on_device(device, names, named):
    """Make the device-aware contenders fit on ``device``; the contenders left to time."""
    global HydaMultiTaskClassifier, NeuralNetClassifier
    HydaMultiTaskClassifier = functools.partial(HydaMultiTaskClassifier, device=device)
    NeuralNetClassifier = functools.partial(NeuralNetClassifier, device=device)
    on_device = {"hydasklearn", "hydasklearn +2 aux", "skorch"}
    return names if named else [n for n in names if n in on_device]


def _ratio(medians, name):
    """``name``'s time relative to hydasklearn's, formatted; "-" when hydasklearn is not timed."""
    return f"{ratios(medians, 'hydasklearn')[name]:.2f}" if "hydasklearn" in medians else "-"


if __name__ == "__main__":
    main()
