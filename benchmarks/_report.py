"""Values and tables for the docs page ``docs/benchmark_results.rst``, from the CSV results.

The page's narrative is written by hand in ``docs/``; the numbers in it are
filled in at docs build time from ``benchmarks/results/`` by the docs
extension, through the two registries here:

* :data:`VALUES`: name -> ``function(results, *arguments)`` giving a short
  inline text (a number, a count, a list of numbers), shown by the role
  ``:bench:`name arguments```;
* :data:`TABLES`: name -> ``function(results, *arguments, **options)``
  giving rst lines (a table, a list, a literal block), shown by the
  directive ``.. bench-table:: name arguments``.

``results`` is a :class:`Results` (the folder, files read once). A file that
the value needs and the folder lacks raises :class:`MissingResults`, which
the extension shows as a placeholder. Comparisons between two methods are
*paired*: both were scored on the same test split of each seed, so the page
reports the mean and spread of the per-seed differences, and calls a
difference clear only when its mean is more than two standard errors away
from zero (with at least three seeds).
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from _scoring import cell as grid_cell
from _scoring import read_scores, setup_kind
from _scoring import verdict_against_better as grid_verdict

BASELINES = ("MLPClassifier", "HistGradientBoosting")
#: Lines of a speed script's output shown on the page (the whole file is in the repository).
OUTPUT_TAIL = 25
#: The variants of the HydaLearn grid shown by default: the package default, the default
#: without the warm-up, without the hold and the shared auxiliary weight either, the paper's
#: rule, and the paper's rule on held-out gains; ``run.py grid --table`` prints every variant.
GRID_VARIANTS = ("hydalearn", "hydalearn:gain_every=2", "hydalearn:warm_up=0",
                 "hydalearn:main_evidence=None,keep_auxiliary_share=False,warm_up=0",
                 "hydalearn-paper", "heldout")
GRID_BASELINES = ("single-task", "equal")


class MissingResults(LookupError):
    """A results file that a value or table needs is not in the results folder."""


class Results:
    """The files of a results folder, each read on first use.

    Parameters
    ----------
    folder : Path
    """

    def __init__(self, folder):
        self.folder = Path(folder)

    def path(self, name):
        """The path of a results file; :class:`MissingResults` if it is not there."""
        path = self.folder / name
        if not path.is_file():
            raise MissingResults(name)
        return path

    def csv(self, name):
        return pd.read_csv(self.path(name))

    def info(self, suite):
        """The run information of a suite (``run_info_<suite>.json``)."""
        return json.loads(self.path(f"run_info_{suite}.json").read_text())

    @cached_property
    def runs(self):
        """``accuracy_runs.csv``, with ``error`` "" where a fit succeeded."""
        runs = pd.read_csv(self.path("accuracy_runs.csv"), keep_default_na=False,
                           na_values=[""])
        runs["error"] = runs["error"].fillna("")
        return runs

    @cached_property
    def tasks(self):
        """The accuracy tasks in the order they were run."""
        return list(dict.fromkeys(self.runs["task"]))

    @cached_property
    def titles(self):
        from _registry import DATASETS  # only for the titles; importing it loads the package

        return {name: DATASETS[name].title if name in DATASETS else name for name in self.tasks}

    @cached_property
    def grid(self):
        """``grid.csv``: set-up -> variant -> scores by seed (recorded names renamed)."""
        from _registry import RENAMED

        return read_scores(self.path("grid.csv"), RENAMED)

    @cached_property
    def main_job(self):
        """``main_job.csv``: the main job's scenarios -> variant -> scores by seed."""
        from _registry import RENAMED

        return read_scores(self.path("main_job.csv"), RENAMED)


# ----------------------------------------------------------------- statistics
def paired(runs, task, method, reference, metric="test_roc_auc"):
    """Per-seed differences ``method - reference`` of ``metric`` on one task."""
    part = runs[(runs["task"] == task) & (runs["error"] == "")]
    table = part.pivot_table(index="seed", columns="method", values=metric)
    if method not in table or reference not in table:
        return np.array([])
    return (table[method] - table[reference]).dropna().to_numpy()


