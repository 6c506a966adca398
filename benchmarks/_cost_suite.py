"""The cost suite: what HydaLearn's default costs against equal weighting, fitted side by side.

The project's cost target: the default's fit time at most 1.2x equal
weighting's on the generated set-up (side by side, median of at least 5
repeats), and at most 1.3x on the Lending Club and SUPPORT2 sets with early
stopping. Four set-ups (``--setups`` takes prefixes of their names):

* ``generated``: ``make_auxiliary_tasks`` 8192 x 40 (related + noise
  auxiliary targets: 3 tasks), MLP 2 x 128, batch 256, 30 epochs, no early
  stopping; every row is fitted (only the time is measured);
* ``nine tasks``: the same with related + noise four times (9 tasks), no
  target: how the cost grows with the number of tasks;
* ``lending`` and ``support2``: the grid's real set-ups (``_registry.SETUPS``:
  a stratified 75 / 25 split per seed, standardized) fitted on their
  training rows as the grid fits them (``_registry.REAL_FIT``: early
  stopping, patience 5). They need the ``benchmarks`` extra; without it they
  are skipped with a message.

Configurations: ``equal`` (the reference), ``hydalearn`` (the default) and
any given with ``--configs`` (``_registry.resolve`` names or labels). Every
repeat fits each configuration once, in turn (:func:`_timing.round_robin`,
one untimed one-epoch warm-up each); the repeat's index is the seed of the
data, the split and the initialization, so that the fits of one repeat are
paired. ``cost.csv`` has one row per set-up and configuration: medians, the
ratio of medians and the median (and quartiles) of the per-repeat ratios to
equal weighting, epochs and seconds per epoch (an early-stopped fit may stop
at another epoch than equal's), the target and whether the paired median
meets it, and the machine's load average before and after.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from _options import pick
from _registry import SETUPS, resolve
from _scoring import checked_as_named
from _timing import load_average, medians, ratios, round_robin, table
from threadpoolctl import threadpool_limits

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks

REFERENCE, DEFAULT = "equal", "hydalearn"
#: Highest paired median ratio of fit times to equal weighting's, by kind of set-up.
TARGETS = {"generated": 1.2, "real": 1.3}
GENERATED_FIT = {"hidden_layer_sizes": (128, 128), "batch_size": 256, "max_iter": 30,
                 "early_stopping": False}
#: The suite's real set-ups: short name -> the registry's set-up.
REAL_SETUPS = {"lending": "real: Lending Club, rate and grade as aux",
               "support2": "real: SUPPORT2, later outcomes as aux"}
#: Generated set-ups: name -> auxiliary tasks. The target holds for three tasks; with nine
#: the suite shows how the cost grows with the number of tasks (no target).
GENERATED_SETUPS = {"generated": ("related", "noise"), "nine tasks": ("related", "noise") * 4}
SETUP_NAMES = (*GENERATED_SETUPS, *REAL_SETUPS)
COLUMNS = ["setup", "name", "configuration", "repeats", "wall_median_s", "wall_min_s",
           "cpu_median_s", "wall_ratio", "cpu_ratio", "paired_wall_ratio_median",
           "paired_wall_ratio_q25", "paired_wall_ratio_q75", "epochs_median",
           "seconds_per_epoch_median", "epoch_ratio", "target", "meets_target", "rows",
           "n_tasks", "threads", "load_average_start", "load_average_end", "set_up"]
SHOWN = ["setup", "name", "wall_median_s", "wall_ratio", "paired_wall_ratio_median",
         "epochs_median", "epoch_ratio", "target", "meets_target"]


@dataclass
class CostSetup:
    """The data of every repeat and how every configuration is fitted on it.

    Attributes
    ----------
    name : str
        One of :data:`SETUP_NAMES`.
    fit : dict
        Keyword arguments of ``HydaMultiTaskClassifier`` (but the weighting and seed).
    data : list of (ndarray, ndarray)
        ``(X, y)`` to fit in every repeat; column 0 of ``y`` is the main target.
    target : float or None
        The highest paired median ratio to equal weighting that meets the cost
        target (None: no target, the set-up is shown for the growth of the cost).
    description : str
        One line: data, tasks, network, epochs.
    """

    name: str
    fit: dict
    data: list
    target: float
    description: str


def _add_arguments(parser):
    parser.add_argument("--configs", nargs="+", default=[], metavar="NAME",
                        help="configurations to time besides equal and hydalearn: registry "
                             "names, 'static:w0,w1,...' or 'hydalearn:key=value,...'")


def run_cost(options):
    """What HydaLearn's default costs against equal weighting: fit time side by side on generated, Lending Club and SUPPORT2 data."""
    threads = pick(options, "threads", 2)
    settings = {"repeats": pick(options, "repeats", 7, 2), "threads": threads,
                "configs": list(dict.fromkeys([REFERENCE, DEFAULT, *options.configs])),
                "setups": chosen_setups(options.setups),
                "generated_rows": pick(options, "rows", 8192, 2048),
                "real_rows": pick(options, "rows", None, 2000),
                "epochs": pick(options, "epochs", None, 5), "device": options.device}
    for name in settings["configs"]:
        resolve(name)  # an unknown name fails before any fit
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:  # the same thread budget for numpy's BLAS; convergence warnings at the epoch cap
        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = _time_setups(settings)
    finally:
        torch.set_num_threads(previous_threads)
    path = options.results / "cost.csv"
    frame.to_csv(path, index=False, float_format="%.4g")
    print(frame[SHOWN].to_string(index=False) if len(frame) else "no set-up was timed")
    print(f"ratios: to {REFERENCE} (paired: per repeat, same seed); written to {path}")
    return settings


