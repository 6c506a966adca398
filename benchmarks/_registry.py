"""One registry of the benchmarks' configurations and set-ups.

- ``CONFIGURATIONS``: weightings by name. ``"hydalearn"`` is the package
  default, whatever it is; every named HydaLearn variant is
  :func:`Variant`, the options of before issue 13 with the named changes on
  top, so that a name keeps the meaning it was measured with.
- ``SETUPS``: the set-ups of the HydaLearn grid (``bench_hydalearn_grid.py``):
  generated problems where auxiliary tasks help, hurt or both, and the real
  data sets of the accuracy benchmark (``_tasks.TASKS``).
- ``TIMED``: the configurations ``bench_hydalearn.py`` times, with targets.

Used by ``bench_hydalearn_scores.py``, ``bench_hydalearn_grid.py`` and
``bench_hydalearn.py``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from hydasklearn.weighting import HydaLearn

#: The options of the strategy before issue 13 (the paper's weight rule on every step's own
#: gains); the named configurations below start from these, so that they keep meaning what
#: they were measured as whatever HydaLearn's defaults are.
BEFORE_ISSUE_13 = dict(rule="proportional", unit_length=False, smoothing=0.0, gain_every=1,
                       hysteresis=False, release=0.0, auxiliary_weight=1.0, gain_ratio=0.0,
                       min_main_weight=0.0, max_main_weight=None, main_evidence=None,
                       keep_auxiliary_share=False, warm_up=0)

#: Issue 13's second round: tasks start on and are switched off only on evidence of harm
#: (hysteresis with release 2), and an auxiliary task that is on weighs twice the main task.
LATCH = dict(gain_data="previous", unit_length=True, smoothing=0.99, rule="evidence",
             hysteresis=True, release=2.0, auxiliary_weight=2.0)


def Variant(*args, **options):
    """A HydaLearn configuration: BEFORE_ISSUE_13 with ``options`` on top."""
    return HydaLearn(*args, **{**BEFORE_ISSUE_13, **options})


CONFIGURATIONS = {
    "single-task": "single",
    "hydalearn": "hydalearn",  # the package default, whatever it is
    "equal": "equal",
    "first_order batch": Variant(approximation="first_order", gain_data="batch"),
    "first_order heldout (default)": Variant(gain_data="heldout"),  # the default before issue 13
    "exact batch": Variant(approximation="exact", gain_data="batch"),
    "exact heldout": Variant(approximation="exact", gain_data="heldout"),
    "representation": Variant(approximation="representation"),
    "first_order batch max": Variant(gain_data="batch", normalization="max"),
    "first_order heldout max": Variant(gain_data="heldout", normalization="max"),
    # Variants of issue 13 (bench_hydalearn_grid.py): gain reference, gradients, smoothing,
    # bounds on the main task's weight.
    "paper (batch gains)": Variant(gain_data="batch"),
    "heldout": Variant(gain_data="heldout"),
    "previous": Variant(gain_data="previous"),
    "previous ema": Variant(gain_data="previous", smoothing=0.9),
    "previous ema floor": Variant(gain_data="previous", smoothing=0.9, min_main_weight=1.0),
    "crossfit": Variant(gain_data="crossfit"),
    "crossfit ema floor": Variant(gain_data="crossfit", smoothing=0.9, min_main_weight=1.0),
    "last_layer previous": Variant(approximation="last_layer", gain_data="previous"),
    "last_layer previous ema": Variant(approximation="last_layer", gain_data="previous",
                                         smoothing=0.9),
    "last_layer previous ema floor": Variant(approximation="last_layer", gain_data="previous",
                                               smoothing=0.9, min_main_weight=1.0),
    "last_layer crossfit ema floor": Variant(approximation="last_layer", gain_data="crossfit",
                                               smoothing=0.9, min_main_weight=1.0),
    "previous ema floor every 4": Variant(gain_data="previous", smoothing=0.9,
                                            min_main_weight=1.0, gain_every=4),
    "crossfit ema floor every 4": Variant(gain_data="crossfit", smoothing=0.9,
                                            min_main_weight=1.0, gain_every=4),
    "previous unit": Variant(gain_data="previous", unit_length=True),
    "previous unit floor": Variant(gain_data="previous", unit_length=True, min_main_weight=1.0),
    "previous unit ema floor": Variant(gain_data="previous", unit_length=True, smoothing=0.9,
                                         min_main_weight=1.0),
    "previous unit ema floor every 4": Variant(gain_data="previous", unit_length=True,
                                                 smoothing=0.9, min_main_weight=1.0, gain_every=4),
    "crossfit unit ema floor": Variant(gain_data="crossfit", unit_length=True, smoothing=0.9,
                                         min_main_weight=1.0),
    "batch unit floor": Variant(gain_data="batch", unit_length=True, min_main_weight=1.0),
    "previous evidence": Variant(gain_data="previous", smoothing=0.9, rule="evidence"),
    "previous unit evidence": Variant(gain_data="previous", unit_length=True, smoothing=0.9,
                                        rule="evidence"),
    "previous unit evidence every 4": Variant(gain_data="previous", unit_length=True,
                                                smoothing=0.9, rule="evidence", gain_every=4),
    "crossfit unit evidence": Variant(gain_data="crossfit", unit_length=True, smoothing=0.9,
                                        rule="evidence"),
    "representation evidence": Variant(approximation="representation", smoothing=0.9,
                                         rule="evidence"),
    "running unit": Variant(gain_data="running", unit_length=True),
    "running unit ema": Variant(gain_data="running", unit_length=True, smoothing=0.9),
    "running unit evidence": Variant(gain_data="running", unit_length=True, smoothing=0.9,
                                       rule="evidence"),
    "previous unit evidence slow": Variant(gain_data="previous", unit_length=True,
                                             smoothing=0.99, rule="evidence"),  # the new default
    "previous unit evidence slow every 4": Variant(gain_data="previous", unit_length=True,
                                                     smoothing=0.99, rule="evidence",
                                                     hysteresis=False, gain_every=4),
    "previous unit evidence slow every 2": Variant(gain_data="previous", unit_length=True,
                                                     smoothing=0.99, rule="evidence",
                                                     gain_every=2),
    "previous unit evidence slower": Variant(gain_data="previous", unit_length=True,
                                             smoothing=0.995, rule="evidence"),
    "previous unit evidence fast": Variant(gain_data="previous", unit_length=True,
                                             smoothing=0.95, rule="evidence", evidence=1.0),
    "previous unit evidence hysteresis": Variant(gain_data="previous", unit_length=True,
                                                   smoothing=0.99, rule="evidence",
                                                   hysteresis=True, gain_every=4),
    "crossfit unit evidence hysteresis": Variant(gain_data="crossfit", unit_length=True,
                                                   smoothing=0.99, rule="evidence",
                                                   hysteresis=True, gain_every=4),
    "running unit evidence slow every 4": Variant(gain_data="running", unit_length=True,
                                                    smoothing=0.99, rule="evidence",
                                                    hysteresis=False, gain_every=4),
    "previous unit evidence z1 every 4": Variant(gain_data="previous", unit_length=True,
                                                   smoothing=0.99, rule="evidence", evidence=1.0,
                                                   hysteresis=False, gain_every=4),
    "running unit evidence z1 every 4": Variant(gain_data="running", unit_length=True,
                                                  smoothing=0.99, rule="evidence", evidence=1.0,
                                                  hysteresis=False, gain_every=4),
    "representation batch": Variant(approximation="representation"),
    "representation ema ceiling": Variant(approximation="representation", smoothing=0.9,
                                            max_main_weight=1.5),
    # Issue 13, second round: tasks start on and are switched off only on evidence of harm
    # (hysteresis with release 2), and an auxiliary task that is on weighs more than the main.
    "latch": Variant(**{**LATCH, "auxiliary_weight": 1.0}),
    "aux weight 2": Variant(**{**LATCH, "hysteresis": False, "release": 0.0}),
    "latch aux weight 2": Variant(**LATCH),
    **{f"latch aux weight 2 every {every}": Variant(**LATCH, gain_every=every)
       for every in (2, 3, 4)},
    "latch aux weight 1.5": Variant(**{**LATCH, "auxiliary_weight": 1.5}),
    "latch aux weight 3": Variant(**{**LATCH, "auxiliary_weight": 3.0}),
    # Third round: an auxiliary task must help at least a share of what the main task's own
    # step does (gain_ratio), measuring every second step.
    **{f"gain ratio {ratio}": Variant(**LATCH, gain_every=2, gain_ratio=ratio)
       for ratio in (0, 0.15, 0.2, 0.25, 0.5)},
    # Timed only (bench_hydalearn.py).
    "first_order previous": Variant(approximation="first_order", gain_data="previous"),
    "first_order crossfit": Variant(approximation="first_order", gain_data="crossfit"),
    "last_layer crossfit": Variant(approximation="last_layer", gain_data="crossfit"),
    "first_order previous every 4": Variant(gain_data="previous", smoothing=0.9,
                                            min_main_weight=1.0, gain_every=4),
    "first_order previous every 8": Variant(gain_data="previous", smoothing=0.9,
                                            min_main_weight=1.0, gain_every=8),
    "evidence every 4": Variant(gain_data="previous", unit_length=True, smoothing=0.99,
                                rule="evidence", gain_every=4),
    "crossfit every 4": Variant(gain_data="crossfit", smoothing=0.9, min_main_weight=1.0,
                                gain_every=4),
}


def resolve(name):
    """A named configuration, ``static:w0,w1,w2`` or ``hydalearn:key=value,...``."""
    if name in CONFIGURATIONS:
        return CONFIGURATIONS[name]
    if name.startswith("static:"):
        return [float(w) for w in name.split(":", 1)[1].split(",")]
    if not name.startswith("hydalearn:"):
        raise SystemExit(f"Unknown configuration {name!r}; expected one of "
                         f"{list(CONFIGURATIONS)} or 'hydalearn:key=value,...'.")
    options = dict(item.split("=") for item in name.split(":", 1)[1].split(","))
    return HydaLearn(**{key: _literal(value) for key, value in options.items()})


def _literal(value):
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


@dataclass(frozen=True)
class Setup:
    """One set-up of the grid.

    Attributes
    ----------
    kind : {"help", "hurt", "mixed", "real"}
        What the auxiliary tasks do (issue 13's bar: "mixed" also needs
        +0.003 above both baselines).
    options : list of str
        Options of ``bench_hydalearn_scores.py`` for generated data.
    task : str or None
        A real data set (a key of ``_tasks.TASKS``) instead of generated data.
    """

    kind: str
    options: list = field(default_factory=list)
    task: str | None = None


#: The real data sets' options: 6,800 to 7,400 training rows, so larger batches and a shorter
#: patience keep a fit to seconds.
REAL = ["--batch", "128", "--patience", "5"]

#: name -> Setup
SETUPS = {
    "help: related": Setup("help", ["--relations", "related"]),
    "help: related + noise": Setup("help"),
    "help: scarce main (500 rows), related aux noise 0.5": Setup(
        "help", ["--train", "500", "--aux-noise", "0.5"]),
    "hurt: 3 noise, trunk 8": Setup("hurt", ["--relations", "noise", "noise", "noise",
                                             "--hidden", "8"]),
    "hurt: 2 conflicting + noise, trunk 8": Setup(
        "hurt", ["--relations", "conflicting", "conflicting", "noise", "--hidden", "8"]),
    # A related task weak enough (extra noise 1.0 on it alone) that the harm of the others shows:
    # static weights 1, 1, 0, 0, 0, 0 beat equal weighting by 0.0036 (8 seeds).
    "mixed: weaker related + 3 conflicting + noise, trunk 8": Setup(
        "mixed", ["--relations", "related", "conflicting", "conflicting", "conflicting", "noise",
                  "--hidden", "8", "--related-noise", "1.0"]),
    "real: Lending Club, rate and grade as aux": Setup("real", REAL, task="lending_pricing_aux"),
    "real: Lending Club, rate and grade as features": Setup(
        "real", REAL, task="lending_pricing_features"),
    "real: SUPPORT2, later outcomes as aux": Setup("real", REAL, task="support2"),
}

#: bench_hydalearn.py: configuration -> target ratio to equal weighting (None: no target)
TIMED = {
    "equal": None, "hydalearn": 1.5, "representation": 1.3, "first_order batch": 2.5,
    "heldout": 2.5, "exact batch": 3.5, "exact heldout": 3.5, "previous unit evidence slow": None,
    "first_order previous": None, "first_order crossfit": None, "last_layer previous": None,
    "last_layer crossfit": None, "last_layer previous ema floor": None,
    "first_order previous every 4": None, "first_order previous every 8": None,
    "evidence every 4": None, "crossfit every 4": None, "latch aux weight 2": None,
    "latch aux weight 2 every 2": None, "latch aux weight 2 every 4": None,
}