def verdict(differences, better="better", worse="worse"):
    """'better', 'worse', 'no clear difference' or 'too few seeds to tell'."""
    n = len(differences)
    if n < 3:
        return "too few seeds to tell"
    sem = differences.std(ddof=1) / np.sqrt(n)
    if differences.mean() - 2 * sem > 0:
        return better
    if differences.mean() + 2 * sem < 0:
        return worse
    return "no clear difference"


def describe(differences):
    """``+0.012 +- 0.004 (4 of 5 seeds higher)``."""
    if len(differences) == 0:
        return "n/a"
    spread = differences.std(ddof=1) if len(differences) > 1 else 0.0
    wins = int((differences > 0).sum())
    return f"{differences.mean():+.4f} ± {spread:.4f} ({wins} of {len(differences)} seeds higher)"


def mean_auc(runs, task, method):
    part = runs[(runs["task"] == task) & (runs["method"] == method) & (runs["error"] == "")]
    return part["test_roc_auc"].mean() if len(part) else np.nan


def _best(runs, task, methods=None):
    part = runs[(runs["task"] == task) & (runs["error"] == "")]
    if methods is not None:
        part = part[part["method"].isin(methods)]
    means = part.groupby("method")["test_roc_auc"].mean()
    return (means.idxmax(), means.max()) if len(means) else (None, np.nan)


def _hydalearn_methods(runs):
    return [m for m in dict.fromkeys(runs["method"]) if m.startswith("hydalearn")]


def gain_data(method, info):
    """The data HydaLearn's gains were measured on: "batch", "heldout" or "unknown"."""
    if method.startswith("hydalearn-"):
        return method.removeprefix("hydalearn-")
    defaults = (info or {}).get("hydalearn_defaults", {})
    value = defaults.get("gain_data", "unknown")
    if value == "auto":  # held-out, except for the representation approximation
        return "batch" if defaults.get("approximation") == "representation" else "heldout"
    return value


def _between(value, a, b):
    return min(a, b) <= value <= max(a, b)


def _std(values):
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


# --------------------------------------------------------------------- values
def run_description(results, part):
    """Mode, size, machine, versions, date and duration of a suite's run."""
    info = results.info(part)
    s = info["settings"]
    if part == "accuracy":
        seeds = sorted(set(results.runs["seed"]))
        what = (f"{len(seeds)} seeds, {s['budget']} candidate configurations per method, "
                + ("all rows" if s["max_rows"] is None else
                   f"a stratified subsample of {s['max_rows']} rows per task")
                + f", at most {s['max_iter']} epochs, {s['jobs']} fit(s) at a time")
    elif part == "scaling":
        what = (f"{s['repeats']} repeats, rows up to {max(s['rows_grid']):.0e}, "
                f"{s['speed_threads']} thread(s) per fit")
    else:
        what = ", ".join(f"{k.replace('_', ' ')} {s[k]}" for k in ("repeats", "threads", "seeds")
                         if s.get(k) is not None)
    duration = (f"{info['wall_time_s'] / 60:.0f} min" if info.get("complete", True)
                else "stopped by a time limit before the end: partial results")
    modified = (f"; uncommitted changes to the package at {info.get('git_commit', '?')}"
                if info.get("package_modified") else "")
    return (f"{info['mode']} mode ({what}); {info['machine']}, {info['cpu_count']} cores "
            f"shared with other work, Python {info['python']}, torch {info['torch']}, "
            f"scikit-learn {info['sklearn']}, hydasklearn {info['hydasklearn']}; "
            f"{info['date']}, {duration}{modified}")


def clearly_better(results, method, reference):
    """On how many tasks ``method`` was clearly better than ``reference``: "1 of 4"."""
    runs = results.runs
    count = sum(verdict(paired(runs, task, method, reference)) == "better"
                for task in results.tasks)
    return f"{count} of {len(results.tasks)}"