run_cost.add_arguments = _add_arguments


def chosen_setups(prefixes):
    """The set-ups whose names start with one of ``prefixes`` (all without any)."""
    if not prefixes:
        return list(SETUP_NAMES)
    chosen = [name for name in SETUP_NAMES if any(name.startswith(p) for p in prefixes)]
    if not chosen:
        raise SystemExit(f"No set-up of the cost suite starts with {prefixes}; "
                         f"known: {list(SETUP_NAMES)}")
    return chosen


def _time_setups(settings):
    """Time every chosen set-up in turn; one frame of rows (set-ups that cannot load: none)."""
    frames, skipped = [], []
    for name in settings["setups"]:
        try:
            setup = load_setup(name, settings["repeats"], settings["generated_rows"],
                               settings["real_rows"], settings["epochs"])
        except ImportError as error:  # the real data need optional extras
            print(f"{name}: skipped ({error})")
            skipped.append(name)
            continue
        print(f"{name}: {setup.description}", flush=True)
        frames.append(time_setup(setup, settings["configs"], settings["repeats"],
                                 settings["threads"], settings["device"]))
    settings["skipped"] = skipped
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def load_setup(name, repeats, generated_rows, real_rows, epochs=None):
    """The :class:`CostSetup` of a name, its data drawn for every repeat.

    Parameters
    ----------
    name : str
        One of :data:`SETUP_NAMES`.
    repeats : int
        Repeat ``k`` draws its data (and split) with seed ``k``.
    generated_rows : int
        Rows of generated data.
    real_rows : int or None
        A cap on the training rows of real data (None: all).
    epochs : int, optional
        The most epochs of a fit (default: the set-up's).
    """
    cap = {} if epochs is None else {"max_iter": epochs}
    if name in GENERATED_SETUPS:
        relations = GENERATED_SETUPS[name]
        fit = {**GENERATED_FIT, **cap}
        data = [make_auxiliary_tasks(n_samples=generated_rows, n_features=40,
                                     aux_relations=relations, random_state=repeat)[:2]
                for repeat in range(repeats)]
        text = (f"make_auxiliary_tasks {generated_rows} x 40 (related + noise"
                f"{'' if len(relations) == 2 else f', {len(relations) // 2} times'})")
        target = TARGETS["generated"] if len(relations) == 2 else None
    else:
        registered = SETUPS[REAL_SETUPS[name]]
        fit = {**registered.fit, **cap}
        splits = [registered.load(repeat, max_rows=real_rows) for repeat in range(repeats)]
        data = [(split.X_train, split.y_train) for split in splits]
        text = f"{registered.name}, {len(data[0][0])} training rows"
        target = TARGETS["real"]
    return CostSetup(name, fit, data, target, f"{text}, {data[0][1].shape[1]} tasks, "
                                              f"{_network_text(fit)}")


