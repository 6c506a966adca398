"""Write the docs page ``benchmark_results.rst`` from the CSV results.

Every number and every verdict on the page is computed from the files in
``benchmarks/results/``, so that a rerun keeps the text true. Comparisons
between two methods are *paired*: both were scored on the same test split of
each seed, so the page reports the mean and spread of the per-seed
differences, and calls a difference clear only when its mean is more than two
standard errors away from zero (with at least three seeds).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from _tasks import TASKS

FIGURES = ("accuracy.png", "weight_trajectories.png", "scaling_rows.png", "scaling_tasks.png")
STATIC = "_static/benchmarks"
BASELINES = ("MLPClassifier", "HistGradientBoosting")


def write_page(results, page, figures_dir):
    """Copy the figures to ``figures_dir`` and write the page from ``results``."""
    results, page, figures_dir = Path(results), Path(page), Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    for name in FIGURES:
        if (results / name).exists():
            shutil.copy(results / name, figures_dir / name)
    runs = None
    if (results / "accuracy_runs.csv").exists():
        runs = pd.read_csv(results / "accuracy_runs.csv", keep_default_na=False,
                           na_values=[""])
        runs["error"] = runs["error"].fillna("")
    sections = [_header(results, runs)]
    if runs is not None:
        weights = _read(results / "weight_means.csv")
        sections += [_glance(runs), _setup(results), _results(runs), _lending(runs),
                     _support2(runs),
                     _weights(weights, results), _limits(runs, weights, results)]
    if (results / "scaling_rows.csv").exists():
        sections.append(_speed(results))
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n\n".join(s.strip("\n") for s in sections if s) + "\n")


def _read(path):
    return pd.read_csv(path) if Path(path).exists() else pd.DataFrame()


def _info(results, part):
    path = Path(results) / f"run_info_{part}.json"
    return json.loads(path.read_text()) if path.exists() else None


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


# ------------------------------------------------------------------- sections
def _header(results, runs):
    lines = ["Benchmark results", "=================", "",
             "Does HydaLearn help, and by how much? This page reports the numbers of "
             "``benchmarks/run.py`` on generated data and on two real domains of the "
             "HydaLearn paper: loan default (Lending Club) and hospital mortality (SUPPORT2). "
             "The runner writes this page from its CSV files in ``benchmarks/results/``; "
             "every figure and verdict below is computed, nothing is typed in by hand.", ""]
    for part in ("accuracy", "speed"):
        info = _info(results, part)
        if info is None:
            continue
        s = info["settings"]
        seeds = s["seeds"] if runs is None else sorted(set(runs["seed"]))
        what = (f"{len(seeds)} seeds, {s['budget']} candidate configurations per method, "
                + ("all rows" if s["max_rows"] is None else
                   f"a stratified subsample of {s['max_rows']} rows per task")
                + f", at most {s['max_iter']} epochs, {s['jobs']} fit(s) at a time"
                ) if part == "accuracy" else (
                f"{s['repeats']} repeats, rows up to {max(s['rows_grid']):.0e}, "
                f"{s['speed_threads']} thread(s) per fit")
        lines += [f"* {part.capitalize()} part: **{info['mode']} mode** ({what}); "
                  f"{info['machine']}, {info['cpu_count']} cores shared with other work, "
                  f"Python {info['python']}, torch {info['torch']}, scikit-learn "
                  f"{info['sklearn']}, hydasklearn {info['hydasklearn']}; {info['date']}, "
                  + (f"{info['wall_time_s'] / 60:.0f} min." if info.get("complete", True) else
                     "**stopped by a time limit before the end: partial results**.")]
    for part in ("accuracy", "speed"):
        info = _info(results, part)
        if info and info.get("package_modified"):
            lines += [f"* The {part} part ran at commit {info.get('git_commit', '?')} with "
                      "uncommitted changes to the package."]
        if info and info.get("notes"):
            lines += [f"* Note on the {part} part: {info['notes']}"]
    accuracy = _info(results, "accuracy")
    if accuracy and accuracy["mode"] == "quick":
        lines += ["", ".. warning::", "",
                  "   These are quick-mode numbers: few seeds, subsampled data and a tiny "
                  "tuning budget. They show that the pipeline works and give a first "
                  "impression; differences smaller than a few hundredths of AUC are noise "
                  "here. Run the full mode for conclusions."]
    lines += ["", "Reproduce with::", "",
              "    pip install -e '.[benchmarks]'",
              "    python benchmarks/run.py --quick   # about 10 minutes on 2 cores",
              "    python benchmarks/run.py           # full mode"]
    return "\n".join(lines)


def _glance(runs):
    """One row per task: mean test ROC AUC of the key methods."""
    key = ["single-task", "equal", *_hydalearn_methods(runs), *BASELINES]
    others = [m for m in dict.fromkeys(runs["method"]) if m not in key]
    rows = []
    for name in dict.fromkeys(runs["task"]):
        best_other, value = _best(runs, name, others)
        rows.append([TASKS[name].title, *(f"{mean_auc(runs, name, m):.4f}" for m in key),
                     f"{value:.4f} ({best_other})"])
    tasks = list(dict.fromkeys(runs["task"]))
    counts = []
    for method in _hydalearn_methods(runs):
        clear = {ref: sum(verdict(paired(runs, name, method, ref)) == "better" for name in tasks)
                 for ref in ("single-task", "equal")}
        counts.append(f"``{method}`` was clearly better than single-task learning on "
                      f"{clear['single-task']} of {len(tasks)} tasks and than equal weighting "
                      f"on {clear['equal']}")
    return "\n".join([
        "At a glance", "-----------", "",
        _table("Mean test ROC AUC of the main task", ["task", *key, "best other strategy"],
               rows), "",
        "; ".join(counts) + " (paired differences over seeds; see the verdicts below)."])


def _setup(results):
    accuracy = _info(results, "accuracy") or {"settings": {"budget": "?"}}
    lines = ["Set-up", "------", "", "Tasks (column 0 of ``y`` is the main target):", ""]
    for task in TASKS.values():
        lines.append(f"* **{task.title}** (``{task.name}``): {task.description}")
    lines += ["", "Methods, all fitted on the same standardised features:", "",
              "* ``single-task``: a ``HydaMultiTaskClassifier`` fitted on the main target "
              "only;",
              "* one ``HydaMultiTaskClassifier`` per weighting strategy of "
              "``hydasklearn.weighting.STRATEGIES`` (as registered when the benchmark ran; "
              "strategy options at their defaults), fitted on every target;",
              "* ``hydalearn`` is HydaLearn with the package's defaults, "
              + (("at run time " + ", ".join(f"``{k}={v!r}``" for k, v in
                                              accuracy["hydalearn_defaults"].items()))
                 if accuracy.get("hydalearn_defaults") else "(not recorded with this run)")
              + "; ``hydalearn-paper`` is the paper's rule (gains of the current mini-batch, "
              "weights proportional to them, set anew on every step);",
              "* scikit-learn's ``MLPClassifier`` and ``HistGradientBoostingClassifier`` on "
              "the main target (what many users would pick instead).", "",
              "Protocol. For every task and seed, one stratified split into 60% training, 20% "
              "validation and 20% test rows is shared by all methods. Every method gets the "
              f"same budget: {accuracy['settings']['budget']} candidate configurations, the "
              "default one and random draws. The networks (ours and ``MLPClassifier``) draw "
              "the same candidates from hidden layers {64, 64x64, 128x128}, L2 penalty "
              "{1e-5 ... 1e-2} and learning rate {3e-4, 1e-3, 3e-3}, with batch size 200 and "
              "early stopping on 10% of the training rows (ours on the main-task loss, "
              "``MLPClassifier`` on accuracy, its only option); boosting draws from its "
              "learning rate, leaves, minimum leaf size and L2 penalty, with early stopping. "
              "The candidate with the best main-task ROC AUC on the validation rows is kept "
              "and scored once on the test rows, which choose nothing. Fit time is the fit "
              "of that candidate (seconds, one torch thread)."]
    return "\n".join(lines)


def _results(runs):
    lines = ["Results", "-------", "",
             f".. image:: {STATIC}/accuracy.png", "   :width: 100%",
             "   :alt: test ROC AUC of every method on every task", "",
             "Test ROC AUC of the main task: mean ± standard deviation over seeds (diamonds) "
             "and each seed (dots); HydaLearn in red, other strategies in blue, baselines in "
             "grey. In the tables, *vs single-task* is the paired difference in test ROC AUC "
             "(mean ± standard deviation over seeds, and in how many seeds it was higher).", ""]
    errors = runs[runs["error"] != ""]
    for name in dict.fromkeys(runs["task"]):
        task = TASKS[name]
        rows = []
        part = runs[(runs["task"] == name) & (runs["error"] == "")]
        best, _ = _best(runs, name)
        for method, group in part.groupby("method", sort=False):
            auc = f"{group['test_roc_auc'].mean():.4f} ± {_std(group['test_roc_auc']):.4f}"
            rows.append([f"**{method}**" if method == best else method, auc,
                         f"{group['test_log_loss'].mean():.4f} ± "
                         f"{_std(group['test_log_loss']):.4f}",
                         f"{group['fit_time'].mean():.1f}",
                         "" if method == "single-task" else
                         describe(paired(runs, name, method, "single-task"))])
        lines += [_table(task.title, ["method", "ROC AUC", "log loss", "fit time (s)",
                                      "vs single-task"], rows), ""]
    if len(errors):
        lines += ["Methods that failed (left out of the tables):", ""]
        lines += [f"* {r.method} on {r.task}, seed {r.seed}: ``{r.error}``"
                  for r in errors.itertuples()]
    return "\n".join(lines)


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


def _lending(runs):
    tasks = set(runs["task"])
    if not {"lending_pricing_aux", "lending_pricing_features"} <= tasks:
        return ""
    lines = ["Lending Club: auxiliary target or feature?",
             "------------------------------------------", "",
             "``int_rate`` and ``sub_grade`` are set by the lender when the loan is "
             "originated. A model that scores loans after pricing may use them as features; "
             "a model that helps set the price may not, and then they can still teach the "
             "network as auxiliary targets. The two set-ups give:", ""]
    for name, label in (("lending_pricing_aux", "as auxiliary targets"),
                        ("lending_pricing_features", "as features")):
        best, value = _best(runs, name)
        lines.append(f"* pricing {label}: single-task {mean_auc(runs, name, 'single-task'):.4f}"
                     f", HydaLearn {mean_auc(runs, name, 'hydalearn'):.4f}, equal weighting "
                     f"{mean_auc(runs, name, 'equal'):.4f}, gradient boosting "
                     f"{mean_auc(runs, name, 'HistGradientBoosting'):.4f}; best {best} "
                     f"{value:.4f}.")
    best_aux, value_aux = _best(runs, "lending_pricing_aux")
    best_feat, value_feat = _best(runs, "lending_pricing_features")
    winner = "as features" if value_feat > value_aux else "as auxiliary targets"
    lines += ["", f"The best model with the pricing columns **{winner}** wins "
              f"({max(value_aux, value_feat):.4f} against {min(value_aux, value_feat):.4f} "
              "mean test ROC AUC). Where the rate and grade are known at prediction time, "
              "use them as features first; the auxiliary-target set-up is for the case where "
              "they are not."]
    return "\n".join(lines)


def _support2(runs):
    if "support2" not in set(runs["task"]):
        return ""
    lines = ["Outcome-side columns as auxiliary targets (SUPPORT2)",
             "----------------------------------------------------", "",
             "Death by the end of follow-up, the days to death and the functional outcome "
             "at two months are known in historical records but not when the 30-day risk is "
             "needed: as features they would leak the outcome, as auxiliary targets they are "
             "legitimate. (The fourth auxiliary target, the day-3 physiology score, is a "
             "summary of the features, not an outcome.) Paired differences in test ROC AUC "
             "against single-task learning on the same features:", ""]
    strategies = [m for m in dict.fromkeys(runs["method"]) if m not in (
        "single-task", "MLPClassifier", "HistGradientBoosting")]
    for method in strategies:
        d = paired(runs, "support2", method, "single-task")
        lines.append(f"* {method}: {describe(d)}: {verdict(d)}.")
    return "\n".join(lines)


def _weights(weights, results):
    if weights.empty:
        return ""
    lines = ["HydaLearn's task weights", "------------------------", "",
             f".. image:: {STATIC}/weight_trajectories.png", "   :width: 100%",
             "   :alt: HydaLearn task weights per mini-batch", "",
             "Weights per mini-batch on the first seed (faint) and their moving average. "
             "Weights are normalised to sum to the number of tasks, so equal weighting is "
             "1 for every task. Mean weight and share of mini-batches in which the task got "
             "weight 0:", ""]
    rows = [[r.task, r.method, r.target + (" (main)" if r.is_main else ""),
             f"{r.mean_weight:.3f}", f"{r.share_zero:.0%}"] for r in weights.itertuples()]
    lines.append(_table("Mean task weights (first seed)",
                        ["task", "method", "target", "mean weight", "weight 0"], rows))
    generated = weights[weights["task"] == "generated"].set_index(["method", "target"])
    sentences = []
    for method in dict.fromkeys(generated.index.get_level_values(0)):
        mean = generated.loc[method, "mean_weight"]
        if {"related", "noise", "conflicting"} <= set(mean.index) and mean["related"] > 0:
            sentences.append(f"{method}: noise {mean['noise'] / mean['related']:.0%}, "
                             f"conflicting {mean['conflicting'] / mean['related']:.0%}")
    if sentences:
        lines += ["", "On the generated task, where the relevance of each auxiliary task is "
                  "known, the mean weight of the harmful tasks as a share of the related "
                  "task's: " + "; ".join(sentences) + ". The method promises that a task whose "
                  "step would not lower the main loss gets little or no weight; the smaller "
                  "these shares, the better it keeps that promise."]
    return "\n".join(lines)


def _limits(runs, weights, results):
    lines = ["Where HydaLearn does not help, and why", "--------------------------------------",
             ""]
    if "hydalearn" not in set(runs["method"]):
        return ""
    for name in dict.fromkeys(runs["task"]):
        parts = []
        for method in _hydalearn_methods(runs):
            vs_single = paired(runs, name, method, "single-task")
            vs_equal = paired(runs, name, method, "equal")
            parts.append(f"``{method}`` against single-task {describe(vs_single)}: "
                         f"{verdict(vs_single)}; against equal weighting {describe(vs_equal)}: "
                         f"{verdict(vs_equal)}")
        best, value = _best(runs, name)
        lines.append(f"* **{TASKS[name].title}**: " + ". ".join(parts)
                     + f". Best method: {best} ({value:.4f}).")
    lines += ["", "Reasons, with the numbers that support them:", ""]
    info = _info(results, "accuracy")
    by_data = {gain_data(m, info): m for m in _hydalearn_methods(runs)}
    main = weights[weights["is_main"]] if not weights.empty else pd.DataFrame()
    if "batch" in by_data and len(main):
        batch = by_data["batch"]
        n_tasks = weights[weights["method"] == batch].groupby("task", sort=False).size()
        shares = {data: ", ".join(f"{r.task} {r.mean_weight:.2f}" for r in
                                  main[main["method"] == m].itertuples())
                  for data, m in by_data.items()}
        between = [name for name in dict.fromkeys(runs["task"]) if _between(
            mean_auc(runs, name, batch), mean_auc(runs, name, "single-task"),
            mean_auc(runs, name, "equal"))]
        lines.append(
            "* **With gains on the current batch, the main task's own gain dominates.** The "
            "main task's gain is then about :math:`\\eta \\lVert g_0 \\rVert^2`, an "
            "auxiliary task's :math:`\\eta \\langle g_0, g_k \\rangle`, which is smaller unless "
            "its gradient is at least as large and aligned; the main task's gain also rewards "
            "fitting the batch's own noise. The main task's mean weight (out of a total equal "
            "to the number of tasks: " + ", ".join(f"{k} {v}" for k, v in n_tasks.items())
            + ") was, with batch gains (``" + batch + "``): " + shares["batch"]
            + "".join(f"; with {d} gains (``{m}``): {shares[d]}" for d, m in by_data.items()
                      if d != "batch")
            + f". With batch gains HydaLearn trains close to single-task learning; its mean "
            f"test ROC AUC lay between single-task and equal weighting on {len(between)} of "
            f"{runs['task'].nunique()} tasks" + (f" ({', '.join(between)})" if between else "")
            + ".")
        helped = [(name, mean_auc(runs, name, "equal") - mean_auc(runs, name, "single-task"),
                   mean_auc(runs, name, batch) - mean_auc(runs, name, "single-task"))
                  for name in dict.fromkeys(runs["task"])]
        helped = [h for h in helped if h[1] > 0.005]
        if helped:
            lines[-1] += (" Where equal weighting raised the mean test ROC AUC over single-task "
                          "learning by more than 0.005, HydaLearn with batch gains got: "
                          + "; ".join(f"{name} {h:+.4f} against {e:+.4f}"
                                      for name, e, h in helped) + ".")
    gaps = []
    for name in dict.fromkeys(runs["task"]):
        networks = [m for m in dict.fromkeys(runs["method"]) if m != "HistGradientBoosting"]
        best_network, value = _best(runs, name, networks)
        boosting = mean_auc(runs, name, "HistGradientBoosting")
        if boosting > value:
            gaps.append(f"{TASKS[name].title} (boosting {boosting:.4f}, best network "
                        f"{best_network} {value:.4f})")
    if gaps:
        lines.append("* **Gradient boosting beats every network** on " + "; ".join(gaps)
                     + ". Task weighting tunes how a network shares its trunk; it does not "
                     "close the usual gap between networks and boosted trees on small tabular "
                     "data. Multi-task learning is worth it when a network is wanted anyway "
                     "(one model for several outputs, embeddings, online updates) or when the "
                     "auxiliary targets carry information the features lack.")
    lines.append(
        "* **Expect little from auxiliary targets that the features already determine.** "
        "A target that is close to a function of the features (the day-3 physiology score "
        "is computed from the physiology features; a rate is set from the credit file) "
        "can only regularise the trunk, which matters when training data are scarce; "
        "targets with information of their own (later outcomes) have more to give. (A "
        "reading of the method, not a measurement of this benchmark.)")
    lines.append(
        "* **Cost.** HydaLearn computes one gradient of the shared layers per task on every "
        "mini-batch; see the fit times in the tables and the scaling section.")
    return "\n".join(lines)


def _speed(results):
    lines = ["Speed", "-----", ""]
    scripts = _read(results / "speed_scripts.csv")
    if not scripts.empty:
        lines += ["Speed scripts of ``benchmarks/`` (their full output is in "
                  "``benchmarks/results/speed_<script>.txt``):", ""]
        for r in scripts.itertuples():
            arguments = f" {r.arguments}" if isinstance(r.arguments, str) and r.arguments else ""
            provenance = f" ({r.mode} mode, {r.date})" if hasattr(r, "mode") else ""
            lines.append(f"* ``{r.script}.py{arguments}``: {r.status}"
                         + (f", {r.wall_time:.0f} s{provenance}" if r.status != "missing"
                            else " (not written yet)"))
            path = results / f"speed_{r.script}.txt"
            if r.status == "ok" and path.exists():
                text = path.read_text().strip().splitlines()[-25:]
                lines += ["", "  ::", ""] + [f"    {line}" for line in text] + [""]
        lines += ["", "Timings from a machine shared with other work are noisy; the targets "
                  "in these outputs refer to the scripts' own protocol.", ""]
    rows = _read(results / "scaling_rows.csv")
    lines += [f".. image:: {STATIC}/scaling_rows.png", "   :width: 70%",
              "   :alt: fit time against rows", "",
              f".. image:: {STATIC}/scaling_tasks.png", "   :width: 70%",
              "   :alt: fit time against the number of auxiliary tasks", "",
              "Fit time (median over repeats, repeats interleaved) against the number of "
              "rows (main + 2 auxiliary tasks; networks a fixed number of epochs, boosting "
              "100 iterations), and against the number of auxiliary tasks for every "
              "strategy:", ""]
    wide = rows.pivot(index="n_rows", columns="method", values="fit_time")
    lines.append(_table("Fit time (s) against rows", ["rows", *wide.columns],
                        [[f"{n:,}", *(f"{v:.2f}" for v in row)] for n, row in wide.iterrows()]))
    tasks = _read(results / "scaling_tasks.csv")
    if not tasks.empty:
        ratio = tasks.pivot(index="n_aux", columns="method", values="ratio_to_equal")
        seconds = tasks.pivot(index="n_aux", columns="method", values="fit_time")
        lines += ["", _table("Fit time against auxiliary tasks: seconds (ratio to equal "
                             "weighting)", ["aux tasks", *ratio.columns],
                             [[str(n), *(f"{s:.2f} ({r:.1f}x)" for s, r in
                                         zip(seconds.loc[n], ratio.loc[n]))]
                              for n in ratio.index])]
    return "\n".join(lines)


def _table(title, header, rows):
    """An rst csv-table (one line per row, readable in the source too)."""
    def line(cells):
        return ", ".join('"' + str(cell).replace('"', '""') + '"' for cell in cells)
    return "\n".join([f".. csv-table:: {title}", f"   :header: {line(header)}", "",
                      *(f"   {line(row)}" for row in rows)])