def hydalearn_defaults(results, current=None):
    """HydaLearn's default options at the time of the accuracy run, and how today's differ.

    Both are keyword options (the terms of the grid's labels); ``current``
    defaults to today's (:func:`_registry.hydalearn_default_options`).
    """
    defaults = results.info("accuracy").get("hydalearn_defaults")
    if not defaults:
        return "(not recorded with this run)"
    text = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
    if current is None:
        from _registry import hydalearn_default_options

        current = hydalearn_default_options()
    changes = [f"{k}={v!r}" + (" (new option)" if k not in defaults else "")
               for k, v in current.items() if k not in defaults or defaults[k] != v]
    if not changes:
        return text + " (the current defaults)"
    return text + "; the current defaults differ: " + ", ".join(changes)


def setting(results, part, name):
    """One setting of a part's run, e.g. the accuracy part's ``budget``."""
    return str(results.info(part)["settings"][name])


def auc(results, task, method):
    """Mean test ROC AUC of a method on a task."""
    return f"{mean_auc(results.runs, task, method):.4f}"


def best_method(results, task):
    """The method with the best mean test ROC AUC on a task, and that AUC."""
    best, value = _best(results.runs, task)
    return f"{best} ({value:.4f})"


def harmful_shares(results):
    """On the generated task: each HydaLearn method's mean weight of the harmful tasks,
    as a share of the related task's."""
    weights = results.csv("weight_means.csv")
    generated = weights[weights["task"] == "generated"].set_index(["method", "target"])
    parts = []
    for method in dict.fromkeys(generated.index.get_level_values(0)):
        mean = generated.loc[method, "mean_weight"]
        if {"related", "noise", "conflicting"} <= set(mean.index) and mean["related"] > 0:
            parts.append(f"{method}: noise {mean['noise'] / mean['related']:.0%}, "
                         f"conflicting {mean['conflicting'] / mean['related']:.0%}")
    return "; ".join(parts) or "n/a"


def main_weight(results, method):
    """The main task's mean weight per task under one method: "generated 3.32, ..."."""
    weights = results.csv("weight_means.csv")
    main = weights[weights["is_main"] & (weights["method"] == method)]
    return ", ".join(f"{r.task} {r.mean_weight:.2f}" for r in main.itertuples()) or "n/a"


def task_count(results, method):
    """The number of tasks (main + auxiliary) per accuracy task: "generated 4, ..."."""
    weights = results.csv("weight_means.csv")
    sizes = weights[weights["method"] == method].groupby("task", sort=False).size()
    return ", ".join(f"{task} {n}" for task, n in sizes.items()) or "n/a"


def between_baselines(results, method):
    """On how many tasks a method's mean AUC lay between single-task and equal weighting."""
    runs = results.runs
    inside = [task for task in results.tasks if _between(
        mean_auc(runs, task, method), mean_auc(runs, task, "single-task"),
        mean_auc(runs, task, "equal"))]
    return f"{len(inside)} of {len(results.tasks)}" + (f" ({', '.join(inside)})" if inside else "")


def where_equal_helped(results, method, threshold="0.005"):
    """Where equal weighting beat single-task learning by more than ``threshold``:
    the method's gain over single-task learning against equal weighting's."""
    runs = results.runs
    parts = []
    for task in results.tasks:
        single = mean_auc(runs, task, "single-task")
        equal, own = mean_auc(runs, task, "equal") - single, mean_auc(runs, task, method) - single
        if equal > float(threshold):
            parts.append(f"{task} {own:+.4f} against {equal:+.4f}")
    return "; ".join(parts) or "no task"


def boosting_wins(results):
    """The tasks on which gradient boosting beat every network, with both AUCs."""
    runs = results.runs
    networks = [m for m in dict.fromkeys(runs["method"]) if m != "HistGradientBoosting"]
    parts = []
    for task in results.tasks:
        best_network, value = _best(runs, task, networks)
        boosting = mean_auc(runs, task, "HistGradientBoosting")
        if boosting > value:
            parts.append(f"{results.titles[task]} (boosting {boosting:.4f}, best network "
                         f"{best_network} {value:.4f})")
    return "; ".join(parts) or "no task"


def lending_winner(results):
    """Which use of the pricing columns gave the best model, with both AUCs."""
    _, as_aux = _best(results.runs, "lending_pricing_aux")
    _, as_features = _best(results.runs, "lending_pricing_features")
    winner = "as features" if as_features > as_aux else "as auxiliary targets"
    return (f"{winner} ({max(as_aux, as_features):.4f} against {min(as_aux, as_features):.4f} "
            "mean test ROC AUC)")


