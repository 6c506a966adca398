"""The speed part: the per-issue speed scripts, and scaling of fit time with rows and tasks.

Fit times are medians over repeats; within a repeat every configuration is
fitted once, in turn (round robin), so that changes in the machine's load
affect them alike. Networks run a fixed number of epochs without early
stopping, gradient boosting a fixed number of iterations, so the work does
not depend on convergence.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _timing import medians, round_robin, stopwatch
from bench_memory import peak_fit_memory
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import STRATEGIES, HydaLearn

SPEED_SCRIPTS = ("bench_backend", "bench_hydalearn", "bench_strategies")
HIDDEN = (64, 64)
BATCH_SIZE = 200
N_FEATURES = 20


def run_speed_scripts(settings, results_dir, log=print):
    """Run the speed scripts of the other issues that exist; save each one's output.

    In quick mode a script gets ``--quick`` when its ``--help`` offers it, or
    else ``--repeats 1`` and ``--samples 4096`` where offered. Each script
    runs in its own process with a time limit; its output goes to
    ``results_dir/speed_<script>.txt``.

    Returns
    -------
    DataFrame
        ``script``, ``status`` ("ok", "failed", "timeout" or "missing"),
        ``arguments``, ``wall_time``.
    """
    here = Path(__file__).parent
    rows = []
    for stem in SPEED_SCRIPTS:
        script = here / f"{stem}.py"
        if not script.exists():
            rows.append({"script": stem, "status": "missing", "arguments": "", "wall_time": 0.0})
            continue
        arguments = _quick_arguments(script) if settings.quick else []
        log(f"  {stem} {' '.join(arguments)}")
        with stopwatch() as watch:
            status, output = _run_script(script, arguments, settings.script_timeout, here.parent)
        (Path(results_dir) / f"speed_{stem}.txt").write_text(output)
        rows.append({"script": stem, "status": status, "arguments": " ".join(arguments),
                     "wall_time": watch.wall})
    return pd.DataFrame(rows)


def _run_script(script, arguments, timeout, cwd):
    """``(status, output)`` of one script run in its own process with a time limit."""
    try:
        # Unbuffered, so that a script stopped by the time limit leaves its output so far.
        done = subprocess.run([sys.executable, "-u", str(script), *arguments],
                              capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        return "timeout", output + f"\n[stopped after the time limit of {timeout} s]\n"
    return ("ok" if done.returncode == 0 else "failed"), done.stdout + done.stderr


def _quick_arguments(script):
    try:
        help_text = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                                   text=True, timeout=120).stdout
    except subprocess.TimeoutExpired:
        return []
    if "--quick" in help_text:
        return ["--quick"]
    arguments = ["--repeats", "1"] if "--repeats" in help_text else []
    return arguments + (["--samples", "4096"] if "--samples" in help_text else [])


def scaling_with_rows(settings, log=print):
    """Fit time against the number of rows (3 tasks: main + related + noise).

    Beside the times: the peak memory of one ``equal`` fit beyond its data,
    measured in a fresh process (:func:`bench_memory.peak_fit_memory`).

    Returns
    -------
    DataFrame
        ``n_rows``, ``method``, ``fit_time`` (median), ``repeats``; for
        ``equal`` also ``peak_extra_mb`` and ``copies_of_x`` (NaN elsewhere).
    """
    configurations = {
        "single-task": lambda X, y: _network("equal", settings).fit(X, y[:, 0]),
        "equal": lambda X, y: _network("equal", settings).fit(X, y),
        "hydalearn": lambda X, y: _network("hydalearn", settings).fit(X, y),
        "MLPClassifier": lambda X, y: _mlp(settings).fit(X, y[:, 0]),
        "HistGradientBoosting": lambda X, y: HistGradientBoostingClassifier(
            max_iter=100, early_stopping=False, random_state=0).fit(X, y[:, 0]),
    }
    rows = []
    for n_rows in settings.rows_grid:
        X, y, _ = make_auxiliary_tasks(n_samples=n_rows, n_features=N_FEATURES,
                                       aux_relations=("related", "noise"), random_state=0)
        times = _round_robin(configurations, X, y, settings.repeats, settings.speed_threads)
        memory = peak_fit_memory(X, y, weighting="equal", hidden_layer_sizes=list(HIDDEN),
                                 batch_size=BATCH_SIZE, max_iter=settings.speed_epochs,
                                 n_iter_no_change=settings.speed_epochs + 1)
        log(f"  {n_rows:>8} rows: " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items())
            + f"; peak memory of equal beyond X: {memory['extra_mb']:.0f} MB"
              f" ({memory['copies_of_x']:.2f} copies of X)")
        rows += [{"n_rows": n_rows, "method": k, "fit_time": v, "repeats": settings.repeats,
                  "peak_extra_mb": memory["extra_mb"] if k == "equal" else np.nan,
                  "copies_of_x": memory["copies_of_x"] if k == "equal" else np.nan}
                 for k, v in times.items()]
    return pd.DataFrame(rows)


def scaling_with_tasks(settings, log=print):
    """Fit time against the number of auxiliary tasks, for every weighting strategy.

    Auxiliary tasks alternate between related and noise regression targets.

    Returns
    -------
    DataFrame
        ``n_aux``, ``method``, ``fit_time`` (median), ``ratio_to_equal``, ``repeats``.
    """
    strategies = {name: name for name in STRATEGIES}
    if "hydalearn" in STRATEGIES:
        strategies.update({
            "hydalearn-paper": HydaLearn.paper_rule(),
            "hydalearn-exact": HydaLearn(approximation="exact"),
            "hydalearn-representation": HydaLearn(approximation="representation"),
        })
    configurations = {name: (lambda X, y, w=weighting: _network(w, settings).fit(X, y))
                      for name, weighting in strategies.items()}
    rows = []
    for n_aux in settings.tasks_grid:
        relations = [("related", "noise")[k % 2] for k in range(n_aux)]
        X, y, _ = make_auxiliary_tasks(n_samples=settings.tasks_rows, n_features=N_FEATURES,
                                       aux_relations=relations, random_state=0)
        times = _round_robin(configurations, X, y, settings.repeats, settings.speed_threads)
        log(f"  {n_aux:>3} aux tasks: " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()))
        baseline = times.get("equal", np.nan)
        rows += [{"n_aux": n_aux, "method": k, "fit_time": v, "ratio_to_equal": v / baseline,
                  "repeats": settings.repeats} for k, v in times.items()]
    return pd.DataFrame(rows)


def _network(weighting, settings):
    return HydaMultiTaskClassifier(
        hidden_layer_sizes=HIDDEN, weighting=weighting, batch_size=BATCH_SIZE,
        max_iter=settings.speed_epochs, n_iter_no_change=settings.speed_epochs + 1,
        random_state=0)


def _mlp(settings):
    return MLPClassifier(hidden_layer_sizes=HIDDEN, batch_size=BATCH_SIZE,
                         max_iter=settings.speed_epochs, n_iter_no_change=settings.speed_epochs + 1,
                         random_state=0)


def _round_robin(configurations, X, y, repeats, threads):
    """Median fit time of every configuration (:func:`_timing.round_robin`).

    A warm-up fit on 256 rows pays the start-up costs first. torch, OpenMP
    (boosting) and BLAS (``MLPClassifier``) all get ``threads``; a
    configuration that fails gets NaN.
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