def _network_text(fit):
    """"MLP 2 x 128, batch 256, max_iter 30, no early stopping"."""
    layers = fit["hidden_layer_sizes"]
    trunk = (f"{len(layers)} x {layers[0]}" if len(set(layers)) == 1
             else " x ".join(map(str, layers)))
    stopping = (f"early stopping (patience {fit.get('n_iter_no_change', 10)})"
                if fit.get("early_stopping") else "no early stopping")
    return f"MLP {trunk}, batch {fit['batch_size']}, max_iter {fit['max_iter']}, {stopping}"


def fit_once(setup, name, repeat, device="cpu", max_iter=None):
    """Fit one configuration on a repeat's data; its epochs and its weighting's repr."""
    X, y = setup.data[repeat]
    weighting = resolve(name)
    if isinstance(weighting, str) and weighting == "single":  # the main target alone
        weighting, y = "equal", y[:, 0]
    fit = setup.fit if max_iter is None else {**setup.fit, "max_iter": max_iter}
    model = checked_as_named(HydaMultiTaskClassifier(weighting=weighting, random_state=repeat,
                                                     device=device, **fit), name, repeat)
    fitted = getattr(model.fit(X, y), "best_estimator_", model)
    return {"epochs": fitted.n_iter_, "configuration": repr(fitted.weighting_)}


def time_setup(setup, names, repeats, threads, device="cpu"):
    """Time the configurations on one set-up, round robin; a frame of :data:`COLUMNS`."""
    runs = {name: (lambda repeat, name=name: fit_once(setup, name, repeat, device))
            for name in names}
    warm_up = {name: (lambda name=name: fit_once(setup, name, 0, device, max_iter=1))
               for name in names}
    load_start = load_average()
    timings = round_robin(runs, repeats, warm_up=warm_up)
    load_end = load_average()
    frame = pd.DataFrame(cost_rows(timings, setup.target))
    frame["setup"], frame["rows"] = setup.name, len(setup.data[0][0])
    frame["n_tasks"], frame["threads"] = setup.data[0][1].shape[1], threads
    frame["load_average_start"], frame["load_average_end"] = load_start, load_end
    frame["set_up"] = f"{setup.description}, {threads} threads, {device}"
    return frame[COLUMNS]


def cost_rows(timings, target, reference=REFERENCE):
    """One row per configuration: medians, ratios to the reference, paired ratios, verdict.

    Parameters
    ----------
    timings : _timing.Timings
        Of :func:`time_setup`: every run returned ``{"epochs": ..., "configuration": ...}``;
        the reference ran in every repeat.
    target : float
        The highest paired median ratio that meets the target.
    reference : str, default="equal"

    Returns
    -------
    list of dict
        The timing columns of :data:`COLUMNS`; ``target`` and ``meets_target``
        are None for the reference.
    """
    epochs = {name: [run["epochs"] for run in runs] for name, runs in timings.returned.items()}
    per_epoch = {name: [wall / n for wall, n in zip(timings.wall[name], epochs[name])]
                 for name in timings.wall}
    epoch = medians(per_epoch)  # of whole fits divided by their epochs (fits may stop early)
    epoch_ratio = ratios(epoch, reference)
    rows = []
    for timed in table(timings, reference):
        name = timed["name"]
        q25, median, q75 = paired_ratio_quartiles(timings.wall[name], timings.wall[reference])
        is_reference = name == reference
        rows.append({
            **{column: timed[column] for column in (
                "name", "repeats", "wall_median_s", "wall_min_s", "cpu_median_s",
                "wall_ratio", "cpu_ratio")},
            "configuration": timings.returned[name][0]["configuration"],
            "paired_wall_ratio_median": median,
            "paired_wall_ratio_q25": q25, "paired_wall_ratio_q75": q75,
            "epochs_median": float(np.median(epochs[name])),
            "seconds_per_epoch_median": epoch[name], "epoch_ratio": epoch_ratio[name],
            "target": None if is_reference else target,
            "meets_target": None if is_reference or target is None else bool(median <= target)})
    return rows


def paired_ratio_quartiles(walls, reference_walls):
    """25th percentile, median and 75th percentile of the per-repeat ratios ``wall / reference``.

    Parameters
    ----------
    walls, reference_walls : sequence of float
        Seconds of every repeat, in the order of the repeats (repeat ``k`` of
        both used the same seed).

    Returns
    -------
    tuple of float
    """
    paired = np.asarray(walls, dtype=float) / np.asarray(reference_walls, dtype=float)
    return tuple(float(v) for v in np.percentile(paired, [25, 50, 75]))
