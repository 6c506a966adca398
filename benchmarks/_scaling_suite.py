"""The scaling and memory suites: fit time against rows and tasks; peak memory of a fit.

Fit times are medians over repeats, round robin (:func:`_timing.round_robin`);
networks run a fixed number of epochs without early stopping, gradient
boosting a fixed number of iterations, so that the work does not depend on
convergence. Peak memory is measured in a fresh process per fit, because a
process's peak resident set size only grows and ``tracemalloc`` does not see
PyTorch's allocations.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _options import pick
from _registry import resolve
from _timing import medians, round_robin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import STRATEGIES

#: The strategies timed against the number of tasks: every strategy of the package, the
#: paper's rule and the default with the other gain approximations (column name -> label).
TASK_SCALING = {**{name: name for name in STRATEGIES}, "hydalearn-paper": "hydalearn-paper",
                "hydalearn-exact": "hydalearn:approximation=exact",
                "hydalearn-representation": "hydalearn:approximation=representation"}
HIDDEN = (64, 64)
BATCH_SIZE = 200
N_FEATURES = 20


def _add_scaling_arguments(parser):
    parser.add_argument("--rows-grid", type=int, nargs="+",
                        help="row counts (default 1e3 to 1e6; quick: to 1e5)")
    parser.add_argument("--tasks-grid", type=int, nargs="+",
                        help="auxiliary task counts (default 1 2 4 8 16)")


def run_scaling(options):
    """Fit time against the number of rows and of auxiliary tasks (with peak memory)."""
    from _plots import plot_scaling  # matplotlib: only to write

    settings = {"rows_grid": pick(options, "rows_grid", [10**3, 10**4, 10**5, 10**6],
                                  [10**3, 10**4]),
                "tasks_grid": pick(options, "tasks_grid", [1, 2, 4, 8, 16], [1, 2, 4]),
                "tasks_rows": pick(options, "rows", 20000, 2000),
                "repeats": pick(options, "repeats", 3, 1),
                "speed_epochs": pick(options, "epochs", 2),
                "speed_threads": pick(options, "threads", 1)}
    results = options.results
    print("fit time against rows:")
    rows = scaling_with_rows(settings)
    rows.to_csv(results / "scaling_rows.csv", index=False, float_format="%.4g")
    plot_scaling(rows, "n_rows", "rows", results / "scaling_rows.png",
                 f"main + 2 aux tasks, MLP 2x64, {settings['speed_epochs']} epochs "
                 "(boosting: 100 iterations)")
    print("fit time against auxiliary tasks:")
    tasks = scaling_with_tasks(settings)
    tasks.to_csv(results / "scaling_tasks.csv", index=False, float_format="%.4g")
    plot_scaling(tasks, "n_aux", "auxiliary tasks", results / "scaling_tasks.png",
                 f"{settings['tasks_rows']} rows, MLP 2x64, {settings['speed_epochs']} epochs")
    return settings


run_scaling.add_arguments = _add_scaling_arguments


def scaling_with_rows(settings, log=print):
    """Fit time against the number of rows (3 tasks: main + related + noise).

    Beside the times: the peak memory of one ``equal`` fit beyond its data
    (:func:`peak_fit_memory`).

    Returns
    -------
    DataFrame
        ``n_rows``, ``method``, ``fit_time`` (median), ``repeats``; for
        ``equal`` also ``peak_extra_mb`` and ``copies_of_x`` (NaN elsewhere).
    """
    epochs = settings["speed_epochs"]
    configurations = {
        "single-task": lambda X, y: _network("equal", epochs).fit(X, y[:, 0]),
        "equal": lambda X, y: _network("equal", epochs).fit(X, y),
        "hydalearn": lambda X, y: _network("hydalearn", epochs).fit(X, y),
        "MLPClassifier": lambda X, y: _mlp(epochs).fit(X, y[:, 0]),
        "HistGradientBoosting": lambda X, y: HistGradientBoostingClassifier(
            max_iter=100, early_stopping=False, random_state=0).fit(X, y[:, 0]),
    }
    rows = []
    for n_rows in settings["rows_grid"]:
        X, y, _ = make_auxiliary_tasks(n_samples=n_rows, n_features=N_FEATURES,
                                       aux_relations=("related", "noise"), random_state=0)
        times = _timed(configurations, X, y, settings["repeats"], settings["speed_threads"])
        memory = peak_fit_memory(X, y, **_memory_options(epochs))
        log(f"  {n_rows:>8} rows: " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items())
            + f"; peak memory of equal beyond X: {memory['extra_mb']:.0f} MB"
              f" ({memory['copies_of_x']:.2f} copies of X)")
        rows += [{"n_rows": n_rows, "method": k, "fit_time": v, "repeats": settings["repeats"],
                  "peak_extra_mb": memory["extra_mb"] if k == "equal" else np.nan,
                  "copies_of_x": memory["copies_of_x"] if k == "equal" else np.nan}
                 for k, v in times.items()]
    return pd.DataFrame(rows)


def scaling_with_tasks(settings, log=print):
    """Fit time against the number of auxiliary tasks (alternately related and noise).

    Returns
    -------
    DataFrame
        ``n_aux``, ``method``, ``fit_time`` (median), ``ratio_to_equal``, ``repeats``.
    """
    epochs = settings["speed_epochs"]
    configurations = {name: (lambda X, y, label=label: _network(resolve(label), epochs).fit(X, y))
                      for name, label in TASK_SCALING.items()}
    rows = []
    for n_aux in settings["tasks_grid"]:
        relations = [("related", "noise")[k % 2] for k in range(n_aux)]
        X, y, _ = make_auxiliary_tasks(n_samples=settings["tasks_rows"], n_features=N_FEATURES,
                                       aux_relations=relations, random_state=0)
        times = _timed(configurations, X, y, settings["repeats"], settings["speed_threads"])
        log(f"  {n_aux:>3} aux tasks: " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()))
        baseline = times.get("equal", np.nan)
        rows += [{"n_aux": n_aux, "method": k, "fit_time": v, "ratio_to_equal": v / baseline,
                  "repeats": settings["repeats"]} for k, v in times.items()]
    return pd.DataFrame(rows)


def _network(weighting, epochs):
    return HydaMultiTaskClassifier(hidden_layer_sizes=HIDDEN, weighting=weighting,
                                   batch_size=BATCH_SIZE, max_iter=epochs,
                                   n_iter_no_change=epochs + 1, random_state=0)


def _mlp(epochs):
    return MLPClassifier(hidden_layer_sizes=HIDDEN, batch_size=BATCH_SIZE, max_iter=epochs,
                         n_iter_no_change=epochs + 1, random_state=0)


def _timed(configurations, X, y, repeats, threads):
    """Median fit time of every configuration; a warm-up fit on 256 rows first.

    torch, OpenMP (boosting) and BLAS (``MLPClassifier``) all get ``threads``;
    a configuration that fails gets NaN.
    """
    torch.set_num_threads(threads)

    def quietly(fit, rows=None):
        def run(repeat=None):
            with warnings.catch_warnings(), threadpool_limits(limits=threads):
                warnings.simplefilter("ignore")
                fit(X[:rows], y[:rows])
        return run

    timings = round_robin({name: quietly(fit) for name, fit in configurations.items()}, repeats,
                          warm_up={name: quietly(fit, 256) for name, fit in configurations.items()},
                          skip_failures=True)
    return medians(timings.wall)


# --------------------------------------------------------------------- memory
def _memory_options(epochs, early_stopping=False):
    return dict(weighting="equal", hidden_layer_sizes=list(HIDDEN), batch_size=BATCH_SIZE,
                max_iter=epochs, n_iter_no_change=epochs + 1, early_stopping=early_stopping)


def _add_memory_arguments(parser):
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--dtype", choices=["float32", "float64"], nargs="+",
                        default=["float32", "float64"])
    parser.add_argument("--early-stopping", action="store_true")


def run_memory(options):
    """Peak memory of one fit beyond its data, for float32 and float64 features."""
    rows, epochs = pick(options, "rows", 10**6, 10**4), pick(options, "epochs", 2)
    # Random data suffice: memory does not depend on what is learned.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, options.features))
    y = np.column_stack([X[:, 0] > 0, X[:, 1] + rng.standard_normal(rows)])
    found = []
    for dtype in options.dtype:
        result = peak_fit_memory(X.astype(dtype), y, **_memory_options(epochs,
                                                                      options.early_stopping))
        found.append({"rows": rows, "features": options.features, "dtype": dtype,
                      "epochs": epochs, "early_stopping": options.early_stopping, **result})
        print(f"  X {dtype}: {result['x_mb']:.0f} MB; peak beyond X and y during fit "
              f"{result['extra_mb']:.0f} MB = {result['copies_of_x']:.2f} copies of X")
    pd.DataFrame(found).to_csv(options.results / "memory.csv", index=False, float_format="%.4g")
    return {"rows": rows, "epochs": epochs}


run_memory.add_arguments = _add_memory_arguments

_CHILD = """
import json, resource, sys, warnings
import numpy as np
import torch
from hydasklearn import HydaMultiTaskClassifier

