"""Figures of the benchmark: scores per method, weight trajectories, scaling."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BASELINES = ("single-task", "MLPClassifier", "HistGradientBoosting")


def plot_scores(runs, summary, titles, path):
    """Test ROC AUC of every method per task: mean +- std over seeds, and each seed."""
    tasks = list(dict.fromkeys(summary["task"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 4.5), sharey=True,
                             squeeze=False)
    methods = list(dict.fromkeys(summary["method"]))
    for ax, task in zip(axes[0], tasks):
        part = summary[summary["task"] == task].set_index("method")
        for row, method in enumerate(methods):
            if method not in part.index:
                continue
            color = "tab:gray" if method in BASELINES else (
                "tab:red" if method.startswith("hydalearn") else "tab:blue")
            seeds = runs[(runs["task"] == task) & (runs["method"] == method)]["test_roc_auc"]
            ax.plot(seeds, np.full(len(seeds), row), "o", color=color, alpha=0.3, ms=4)
            ax.errorbar(part.loc[method, "test_roc_auc_mean"], row,
                        xerr=np.nan_to_num(part.loc[method, "test_roc_auc_std"]),
                        fmt="D", color=color, capsize=3)
        ax.set_title(titles.get(task, task), fontsize=9)
        ax.set_xlabel("test ROC AUC (main task)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(methods)), methods)
    axes[0][0].invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_weight_trajectories(trajectories, titles, path):
    """HydaLearn's task weights per mini-batch: raw (faint) and a moving average."""
    tasks = list(dict.fromkeys(t["task"] for t in trajectories))
    variants = list(dict.fromkeys(t["method"] for t in trajectories))
    fig, axes = plt.subplots(len(tasks), len(variants), figsize=(5.5 * len(variants),
                             2.8 * len(tasks)), squeeze=False, sharey="row")
    for t in trajectories:
        ax = axes[tasks.index(t["task"])][variants.index(t["method"])]
        weights = t["weights"]
        window = max(1, len(weights) // 40)
        steps = np.arange(len(weights))
        for k, name in enumerate(t["task_names"]):
            line, = ax.plot(steps, weights[:, k], lw=0.5, alpha=0.15)
            ax.plot(steps, _moving_average(weights[:, k], window), color=line.get_color(),
                    lw=1.5, label=name + (" (main)" if k == 0 and name != "main" else ""))
        ax.set_title(f"{titles.get(t['task'], t['task'])}\n{t['method']}", fontsize=9)
        ax.set_xlabel("mini-batch")
        ax.set_ylabel("task weight")
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _moving_average(values, window):
    """Trailing mean over ``window`` steps (shorter at the start)."""
    totals = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (totals[ends] - totals[starts]) / (ends - starts)


def plot_scaling(table, x, xlabel, path, title):
    """Fit time of every method against ``x`` (log-log)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    colors = plt.cm.tab20(np.linspace(0, 1, 20))
    markers = "osD^v<>ph*"
    for k, (method, part) in enumerate(table.groupby("method", sort=False)):
        ax.plot(part[x], part["fit_time"], marker=markers[k % len(markers)],
                color=colors[(2 * k) % 20 + (2 * k // 20) % 2],
                lw=2.2 if method.startswith("hydalearn") else 1.2, label=method)
    ax.set_xscale("log", base=2 if x == "n_aux" else 10)
    ax.set_yscale("log")
    if x == "n_aux":
        ax.set_xticks(sorted(set(table[x])), [str(v) for v in sorted(set(table[x]))])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fit time (s), median")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
