"""Timing fits side by side: the one timing harness of the benchmarks.

Every timed benchmark measures its contenders with :func:`round_robin`: each
repeat runs every configuration once, in turn, so that a change in the
machine's load during the run hits all of them alike. Each run is timed on
the wall clock (``time.perf_counter``) and in CPU time of the process
(``time.process_time``, which a busy machine disturbs less); a fit that
returns the durations of its epochs (:func:`epoch_durations`) has them
collected too. :func:`medians` and :func:`ratios` summarize, :func:`table`
gives one row per configuration, and :func:`machine_info` says where the
numbers were measured (saved beside every suite's results).
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Stopwatch:
    """Wall and CPU seconds of one timed block (filled when the block ends)."""

    wall: float = float("nan")
    cpu: float = float("nan")


@contextlib.contextmanager
def stopwatch():
    """Time a block: ``with stopwatch() as watch: ...``, then ``watch.wall``, ``watch.cpu``."""
    watch = Stopwatch()
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    try:
        yield watch
    finally:
        watch.wall = time.perf_counter() - wall_start
        watch.cpu = time.process_time() - cpu_start


@dataclass
class Timings:
    """What :func:`round_robin` measured, per configuration name, in the order run.

    Attributes
    ----------
    wall, cpu : dict of str to list of float
        Seconds of every timed run.
    epochs : dict of str to list of float
        Epoch durations returned by the runs, concatenated over the repeats
        (empty for runs that return none).
    returned : dict of str to list
        What every timed run returned.
    failed : dict of str to str
        Configurations that raised (with ``skip_failures``): the error.
    order : list of (int, str)
        ``(repeat, name)`` of every timed run, in the order run.
    """

    wall: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)
    epochs: dict = field(default_factory=dict)
    returned: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    order: list = field(default_factory=list)


def round_robin(runs, repeats, warm_up=None, skip_failures=False, log=print):
    """Time every configuration once per repeat, in turn.

    Parameters
    ----------
    runs : dict of str to callable
        Name -> ``run(repeat)``; the repeat's index serves as a seed. A run
        may return a sequence of epoch durations (see :func:`epoch_durations`),
        which are collected in ``Timings.epochs``.
    repeats : int
    warm_up : dict of str to callable, optional
        Name -> ``warm_up()``, called once for every configuration before the
        timed repeats (untimed): the first call in a process pays imports,
        the allocator and thread pools.
    skip_failures : bool, default False
        A configuration that raises is reported through ``log``, recorded in
        ``Timings.failed`` and not run again (its medians are NaN), so that
        one broken contender does not stop the benchmark; else errors
        propagate.
    log : callable, default print

    Returns
    -------
    Timings
    """
    timings = Timings(**{part: {name: [] for name in runs}
                         for part in ("wall", "cpu", "epochs", "returned")})
    for name in runs:  # in the order of the runs, like the repeats
        if warm_up and name in warm_up:
            _guarded(timings, name, warm_up[name], skip_failures, log)
    for repeat in range(repeats):
        for name, run in runs.items():
            if name in timings.failed:
                continue
            with stopwatch() as watch:
                ok, value = _guarded(timings, name, lambda: run(repeat), skip_failures, log)
            if not ok:
                continue
            timings.wall[name].append(watch.wall)
            timings.cpu[name].append(watch.cpu)
            timings.returned[name].append(value)
            if isinstance(value, (list, tuple, np.ndarray)):
                timings.epochs[name] += [float(v) for v in value]
            timings.order.append((repeat, name))
    return timings


def _guarded(timings, name, call, skip_failures, log):
    """``(True, call())``, or ``(False, None)`` after recording the failure."""
    if not skip_failures:
        return True, call()
    try:
        return True, call()
    except Exception as error:  # a broken strategy must not stop the benchmark
        log(f"  {name} failed: {type(error).__name__}: {error}")
        timings.failed[name] = f"{type(error).__name__}: {error}"
        return False, None


def medians(values):
    """Name -> median of its values (NaN where there are none).

    Parameters
    ----------
    values : dict of str to sequence of float
        E.g. ``Timings.wall`` or ``Timings.epochs``.

    Returns
    -------
    dict of str to float
    """
    return {name: float(np.median(v)) if len(v) else float("nan") for name, v in values.items()}


def ratios(summary, reference):
    """Name -> its value divided by the reference's (NaN where there is no reference).

    Parameters
    ----------
    summary : dict of str to float
        E.g. the output of :func:`medians`.
    reference : str
        The name whose value is 1.

    Returns
    -------
    dict of str to float
    """
    base = summary.get(reference, float("nan"))
    return {name: value / base for name, value in summary.items()}


def epoch_durations(model, skip_first=True):
    """Durations of a fitted estimator's epochs, as skorch recorded them (``dur``).

    Parameters
    ----------
    model : fitted HydaMultiTaskClassifier or HydaMultiTaskRegressor
    skip_first : bool, default True
        Leave out the first epoch, which pays the warm-up.

    Returns
    -------
    list of float
    """
    return list(model.net_.history[1 if skip_first else 0:, "dur"])


def table(timings, reference=None):
    """One row per configuration: medians of the wall, CPU and epoch times, ratios.

    Parameters
    ----------
    timings : Timings
    reference : str, optional
        The configuration whose medians are 1 in the ratio columns.

    Returns
    -------
    list of dict
        ``name``, ``repeats``, ``wall_median_s``, ``wall_min_s``,
        ``cpu_median_s``, ``epoch_median_s``, ``epoch_min_s`` and, with a
        reference, ``wall_ratio``, ``cpu_ratio``, ``epoch_ratio``; a failed
        configuration has NaN times and its ``error``.
    """
    wall, cpu, epoch = (medians(part) for part in (timings.wall, timings.cpu, timings.epochs))
    least = {name: min(v) if v else float("nan") for name, v in timings.wall.items()}
    least_epoch = {name: min(v) if v else float("nan") for name, v in timings.epochs.items()}
    rows = []
    for name in timings.wall:
        row = {"name": name, "repeats": len(timings.wall[name]), "wall_median_s": wall[name],
               "wall_min_s": least[name], "cpu_median_s": cpu[name],
               "epoch_median_s": epoch[name], "epoch_min_s": least_epoch[name],
               "error": timings.failed.get(name, "")}
        if reference is not None:
            for column, summary in (("wall", wall), ("cpu", cpu), ("epoch", epoch)):
                row[f"{column}_ratio"] = ratios(summary, reference)[name]
        rows.append(row)
    return rows


def machine_info(root=None):
    """Where and with what the numbers were measured: machine, versions, threads, commit.

    Parameters
    ----------
    root : Path, optional
        The repository, for the commit and whether the package has
        uncommitted changes.
    """
    import numpy as np
    import sklearn
    import torch

    import hydasklearn

    info = {
        "machine": f"{platform.system()} {platform.machine()}, "
                   f"{platform.processor() or 'unknown CPU'}",
        "cpu_count": os.cpu_count(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "torch": torch.__version__, "numpy": np.__version__, "sklearn": sklearn.__version__,
        "hydasklearn": hydasklearn.__version__,
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "date": time.strftime("%Y-%m-%d"),
    }
    if root is not None:
        info["git_commit"] = _git(root, "rev-parse", "--short", "HEAD")
        # Uncommitted changes of the package make a run hard to reproduce: say so.
        info["package_modified"] = bool(_git(root, "status", "--porcelain", "--", "hydasklearn"))
    return info


def load_average():
    """The machine's load average over the last minute (None where the system has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _git(root, *arguments):
    try:
        return subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=root,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