def rss():
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:  # Linux without psutil
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

torch.set_num_threads(1)
x_path, y_path, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
warnings.simplefilter("ignore")
def model():
    return HydaMultiTaskClassifier(random_state=0, **options)
warm = np.random.RandomState(0).normal(size=(64, 3))
model().fit(warm, np.column_stack([warm[:, 0] > 0, warm[:, 1]]))
X, y = np.load(x_path), np.load(y_path)
before = rss()
model().fit(X, y)
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
print(json.dumps({"before": before, "peak": peak}))
"""


def peak_fit_memory(X, y, **options):
    """Peak memory of ``HydaMultiTaskClassifier(**options).fit(X, y)`` beyond ``X`` and ``y``.

    The child process imports everything and fits once on a few rows, loads
    ``X`` and ``y`` from ``.npy`` files (no temporaries), notes its resident
    set size, fits, and reports how far the peak rose above it.

    Returns
    -------
    dict
        ``extra_mb`` (MB, 10**6 bytes), ``x_mb`` (``X.nbytes``) and
        ``copies_of_x`` (their ratio).
    """
    with tempfile.TemporaryDirectory() as folder:
        x_path, y_path = Path(folder) / "X.npy", Path(folder) / "y.npy"
        np.save(x_path, X)
        np.save(y_path, y)
        done = subprocess.run([sys.executable, "-c", _CHILD, str(x_path), str(y_path),
                               json.dumps(options)], capture_output=True, text=True, check=True)
    sizes = json.loads(done.stdout.strip().splitlines()[-1])
    extra = max(sizes["peak"] - sizes["before"], 0) / 1e6
    return {"extra_mb": extra, "x_mb": X.nbytes / 1e6, "copies_of_x": extra * 1e6 / X.nbytes}
