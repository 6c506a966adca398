"""The revisions suite: every strategy's epoch time at another git revision and in the working tree.

The package at ``--before`` (checked out into a temporary worktree) and the
working tree's package are timed in turn: every repeat runs one child process
per version, alternating (:func:`_timing.round_robin`), so that the machine's
load affects both alike. A child fits each strategy once (3 tasks, MLP
2 x 128, batch 256, 16384 rows) after a warm-up fit and reports skorch's
epoch durations without the first epoch. ``revisions.csv`` has the medians
over all epochs and the ratio after / before. The child uses only the public
API (strategy names, and ``HydaLearn.paper_rule()`` where the revision has
it), so it runs against any revision.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from _options import pick
from _timing import medians, round_robin

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ["equal", "dwa", "uncertainty", "hydalearn", "hydalearn-paper", "gcs", "olaux",
              "gradnorm", "pcgrad", "slgrad"]

CHILD = r"""
import json, sys, warnings
import torch
import hydasklearn
from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import HydaLearn
names, epochs, threads, rows = json.loads(sys.argv[1]), *map(int, sys.argv[2:5])
torch.set_num_threads(threads)
X, y, _ = make_auxiliary_tasks(n_samples=rows, n_features=20,
                               aux_relations=("related", "noise"), random_state=0)
def weighting(name):
    if name == "hydalearn-paper":
        return HydaLearn.paper_rule() if hasattr(HydaLearn, "paper_rule") else None
    return name
def durations(name, n_rows, n_epochs):
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(128, 128), weighting=weighting(name),
                                    batch_size=256, max_iter=n_epochs,
                                    n_iter_no_change=n_epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[:n_rows], y[:n_rows])
    return list(model.net_.history[1:, "dur"])
names = [n for n in names if weighting(n) is not None]
for name in names:
    durations(name, 1024, 2)  # warm-up: imports, allocator, thread pools
print(json.dumps({"package": hydasklearn.__file__,
                  "times": {name: durations(name, len(X), epochs) for name in names}}))
"""


def _add_arguments(parser):
    parser.add_argument("--before", required=True, help="git revision to compare with")


def run_child(package_root, names, epochs, threads, rows):
    """Epoch durations per strategy, measured by a child importing ``package_root``'s package."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    output = subprocess.run([sys.executable, "-c", CHILD, json.dumps(names), str(epochs),
                             str(threads), str(rows)], env=env, cwd=package_root, check=True,
                            capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(Path(package_root).resolve()):
        raise RuntimeError(f"the child imported {result['package']}, not {package_root}'s")
    return result["times"]


def run_revisions(options):
    """Every strategy's epoch time at another git revision against the working tree."""
    names = [n for n in STRATEGIES if options.only is None or n in options.only]
    repeats, epochs = pick(options, "repeats", 3, 1), pick(options, "epochs", 4, 2)
    threads, rows = pick(options, "threads", 2), pick(options, "rows", 16384, 2048)
    with tempfile.TemporaryDirectory() as scratch:
        before_root = Path(scratch) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before_root), options.before],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            children = round_robin(
                {version: (lambda repeat, root=root: run_child(root, names, epochs, threads,
                                                                rows))
                 for version, root in (("before", before_root), ("after", ROOT))},
                repeats).returned
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_root)],
                           cwd=ROOT, check=True, capture_output=True)
    times = {version: {n: sum((child.get(n, []) for child in runs), []) for n in names}
             for version, runs in children.items()}
    before, after = medians(times["before"]), medians(times["after"])
    frame = pd.DataFrame({"strategy": names, "before_s": [before[n] for n in names],
                          "after_s": [after[n] for n in names]})
    frame["after_over_before"] = frame["after_s"] / frame["before_s"]
    frame["before"] = options.before
    frame.to_csv(options.results / "revisions.csv", index=False, float_format="%.4g")
    print(frame.to_string(index=False))
    return {"before": options.before, "repeats": repeats, "epochs": epochs, "threads": threads,
            "rows": rows}


run_revisions.add_arguments = _add_arguments
