"""The evidence suite: what the default's gains say about auxiliary tasks that help or hurt.

For every generated set-up of the grid and of the main job, where the
relation of each auxiliary task to the main task is known (``related``,
``noise``, ``conflicting``), the default (``hydalearn``) is fitted on every
seed, and each auxiliary task's whole-fit gain z-score and switch-off are
read from ``auxiliary_task_report_``. ``evidence.csv``: set-up, its kind
(whether its auxiliary tasks help or hurt, as the grid calls it), seed,
task, relation, z-score, switched off.

What it shows: whether a rule on the gains could tell the tasks of a help
set-up from those of a hurt one. Where their z-scores overlap, a rule that
drops the harmful tasks also drops helpful ones; only held-out rows can
tell them apart (``checked:hydalearn``).
"""

from __future__ import annotations

import inspect

import pandas as pd
from _options import pick
from _registry import GRID, MAIN_JOB, SETUPS, GeneratedSetup, MainJobSetup, select_setups
from _scoring import score_all

from hydasklearn.datasets import make_auxiliary_tasks

CONFIGURATION = "hydalearn"
COLUMNS = ["setup", "kind", "seed", "task", "relation", "gain_z_score", "switched_off"]
_DEFAULT_RELATIONS = inspect.signature(make_auxiliary_tasks).parameters["aux_relations"].default


def relations(setup):
    """The relation of each of ``setup``'s auxiliary tasks to the main task, or None."""
    if isinstance(setup, GeneratedSetup):
        return tuple(setup.relations)
    if isinstance(setup, MainJobSetup):
        return tuple(setup.options.get("aux_relations", _DEFAULT_RELATIONS))
    return None  # real data: not known


def known_setups():
    """The grid's and the main job's set-ups whose relations are known, by name."""
    return [name for name in [*GRID, *MAIN_JOB] if relations(SETUPS[name]) is not None]


def evidence_rows(rows):
    """One row of :data:`COLUMNS` per auxiliary task of every scored fit (see ``score``)."""
    table = []
    for row in rows:
        setup = SETUPS[row["setup"]]
        for k, (relation, z, off) in enumerate(zip(relations(setup), row["gain_z_scores"],
                                                   row["switched_off"]), start=1):
            table.append({"setup": setup.name, "kind": setup.kind, "seed": row["seed"],
                          "task": f"aux_{k}", "relation": relation, "gain_z_score": z,
                          "switched_off": bool(off)})
    return table


def run_evidence(options):
    """Do the default's gains tell auxiliary tasks that help from those that hurt?"""
    setups = select_setups(options.setups, known_setups())
    seeds = list(range(pick(options, "seeds", 20, 2)))
    epochs = pick(options, "epochs", None, 5)
    overrides = {} if epochs is None else {"max_iter": epochs}
    rows = score_all([SETUPS[name] for name in setups if relations(SETUPS[name]) is not None],
                     [CONFIGURATION], seeds, jobs=options.jobs, overrides=overrides,
                     max_rows=pick(options, "rows", None, 300))
    frame = pd.DataFrame(evidence_rows(rows), columns=COLUMNS)
    frame.to_csv(options.results / "evidence.csv", index=False, float_format="%.4g")
    print(summary(frame).round(2).to_string())
    return {"seeds": seeds, "setups": setups, "configuration": CONFIGURATION,
            "overrides": overrides}


def summary(frame):
    """Per set-up and relation: tasks, z-score quartiles and range, share switched off."""
    grouped = frame.groupby(["setup", "relation"], sort=False)
    z = grouped["gain_z_score"]
    return pd.DataFrame({
        "kind": grouped["kind"].first(), "tasks": z.size(),
        "z_min": z.min(), "z_q25": z.quantile(0.25), "z_median": z.median(),
        "z_q75": z.quantile(0.75), "z_max": z.max(),
        "switched_off": grouped["switched_off"].mean()})
