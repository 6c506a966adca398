"""The speed suite: the estimator against plain torch, skorch and scikit-learn; every strategy.

Two tables, both timed by :func:`_timing.round_robin` (every repeat fits each
contender once, in turn, after one untimed warm-up fit each; medians):

* ``speed_backend.csv``: one network (MLP 2 x 128, 20000 x 40 by default,
  batch 256, Adam lr 1e-3, L2 1e-4, 5 epochs, no early stopping, set-up
  included) fitted by ``HydaMultiTaskClassifier`` (also with two auxiliary
  targets), vanilla skorch, ``MLPClassifier`` and a hand-written torch loop
  (with and without Adam's fused kernel); ratios to ``hydasklearn``. Targets:
  within 1.10x the fused loop, at most 0.70x ``MLPClassifier``.
* ``speed_strategies.csv``: epoch time of every weighting strategy and of the
  registry's timed HydaLearn configurations (:data:`_registry.TIMED`, with
  their targets) on 16384 rows, 3 tasks, MLP 2 x 128, batch 256; ratios to
  equal weighting (the first epoch of every fit dropped).
"""

from __future__ import annotations

import functools
import importlib.util
import warnings

import numpy as np
import pandas as pd
import torch
from _options import pick
from _registry import CONFIGURATIONS, TIMED, resolve
from _timing import epoch_durations, round_robin, table
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier
from skorch import NeuralNetClassifier
from threadpoolctl import threadpool_limits

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import STRATEGIES

HIDDEN, BATCH_SIZE, LEARNING_RATE, ALPHA, N_FEATURES = (128, 128), 256, 1e-3, 1e-4, 40
#: Contenders that run on ``--device``; the others are CPU-only.
ON_DEVICE = ("hydasklearn", "hydasklearn +2 aux", "skorch")
BACKEND_TARGETS = {"torch loop, fused": 1.10, "MLPClassifier": 0.70}


def run_speed(options):
    """Fit time of the estimator against torch, skorch, scikit-learn; every strategy's epoch."""
    repeats = pick(options, "repeats", 5, 1)
    threads = pick(options, "threads", 2)
    torch.set_num_threads(threads)
    # The same thread budget for numpy's BLAS; convergence warnings at the epoch cap, by design.
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run_speed(options, repeats, threads)


def _run_speed(options, repeats, threads):
    settings = {"repeats": repeats, "threads": threads}
    backend = _chosen(CONTENDERS, options.only, "hydasklearn")
    if options.device != "cpu" and options.only is None:
        backend = [n for n in backend if n in ON_DEVICE]
    if backend:
        rows = pick(options, "rows", 20000, 4096)
        epochs = pick(options, "epochs", 5, 3)
        frame = time_backend(backend, rows, epochs, repeats, options.device)
        _save(frame, options.results / "speed_backend.csv", "hydasklearn")
        settings.update(backend_rows=rows, backend_epochs=epochs)
    names = _chosen(strategy_names(), options.only, "equal")
    if names:
        rows = pick(options, "rows", 16384, 4096)
        epochs = pick(options, "epochs", 4, 3)
        frame = time_strategies(names, rows, epochs, repeats, options.device)
        frame["target"] = [TIMED.get(name) for name in frame["name"]]
        _save(frame, options.results / "speed_strategies.csv", "equal")
        settings.update(strategy_rows=rows, strategy_epochs=epochs)
    return settings


def _chosen(names, only, reference):
    """The names in ``only`` (all without it), the reference first when any is chosen."""
    chosen = [n for n in names if only is None or n in only]
    return list(dict.fromkeys([reference, *chosen])) if chosen else []


def _save(frame, path, reference):
    frame.to_csv(path, index=False, float_format="%.4g")
    columns = ["name", "wall_median_s", "cpu_median_s", "epoch_median_s", "wall_ratio",
               "epoch_ratio"]
    print(frame[[c for c in columns if c in frame]].to_string(index=False))
    print(f"ratios: to {reference}; written to {path}")


# -------------------------------------------------------------------- backend
def make_data(n_samples):
    X, y = make_classification(n_samples=n_samples, n_features=N_FEATURES, n_informative=20,
                               random_state=0)
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    rng = np.random.RandomState(1)
    aux = np.column_stack([X[:, 0] + rng.normal(size=len(X)),  # a regression target
                           (X[:, 1] > 0).astype(np.float64)])  # a binary target
    return X, y, np.column_stack([y, aux])


def _mlp_module(n_outputs):
    layers, width = [], N_FEATURES
    for size in HIDDEN:
        layers += [torch.nn.Linear(width, size), torch.nn.ReLU()]
        width = size
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, n_outputs))


def _hydasklearn(X, y, epochs, seed, device):
    HydaMultiTaskClassifier(hidden_layer_sizes=HIDDEN, weighting="equal", batch_size=BATCH_SIZE,
                            learning_rate_init=LEARNING_RATE, alpha=ALPHA, max_iter=epochs,
                            n_iter_no_change=epochs + 1, random_state=seed,
                            device=device).fit(X, y)


