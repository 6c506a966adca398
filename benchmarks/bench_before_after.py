"""Epoch time of every weighting strategy, before and after a change, side by side.

The package at another git revision (``--before``, checked out into a
temporary worktree) and the working tree's package are timed in turn: every
round runs one child process per version, alternating, so that the machine's
load affects both alike. A child fits each strategy once (3 tasks, MLP 2 x
128, batch 256, 16384 rows) after a warm-up fit, and reports skorch's epoch
durations without the first epoch. The table gives medians over all rounds'
epochs and the ratio after / before.

Usage::

    python benchmarks/bench_before_after.py --before a373ea3 [--rounds 3] [--epochs 4]

The child uses the public API only, so it runs against any revision; HydaLearn
is timed as each revision's default (``hydalearn``) and with the same arithmetic
in both (the paper's proportional rule, named approximation and gain data).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import medians, round_robin

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ["equal", "dwa", "uncertainty", "hydalearn", "hydalearn first_order heldout",
              "hydalearn exact heldout", "hydalearn representation batch", "gcs", "olaux",
              "gradnorm", "pcgrad", "slgrad"]

# The child is self-contained (it cannot import this folder's helpers at the other revision);
# its epoch durations are skorch's ``dur``, as in ``_timing.epoch_durations``.
CHILD = r"""
import json, sys, warnings
import torch
from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import HydaLearn
names, epochs, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
X, y, _ = make_auxiliary_tasks(n_samples=16384, n_features=20,
                               aux_relations=("related", "noise"), random_state=0)
# The paper's proportional rule on every step, in the words each revision knows (newest
# first): "hydalearn <approximation> <gain data>" means the same arithmetic before and after;
# plain "hydalearn" is each revision's own default.
PAPER_RULES = (dict(rule="proportional", unit_length=False, smoothing=0.0, gain_every=1),
               dict(rule="proportional", unit_length=False, smoothing=0.0),  # no gain_every yet
               {})  # before these options: the rule is the paper's
def weighting(name):
    if not name.startswith("hydalearn "):
        return name
    _, approximation, gain_data = name.split()
    for options in PAPER_RULES:
        try:
            return HydaLearn(approximation=approximation, gain_data=gain_data, **options)
        except TypeError:  # an option this revision does not have
            continue
def durations(name, rows, n_epochs):
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(128, 128), weighting=weighting(name),
                                    batch_size=256, max_iter=n_epochs,
                                    n_iter_no_change=n_epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[:rows], y[:rows])
    return list(model.net_.history[1:, "dur"])
for name in names:
    durations(name, 1024, 2)  # warm-up: imports, allocator, thread pools
import hydasklearn
print(json.dumps({"package": hydasklearn.__file__,
                  "times": {name: durations(name, len(X), epochs) for name in names}}))
"""


def run_child(package_root, names, epochs, threads):
    """Epoch durations per strategy, measured by a child importing ``package_root``'s package."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    output = subprocess.run([sys.executable, "-c", CHILD, json.dumps(names), str(epochs),
                             str(threads)], env=env, cwd=package_root, check=True,
                            capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(Path(package_root).resolve()):
        raise RuntimeError(f"the child imported {result['package']}, not {package_root}'s package")
    return result["times"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per fit (first dropped)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    names = [n for n in STRATEGIES if args.only is None or n in args.only]
    with tempfile.TemporaryDirectory() as scratch:
        before_root = Path(scratch) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before_root), args.before],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            # One round: a child per version, alternating; each child times every strategy.
            rounds = round_robin(
                {version: (lambda repeat, root=root: run_child(root, names, args.epochs,
                                                                args.threads))
                 for version, root in (("before", before_root), ("after", ROOT))},
                args.rounds).returned
            times = {version: {n: sum((child[n] for child in children), []) for n in names}
                     for version, children in rounds.items()}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_root)],
                           cwd=ROOT, check=True, capture_output=True)
    print(f"machine: {platform.machine()} {platform.processor()}, {os.cpu_count()} cores, "
          f"{args.threads} threads; before = {args.before}, after = working tree; "
          f"{args.rounds} rounds x {args.epochs - 1} timed epochs, medians")
    print(f"{'strategy':<28}{'before (s)':>12}{'after (s)':>12}{'after/before':>14}")
    before, after = medians(times["before"]), medians(times["after"])
    for name in names:
        print(f"{name:<28}{before[name]:>12.4f}{after[name]:>12.4f}"
              f"{after[name] / before[name]:>14.2f}")


if __name__ == "__main__":
    main()