def grid_misses(results, variant):
    """The grid's set-ups where ``variant`` misses the bar, with its difference."""
    misses = []
    for setup, by_variant in results.grid.items():
        if variant in by_variant and all(b in by_variant for b in GRID_BASELINES):
            mean, error, met = grid_verdict(setup, by_variant[variant],
                                            by_variant["single-task"], by_variant["equal"])
            if not met:
                misses.append(f"{setup} ({mean:+.4f} ± {error:.4f})")
    return "; ".join(misses) or "none"


def grid_seeds(results, variant):
    """How many seeds the grid holds for ``variant``: "20", or "10 to 20" when set-ups differ."""
    counts = sorted({len(by_variant[variant]) for by_variant in results.grid.values()
                     if variant in by_variant})
    if not counts:
        return "none"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"


VALUES = {
    "run": run_description,
    "clearly-better": clearly_better,
    "hydalearn-defaults": hydalearn_defaults,
    "setting": setting,
    "auc": auc,
    "best": best_method,
    "harmful-shares": harmful_shares,
    "main-weight": main_weight,
    "task-count": task_count,
    "between-baselines": between_baselines,
    "where-equal-helped": where_equal_helped,
    "boosting-wins": boosting_wins,
    "lending-winner": lending_winner,
    "grid-misses": grid_misses,
    "grid-seeds": grid_seeds,
}


# --------------------------------------------------------------------- tables
def glance_table(results):
    """One row per task: mean test ROC AUC of the key methods and the best other strategy."""
    runs = results.runs
    key = ["single-task", "equal", *_hydalearn_methods(runs), *BASELINES]
    others = [m for m in dict.fromkeys(runs["method"]) if m not in key]
    rows = []
    for task in results.tasks:
        best_other, value = _best(runs, task, others)
        rows.append([results.titles[task], *(f"{mean_auc(runs, task, m):.4f}" for m in key),
                     f"{value:.4f} ({best_other})"])
    return csv_table("Mean test ROC AUC of the main task", ["task", *key, "best other strategy"],
                     rows)


def task_table(results, task):
    """Every method on one task: ROC AUC, log loss, fit time, paired difference to single-task."""
    runs = results.runs
    part = runs[(runs["task"] == task) & (runs["error"] == "")]
    best, _ = _best(runs, task)
    rows = []
    for method, group in part.groupby("method", sort=False):
        rows.append([f"**{method}**" if method == best else method,
                     f"{group['test_roc_auc'].mean():.4f} ± {_std(group['test_roc_auc']):.4f}",
                     f"{group['test_log_loss'].mean():.4f} ± {_std(group['test_log_loss']):.4f}",
                     f"{group['fit_time'].mean():.1f}",
                     "" if method == "single-task" else
                     describe(paired(runs, task, method, "single-task"))])
    return csv_table(results.titles[task], ["method", "ROC AUC", "log loss", "fit time (s)",
                                            "vs single-task"], rows)


def failures_list(results):
    """The fits that failed (nothing when none did)."""
    errors = results.runs[results.runs["error"] != ""]
    if not len(errors):
        return []
    return ["Methods that failed (left out of the tables):", ""] + [
        f"* {r.method} on {r.task}, seed {r.seed}: ``{r.error}``" for r in errors.itertuples()]


def lending_table(results):
    """The two Lending Club set-ups side by side."""
    runs = results.runs
    methods = ["single-task", "hydalearn", "equal", "HistGradientBoosting"]
    rows = []
    for task, label in (("lending_pricing_aux", "as auxiliary targets"),
                        ("lending_pricing_features", "as features")):
        best, value = _best(runs, task)
        rows.append([f"pricing {label}", *(f"{mean_auc(runs, task, m):.4f}" for m in methods),
                     f"{best} {value:.4f}"])
    return csv_table("Mean test ROC AUC, Lending Club", ["set-up", *methods, "best"], rows)