def _skorch(X, y, epochs, seed, device):
    torch.manual_seed(seed)
    NeuralNetClassifier(
        _mlp_module(2), criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
        optimizer__weight_decay=ALPHA, lr=LEARNING_RATE, max_epochs=epochs,
        batch_size=BATCH_SIZE, iterator_train__shuffle=True, train_split=None, verbose=0,
        device=device).fit(X, y.astype(np.int64))


def _mlp(X, y, epochs, seed, device):
    MLPClassifier(hidden_layer_sizes=HIDDEN, solver="adam", batch_size=BATCH_SIZE,
                  learning_rate_init=LEARNING_RATE, alpha=ALPHA, max_iter=epochs,
                  early_stopping=False, n_iter_no_change=epochs + 1,
                  random_state=seed).fit(X, y)


def _torch_loop(X, y, epochs, seed, device, fused=False):
    """Tensors in memory, batches by index slicing of a ``randperm``, ``zero_grad(set_to_none)``."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    module = _mlp_module(2)
    optimizer = torch.optim.Adam(module.parameters(), lr=LEARNING_RATE, weight_decay=ALPHA,
                                 **({"fused": True} if fused else {}))
    loss_function = torch.nn.CrossEntropyLoss()
    X_all, y_all = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.int64)
    for _ in range(epochs):
        order = torch.randperm(len(X_all), generator=generator)
        for start in range(0, len(X_all), BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss_function(module(X_all[rows]), y_all[rows]).backward()
            optimizer.step()


#: name -> fit(X, y main, y all targets, epochs, seed, device)
CONTENDERS = {
    "hydasklearn": lambda X, y, Y, *a: _hydasklearn(X, y, *a),
    "hydasklearn +2 aux": lambda X, y, Y, *a: _hydasklearn(X, Y, *a),
    "skorch": lambda X, y, Y, *a: _skorch(X, y, *a),
    "MLPClassifier": lambda X, y, Y, *a: _mlp(X, y, *a),
    "torch loop": lambda X, y, Y, *a: _torch_loop(X, y, *a),
    "torch loop, fused": lambda X, y, Y, *a: _torch_loop(X, y, *a, fused=True),
}


def time_backend(names, n_rows, epochs, repeats, device="cpu"):
    """Median fit times of the named contenders, round robin; a frame with ratios."""
    X, y, Y = make_data(n_rows)
    runs = {n: functools.partial(lambda repeat, fit: fit(X, y, Y, epochs, repeat, device),
                                 fit=CONTENDERS[n]) for n in names}
    warm_up = {n: functools.partial(lambda fit: fit(X[:2048], y[:2048], Y[:2048], 1, 0, device),
                                    fit=CONTENDERS[n]) for n in names}
    timings = round_robin(runs, repeats, warm_up=warm_up)
    frame = pd.DataFrame(table(timings, "hydasklearn" if "hydasklearn" in names else None))
    frame["device"] = [device if n in ON_DEVICE else "cpu" for n in frame["name"]]
    frame["rows"], frame["epochs"] = n_rows, epochs
    for name, target in BACKEND_TARGETS.items():
        if "hydasklearn" in names and name in names:
            ratio = frame.set_index("name")["wall_ratio"]
            print(f"hydasklearn / {name}: {1 / ratio[name]:.2f}x (target <= {target}x)")
    return frame


# ----------------------------------------------------------------- strategies
def strategy_names():
    """Every strategy of the package, its variants and the registry's timed configurations."""
    torchjd = importlib.util.find_spec("torchjd") is not None
    names = [n for n in STRATEGIES if torchjd or n != "torchjd"]
    names += ["gcs weighted", *(["torchjd mgda"] if torchjd else [])]
    return list(dict.fromkeys(["equal", *names, *TIMED]))


def _fit_epochs(weighting, X, y, epochs, seed, device="cpu"):
    """Durations of every epoch of one fit but the first."""
    model = HydaMultiTaskClassifier(
        hidden_layer_sizes=HIDDEN, weighting=weighting, batch_size=BATCH_SIZE, max_iter=epochs,
        n_iter_no_change=epochs + 1, random_state=seed, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return epoch_durations(model)


def time_strategies(names, n_rows, epochs, repeats, device="cpu"):
    """Median epoch times of the named configurations (3 tasks), round robin; with ratios."""
    unknown = [n for n in names if n not in CONFIGURATIONS]
    if unknown:
        raise SystemExit(f"Unknown configurations {unknown}")
    X, y, _ = make_auxiliary_tasks(n_samples=n_rows, n_features=20,
                                   aux_relations=("related", "noise"), random_state=0)
    runs = {n: functools.partial(lambda repeat, n: _fit_epochs(resolve(n), X, y, epochs, repeat,
                                                               device), n=n) for n in names}
    warm_up = {n: functools.partial(lambda n: _fit_epochs(resolve(n), X[:512], y[:512], 2, 0,
                                                          device), n=n) for n in names}
    timings = round_robin(runs, repeats, warm_up=warm_up, skip_failures=True)
    frame = pd.DataFrame(table(timings, "equal"))
    frame["device"], frame["rows"], frame["epochs"] = device, n_rows, epochs
    return frame