def paired_table(results, task, reference="single-task"):
    """Every multi-task strategy's paired difference to ``reference`` on one task, with verdicts."""
    runs = results.runs
    strategies = [m for m in dict.fromkeys(runs["method"])
                  if m not in ("single-task", reference, *BASELINES)]
    rows = []
    for method in strategies:
        d = paired(runs, task, method, reference)
        rows.append([method, describe(d), verdict(d)])
    return csv_table(f"Paired differences in test ROC AUC against {reference}",
                     ["method", "difference", "verdict"], rows)


def weights_table(results):
    """Mean task weights of HydaLearn on the first seed, and how often a task got weight 0."""
    weights = results.csv("weight_means.csv")
    rows = [[r.task, r.method, r.target + (" (main)" if r.is_main else ""),
             f"{r.mean_weight:.3f}", f"{r.share_zero:.0%}"] for r in weights.itertuples()]
    return csv_table("Mean task weights (first seed)",
                     ["task", "method", "target", "mean weight", "weight 0"], rows)


def verdicts_table(results):
    """Every HydaLearn method on every task against single-task learning and equal weighting."""
    runs = results.runs
    rows = []
    for task in results.tasks:
        best, value = _best(runs, task)
        for method in _hydalearn_methods(runs):
            vs_single = paired(runs, task, method, "single-task")
            vs_equal = paired(runs, task, method, "equal")
            rows.append([results.titles[task], method, describe(vs_single), verdict(vs_single),
                         describe(vs_equal), verdict(vs_equal), f"{best} ({value:.4f})"])
    return csv_table("HydaLearn against single-task learning and equal weighting",
                     ["task", "method", "vs single-task", "verdict", "vs equal", "verdict",
                      "best method"], rows)


#: The outputs of the speed scripts that the speed suite replaced, shown while a results folder
#: holds them and not the suite's table.
RECORDED_SPEED = {"backend": ["speed_bench_backend.txt"],
                  "strategies": ["speed_bench_strategies.txt", "speed_bench_hydalearn.txt"]}


def speed_table(results, part):
    """The speed suite's ``speed_<part>.csv`` ("backend" or "strategies") as a table.

    Medians of the wall and CPU times of the fits, of the epochs, and their
    ratios to the reference (``hydasklearn``, or equal weighting). A folder
    recorded before the suite existed has the speed scripts' outputs instead:
    their last lines are shown as they are.
    """
    path = results.folder / f"speed_{part}.csv"
    if not path.is_file():
        return _recorded_speed(results, part)
    frame = results.csv(path.name)
    reference = "hydasklearn" if part == "backend" else "equal"
    rows = [[r.name, f"{r.wall_median_s:.3f}", f"{r.cpu_median_s:.3f}",
             "-" if r.epoch_median_s != r.epoch_median_s else f"{r.epoch_median_s:.4f}",
             f"{r.wall_ratio:.2f}",
             "-" if r.epoch_ratio != r.epoch_ratio else f"{r.epoch_ratio:.2f}",
             "" if "target" not in frame or r.target != r.target else f"<= {r.target}"]
            for r in frame.itertuples()]
    device = ", ".join(sorted(set(frame["device"]))) if "device" in frame else "cpu"
    return csv_table(f"Median times ({int(frame['rows'].iloc[0])} rows, device {device}); "
                     f"ratios to {reference}",
                     ["contender", "fit (s)", "fit CPU (s)", "epoch (s)", "fit ratio",
                      "epoch ratio", "target"], rows)


def _recorded_speed(results, part):
    lines = []
    for name in RECORDED_SPEED[part]:
        path = results.folder / name
        if path.is_file():
            text = path.read_text().strip().splitlines()[-OUTPUT_TAIL:]
            lines += [f"``results/{name}`` (recorded by the script the speed suite replaced):",
                      "", "::", ""] + [f"    {line}" for line in text] + [""]
    if not lines:
        raise MissingResults(f"speed_{part}.csv")
    return lines


def scaling_rows_table(results):
    """Fit time (s) against the number of rows, one column per method."""
    wide = results.csv("scaling_rows.csv").pivot(index="n_rows", columns="method",
                                                  values="fit_time")
    return csv_table("Fit time (s) against rows", ["rows", *wide.columns],
                     [[f"{n:,}", *(f"{v:.2f}" for v in row)] for n, row in wide.iterrows()])


def scaling_tasks_table(results):
    """Fit time against the number of auxiliary tasks: seconds and ratio to equal weighting."""
    tasks = results.csv("scaling_tasks.csv")
    ratio = tasks.pivot(index="n_aux", columns="method", values="ratio_to_equal")
    seconds = tasks.pivot(index="n_aux", columns="method", values="fit_time")
    return csv_table("Fit time against auxiliary tasks: seconds (ratio to equal weighting)",
                     ["aux tasks", *ratio.columns],
                     [[str(n), *(f"{s:.2f} ({r:.1f}x)" for s, r in
                                 zip(seconds.loc[n], ratio.loc[n]))] for n in ratio.index])


def grid_table(results, *labels):
    """The HydaLearn grid: per set-up, each variant's paired difference to the better baseline.

    Mean ± standard error over the seeds of the per-seed difference to the
    better (higher mean) of single-task learning and equal weighting; ``*``
    marks the bar: at least minus one standard error, and on 'mixed'
    set-ups also at least +0.003 above both baselines.

    Parameters
    ----------
    results : Results
    *labels : str
        Variant names, one per argument (a label may hold commas). Default:
        :data:`GRID_VARIANTS`; those not in ``grid.csv`` are left out.
    """
    return _paired_variants_table(results.grid, labels or GRID_VARIANTS, "HydaLearn variants")


def main_job_table(results, *labels):
    """The main job's scenarios (``main_job.csv``), as :func:`grid_table` shows the grid's.

    Parameters
    ----------
    results : Results
    *labels : str
        Variant names, one per argument; default: every variant of the file.
    """
    scores = results.main_job
    every = dict.fromkeys(v for by_variant in scores.values() for v in by_variant
                          if v not in GRID_BASELINES)
    return _paired_variants_table(scores, labels or list(every), "The main job's scenarios")


def _paired_variants_table(scores, wanted, subject):
    """Per set-up of ``scores``, each wanted variant's cell (see :func:`grid_table`)."""
    shown = [v for v in wanted if any(v in by_variant for by_variant in scores.values())]
    kinds = ["help", "hurt", "mixed"]  # a set-up's kind leads its name: "hurt: 3 noise, ..."
    order = sorted(scores, key=lambda setup: kinds.index(setup_kind(setup))
                   if setup_kind(setup) in kinds else len(kinds))
    rows = []
    for setup, by_variant in ((setup, scores[setup]) for setup in order):
        if not all(b in by_variant for b in GRID_BASELINES):
            continue
        single, equal = by_variant["single-task"], by_variant["equal"]
        better = "single-task" if single.mean() >= equal.mean() else "equal"
        row = [setup, f"{better} ({single.mean():.4f} / {equal.mean():.4f})"]
        for variant in shown:
            row.append(grid_cell(setup, by_variant[variant], single, equal)
                       if variant in by_variant else "-")
        rows.append(row)
    return csv_table(f"{subject} against the better of single-task learning and equal "
                     "weighting (mean ± standard error; * the bar met)",
                     ["set-up", "better baseline (single-task / equal AUC)", *shown], rows)


def evidence_table(results):
    """The default's whole-fit gain z-scores of auxiliary tasks, per set-up and relation.

    From ``evidence.csv`` (the evidence suite): quartiles and range of the
    z-scores over the tasks and seeds, and the share of them switched off.
    """
    from _evidence_suite import summary

    frame = results.csv("evidence.csv")
    rows = [[setup, relation, row.kind, str(row.tasks),
             f"{row.z_q25:+.1f} / {row.z_median:+.1f} / {row.z_q75:+.1f}",
             f"{row.z_min:+.1f} to {row.z_max:+.1f}", f"{row.switched_off:.0%}"]
            for (setup, relation), row in summary(frame).iterrows()]
    seeds = frame["seed"].nunique()
    return csv_table(f"Gain z-scores of the default's auxiliary tasks ({seeds} seeds)",
                     ["set-up", "relation", "kind", "tasks", "z: quartiles", "z: range",
                      "switched off"], rows)


def categorical_table(results):
    """Embedded categorical columns against a one-hot pipeline: ROC AUC and fit time."""
    table = results.csv("categorical.csv")
    rows = [[row.encoding, row.weighting,
             f"{row.roc_auc_median:.4f} ({row.roc_auc_min:.4f} to {row.roc_auc_max:.4f})",
             "-" if row.encoding == "one-hot"
             else f"{row.auc_minus_one_hot_mean:+.4f} ± {row.auc_minus_one_hot_se:.4f}",
             f"{row.fit_s_median:.2f}", f"{row.cpu_s_median:.2f}", str(row.trunk_inputs)]
            for row in table.itertuples()]
    return csv_table(f"Lending Club, {int(table.runs.max())} seeds: medians over seeds, "
                     "paired difference as mean ± standard error",
                     ["encoding", "weighting", "ROC AUC (min to max)", "AUC - one-hot",
                      "fit s (wall)", "fit s (CPU)", "trunk inputs"], rows)


def cost_table(results):
    """The cost suite's ``cost.csv``: each configuration's fit time against equal weighting's.

    Per set-up and configuration: repeats, the median fit time, the ratio of
    the medians, the median of the per-repeat (paired) ratios with their
    quartiles, the ratio of the median times per epoch, the target and
    whether the paired median meets it.
    """
    table = results.csv("cost.csv")
    rows = [[row.setup, row.name, str(int(row.repeats)), f"{row.wall_median_s:.2f}",
             _times(row.wall_ratio),
             (f"{_times(row.paired_wall_ratio_median)} ({_times(row.paired_wall_ratio_q25)} "
              f"to {_times(row.paired_wall_ratio_q75)})"), _times(row.epoch_ratio),
             "-" if pd.isna(row.target) else f"<= {row.target}x",
             "-" if pd.isna(row.target) else _met(row.meets_target)]
            for row in table.itertuples()]
    return csv_table(f"Fit time against equal weighting, side by side ({int(table.threads.max())} "
                     "threads); paired: per repeat, on the same data and initialization",
                     ["set-up", "configuration", "repeats", "median fit s", "ratio of medians",
                      "paired ratio, median (q25 to q75)", "epoch ratio", "target", "met?"],
                     rows)


def _times(ratio):
    """A ratio as "1.23x" ("-" where it is missing)."""
    return "-" if pd.isna(ratio) else f"{ratio:.2f}x"


def _met(value):
    """"yes" or "no" for a verdict read from a CSV (a bool, or its text)."""
    return "yes" if str(value).strip().lower() in ("true", "1", "1.0") else "no"


def cost_candidates_table(results):
    """HydaLearn's fit time against equal weighting's, for candidate measurement rates."""
    table = results.csv("cost_candidates.csv")
    runs = table.groupby("name", sort=False)
    rows = [[name, ", ".join(str(int(n)) for n in group.repeats),
             ", ".join(f"{v:.2f}" for v in group.wall_median_s),
             ", ".join(f"{v:.2f}x" for v in group.wall_ratio),
             ", ".join(f"{v:.2f}x" for v in group.paired_wall_ratio_median)]
            for name, group in runs]
    return csv_table(f"{table.set_up.iloc[0]}; one column entry per run",
                     ["configuration", "repeats per run", "median fit s", "ratio of medians",
                      "paired ratio (median)"], rows)


TABLES = {
    "glance": glance_table,
    "categorical": categorical_table,
    "cost": cost_table,
    "cost-candidates": cost_candidates_table,
    "task": task_table,
    "failures": failures_list,
    "lending": lending_table,
    "paired": paired_table,
    "weights": weights_table,
    "verdicts": verdicts_table,
    "speed": speed_table,
    "scaling-rows": scaling_rows_table,
    "scaling-tasks": scaling_tasks_table,
    "grid": grid_table,
    "main-job": main_job_table,
    "evidence": evidence_table,
}


def csv_table(title, header, rows):
    """An rst csv-table, as a list of lines (one line per row, readable in the source too)."""
    def line(cells):
        return ", ".join('"' + str(cell).replace('"', '""') + '"' for cell in cells)
    return [f".. csv-table:: {title}", f"   :header: {line(header)}", "",
            *(f"   {line(row)}" for row in rows)]
