"""The one registry of the benchmarks: data sets, set-ups and configurations.

- :data:`DATASETS`: the data sets of the accuracy suite, by name; each
  :class:`DataSet` loads features and a target frame (column 0 the main
  target).
- :data:`SETUPS`: the set-ups that the grid and the main-job suites score
  configurations on, by name. A :class:`Setup` knows how to draw the data of
  a seed and split it (:meth:`Setup.load`), and how the networks are fitted
  on it (:attr:`Setup.fit`). Three kinds: :class:`GeneratedSetup`
  (``make_auxiliary_tasks``), :class:`RealSetup` (a data set of
  :data:`DATASETS`) and :class:`MainJobSetup` (a scenario of ``python -m
  hydasklearn``, read from the package).
- :data:`CONFIGURATIONS`: task weightings by unique name. ``"hydalearn"`` is
  the package default, whatever it is; ``"single-task"`` fits the main
  target alone. Every HydaLearn variant given as keyword options is built by
  :func:`_hydalearn_options.hydalearn_from_options`, so that a name keeps
  the meaning it was measured with. :func:`resolve` also reads
  ``static:w0,w1,...`` and ``hydalearn:key=value,...`` labels.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Callable

import numpy as np
from _hydalearn_options import hydalearn_from_options
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from hydasklearn.datasets import load_lending_club, load_support2, make_auxiliary_tasks
from hydasklearn.weighting import (
    STRATEGIES,
    GradientCosineSimilarity,
    HydaLearn,
    TorchJDAggregator,
)


# ------------------------------------------------------------------ data sets
@dataclass(frozen=True)
class DataSet:
    """A named data set with a main target and auxiliary targets.

    Attributes
    ----------
    name : str
        Short identifier (file names, CSV rows).
    title : str
        One line for tables and plots.
    description : str
        What the main target and the auxiliary targets are.
    loader : callable
        ``loader() -> (X DataFrame, y DataFrame)``; column 0 of ``y`` is the
        main (binary) target.
    """

    name: str
    title: str
    description: str
    loader: Callable = field(repr=False)

    def load(self):
        """``(X, y)`` frames of the whole data set."""
        return self.loader()


def _generated():
    X, y, _ = make_auxiliary_tasks(
        n_samples=3000, n_features=20, aux_relations=("related", "noise", "conflicting"),
        main_noise=1.0, random_state=0, as_frame=True)
    return X, y.rename(columns={"aux_1": "related", "aux_2": "noise", "aux_3": "conflicting"})


def _lending_pricing_aux():
    return load_lending_club(aux_targets=("int_rate", "sub_grade"))


def _lending_pricing_features():
    return load_lending_club(aux_targets=("delinq_2yrs", "inq_last_6mths"))


DATASETS = {data.name: data for data in [
    DataSet("generated", "Generated: related + noise + conflicting aux",
            "``make_auxiliary_tasks``: 3,000 samples, 20 standard-normal features, a binary "
            "main task; auxiliary regression targets: one *related* (the main task's latent "
            "with less noise), one pure *noise*, one *conflicting* (a non-linear function of "
            "other features that competes for the shared trunk).", _generated),
    DataSet("lending_pricing_aux", "Lending Club: rate and grade as aux targets",
            "``load_lending_club()``: 9,857 loans, main target a bad loan; ``int_rate`` and "
            "``sub_grade`` are auxiliary targets and not features.", _lending_pricing_aux),
    DataSet("lending_pricing_features", "Lending Club: rate and grade as features",
            "``load_lending_club(aux_targets=('delinq_2yrs', 'inq_last_6mths'))``: ``int_rate`` "
            "and ``sub_grade`` are features (known at origination); the two credit-history "
            "counts are auxiliary targets (and leave the features, for every method).",
            _lending_pricing_features),
    DataSet("support2", "SUPPORT2: 30-day death, later outcomes as aux",
            "``load_support2()``: 9,105 seriously ill patients, main target death within 30 "
            "days; auxiliary targets known only afterwards: death by the end of follow-up, log "
            "days to death (missing for survivors), functional disability at 2 months (5 "
            "classes), and the day-3 physiology score.", load_support2),
]}


def subsample(X, y, n_rows, seed=0):
    """A stratified subsample of ``n_rows`` rows (all rows when None or larger)."""
    if n_rows is None or n_rows >= len(X):
        return X, y
    rows, _ = train_test_split(np.arange(len(X)), train_size=n_rows, random_state=seed,
                               stratify=y.iloc[:, 0])
    rows = np.sort(rows)
    return X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)


# ------------------------------------------------------------------- set-ups
@dataclass(frozen=True)
class Split:
    """Training and test rows of one seed: numeric arrays, column 0 of ``y`` the main target."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


#: How the networks are fitted on the grid's set-ups (a set-up may change some).
GRID_FIT = dict(hidden_layer_sizes=(64, 64), batch_size=64, max_iter=200, early_stopping=True,
                n_iter_no_change=10)


@dataclass(frozen=True)
class Setup:
    """A set-up: data drawn and split per seed, and how networks are fitted on it.

    Attributes
    ----------
    name : str
        Unique; it starts with the kind ("hurt: 3 noise, trunk 8"), as the
        recorded results name it.
    kind : {"help", "hurt", "mixed", "real"}
        What the auxiliary tasks do ("mixed" set-ups have both helpful and
        harmful ones).
    fit : dict
        Keyword arguments of ``HydaMultiTaskClassifier`` (trunk, batch size,
        epochs, early stopping) for every configuration on this set-up.
    """

    name: str
    kind: str
    fit: dict = field(default_factory=lambda: dict(GRID_FIT))

    def load(self, seed, max_rows=None):
        """The :class:`Split` of a seed (``max_rows`` caps the training rows)."""
        raise NotImplementedError


@dataclass(frozen=True)
class GeneratedSetup(Setup):
    """``make_auxiliary_tasks`` data: a new data set per seed, the first rows to train on.

    Attributes
    ----------
    relations : tuple of str
        Relation of every auxiliary task to the main task.
    train, test : int
        Rows to train on (early stopping takes its validation share from them)
        and to score on.
    aux_noise, main_noise : float
    related_noise : float
        Extra noise on the related auxiliary tasks only (a weaker related task).
    """

    relations: tuple = ("related", "noise")
    train: int = 1000
    test: int = 5000
    aux_noise: float = 0.1
    main_noise: float = 1.0
    related_noise: float = 0.0
    n_features: int = 20

    def load(self, seed, max_rows=None):
        X, y, _ = make_auxiliary_tasks(
            n_samples=self.train + self.test, n_features=self.n_features, n_informative=5,
            aux_relations=self.relations, main_noise=self.main_noise, aux_noise=self.aux_noise,
            random_state=seed)
        if self.related_noise:
            rng = np.random.default_rng(10_000 + seed)
            for k, relation in enumerate(self.relations, start=1):
                if relation == "related":
                    y[:, k] += self.related_noise * rng.normal(size=len(y))
        train = min(self.train, max_rows or self.train)
        return Split(X[:train], y[:train], X[self.train:], y[self.train:])


@lru_cache(maxsize=None)
def _arrays(dataset):
    X, y = DATASETS[dataset].load()
    return X.to_numpy(dtype=float), y.astype(float).to_numpy()


@dataclass(frozen=True)
class RealSetup(Setup):
    """A data set of :data:`DATASETS`, split anew (stratified) for every seed and standardized.

    Missing auxiliary labels stay NaN.
    """

    dataset: str = ""
    test_fraction: float = 0.25

    def load(self, seed, max_rows=None):
        X, y = _arrays(self.dataset)
        train, test = train_test_split(np.arange(len(y)), test_size=self.test_fraction,
                                       random_state=seed, stratify=y[:, 0])
        if max_rows is not None and max_rows < len(train):
            train, _ = train_test_split(train, train_size=max_rows, random_state=seed,
                                        stratify=y[train, 0])
        scaler = StandardScaler().fit(X[train])
        return Split(scaler.transform(X[train]), y[train], scaler.transform(X[test]), y[test])


@dataclass(frozen=True)
class MainJobSetup(Setup):
    """A scenario of the main job (``python -m hydasklearn``), as the package defines it.

    Attributes
    ----------
    options : dict
        Keyword arguments of ``make_auxiliary_tasks`` (``random_state`` is the seed).
    """

    options: dict = field(default_factory=dict)

    def load(self, seed, max_rows=None):
        X, y, _ = make_auxiliary_tasks(**self.options, random_state=seed)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.4, random_state=seed, stratify=y[:, 0])
        return Split(X_train[:max_rows], y_train[:max_rows], X_test, y_test)


def _main_job_setups():
    """The main job's scenarios, read from the package (name -> (data options, trunk))."""
    from hydasklearn._main_job.cli import BATCH_SIZE, SCENARIOS

    setups = []
    for scenario, (options, trunk) in SCENARIOS.items():
        kind = "hurt" if "hurt" in scenario else "help"
        setups.append(MainJobSetup(
            f"main job: {scenario}", kind,
            fit=dict(hidden_layer_sizes=tuple(trunk), batch_size=BATCH_SIZE, max_iter=30,
                     early_stopping=False),
            options=dict(options)))
    return setups


#: The real data sets of the grid: 6,800 to 7,400 training rows, so larger batches and a shorter
#: patience keep a fit to seconds.
REAL_FIT = {**GRID_FIT, "batch_size": 128, "n_iter_no_change": 5}
TRUNK_8 = {**GRID_FIT, "hidden_layer_sizes": (8,)}

#: The set-ups of the HydaLearn grid: auxiliary tasks that help, that only hurt, both, real data.
GRID_SETUPS = [
    GeneratedSetup("help: related", "help", relations=("related",)),
    GeneratedSetup("help: related + noise", "help"),
    GeneratedSetup("help: scarce main (500 rows), related aux noise 0.5", "help", train=500,
                   aux_noise=0.5),
    GeneratedSetup("hurt: 3 noise, trunk 8", "hurt", fit=TRUNK_8,
                   relations=("noise", "noise", "noise")),
    GeneratedSetup("hurt: 2 conflicting + noise, trunk 8", "hurt", fit=TRUNK_8,
                   relations=("conflicting", "conflicting", "noise")),
    # A related task weak enough (extra noise 1.0 on it alone) that the harm of the others shows.
    GeneratedSetup("mixed: weaker related + 3 conflicting + noise, trunk 8", "mixed", fit=TRUNK_8,
                   relations=("related", "conflicting", "conflicting", "conflicting", "noise"),
                   related_noise=1.0),
    RealSetup("real: Lending Club, rate and grade as aux", "real", fit=REAL_FIT,
              dataset="lending_pricing_aux"),
    RealSetup("real: Lending Club, rate and grade as features", "real", fit=REAL_FIT,
              dataset="lending_pricing_features"),
    RealSetup("real: SUPPORT2, later outcomes as aux", "real", fit=REAL_FIT, dataset="support2"),
]

#: name -> Setup: the grid's set-ups and the main job's scenarios.
SETUPS = {setup.name: setup for setup in [*GRID_SETUPS, *_main_job_setups()]}
GRID = [setup.name for setup in GRID_SETUPS]
MAIN_JOB = [name for name in SETUPS if name.startswith("main job: ")]


def select_setups(prefixes, default):
    """Set-up names that start with one of ``prefixes`` ("hurt" selects every hurt set-up)."""
    if not prefixes:
        return list(default)
    chosen = [name for name in SETUPS if any(name.startswith(p) for p in prefixes)]
    if not chosen:
        raise SystemExit(f"No set-up starts with {prefixes}; known: {list(SETUPS)}")
    return chosen


# ------------------------------------------------------------ configurations
#: The keyword options under which HydaLearn follows the paper's weight rule on every step's
#: own gains; every named variant below starts from them, so that a name keeps the meaning it
#: was measured with whatever HydaLearn's defaults are.
PAPER_OPTIONS = dict(rule="proportional", unit_length=False, smoothing=0.0, gain_every=1,
                     hysteresis=False, release=0.0, auxiliary_weight=1.0, gain_ratio=0.0,
                     min_main_weight=0.0, max_main_weight=None, main_evidence=None,
                     keep_auxiliary_share=False, warm_up=0)

#: Tasks start on and are switched off only on evidence of harm (hysteresis with release 2); an
#: auxiliary task that is on weighs twice the main task.
LATCH = dict(gain_data="previous", unit_length=True, smoothing=0.99, rule="evidence",
             hysteresis=True, release=2.0, auxiliary_weight=2.0)

#: name -> keyword options on top of :data:`PAPER_OPTIONS`.
VARIANTS = {
    # Where the gains are measured and how: the paper's rule with other gain data (on the
    # current batch it is "hydalearn-paper").
    "heldout": dict(gain_data="heldout"),
    "previous": dict(gain_data="previous"),
    "crossfit": dict(gain_data="crossfit"),
    "exact batch": dict(approximation="exact", gain_data="batch"),
    "exact heldout": dict(approximation="exact", gain_data="heldout"),
    "representation": dict(approximation="representation"),
    "first_order batch max": dict(gain_data="batch", normalization="max"),
    "first_order heldout max": dict(gain_data="heldout", normalization="max"),
    "last_layer previous": dict(approximation="last_layer", gain_data="previous"),
    "last_layer crossfit": dict(approximation="last_layer", gain_data="crossfit"),
    # Smoothed gains (ema), a floor or a ceiling on the main task's weight, fewer measurements.
    "previous ema": dict(gain_data="previous", smoothing=0.9),
    "previous ema floor": dict(gain_data="previous", smoothing=0.9, min_main_weight=1.0),
    "crossfit ema floor": dict(gain_data="crossfit", smoothing=0.9, min_main_weight=1.0),
    "last_layer previous ema": dict(approximation="last_layer", gain_data="previous",
                                    smoothing=0.9),
    "last_layer previous ema floor": dict(approximation="last_layer", gain_data="previous",
                                          smoothing=0.9, min_main_weight=1.0),
    "last_layer crossfit ema floor": dict(approximation="last_layer", gain_data="crossfit",
                                          smoothing=0.9, min_main_weight=1.0),
    "previous ema floor every 4": dict(gain_data="previous", smoothing=0.9, min_main_weight=1.0,
                                       gain_every=4),
    "previous ema floor every 8": dict(gain_data="previous", smoothing=0.9, min_main_weight=1.0,
                                       gain_every=8),
    "crossfit ema floor every 4": dict(gain_data="crossfit", smoothing=0.9, min_main_weight=1.0,
                                       gain_every=4),
    "representation ema ceiling": dict(approximation="representation", smoothing=0.9,
                                       max_main_weight=1.5),
    # Gradients of unit length.
    "previous unit": dict(gain_data="previous", unit_length=True),
    "previous unit floor": dict(gain_data="previous", unit_length=True, min_main_weight=1.0),
    "previous unit ema floor": dict(gain_data="previous", unit_length=True, smoothing=0.9,
                                    min_main_weight=1.0),
    "previous unit ema floor every 4": dict(gain_data="previous", unit_length=True,
                                            smoothing=0.9, min_main_weight=1.0, gain_every=4),
    "crossfit unit ema floor": dict(gain_data="crossfit", unit_length=True, smoothing=0.9,
                                    min_main_weight=1.0),
    "batch unit floor": dict(gain_data="batch", unit_length=True, min_main_weight=1.0),
    "running unit": dict(gain_data="running", unit_length=True),
    "running unit ema": dict(gain_data="running", unit_length=True, smoothing=0.9),
    # The evidence rule: a task is switched off only when its average gain is clearly negative.
    "previous evidence": dict(gain_data="previous", smoothing=0.9, rule="evidence"),
    "previous unit evidence": dict(gain_data="previous", unit_length=True, smoothing=0.9,
                                   rule="evidence"),
    "previous unit evidence every 4": dict(gain_data="previous", unit_length=True,
                                           smoothing=0.9, rule="evidence", gain_every=4),
    "crossfit unit evidence": dict(gain_data="crossfit", unit_length=True, smoothing=0.9,
                                   rule="evidence"),
    "representation evidence": dict(approximation="representation", smoothing=0.9,
                                    rule="evidence"),
    "running unit evidence": dict(gain_data="running", unit_length=True, smoothing=0.9,
                                  rule="evidence"),
    "previous unit evidence slow": dict(gain_data="previous", unit_length=True, smoothing=0.99,
                                        rule="evidence"),
    "previous unit evidence slow every 2": dict(gain_data="previous", unit_length=True,
                                                smoothing=0.99, rule="evidence", gain_every=2),
    "previous unit evidence slow every 4": dict(gain_data="previous", unit_length=True,
                                                smoothing=0.99, rule="evidence", gain_every=4),
    "previous unit evidence slower": dict(gain_data="previous", unit_length=True,
                                          smoothing=0.995, rule="evidence"),
    "previous unit evidence fast": dict(gain_data="previous", unit_length=True, smoothing=0.95,
                                        rule="evidence", evidence=1.0),
    "previous unit evidence hysteresis": dict(gain_data="previous", unit_length=True,
                                              smoothing=0.99, rule="evidence", hysteresis=True,
                                              gain_every=4),
    "crossfit unit evidence hysteresis": dict(gain_data="crossfit", unit_length=True,
                                              smoothing=0.99, rule="evidence", hysteresis=True,
                                              gain_every=4),
    "running unit evidence slow every 4": dict(gain_data="running", unit_length=True,
                                               smoothing=0.99, rule="evidence", gain_every=4),
    "previous unit evidence z1 every 4": dict(gain_data="previous", unit_length=True,
                                              smoothing=0.99, rule="evidence", evidence=1.0,
                                              gain_every=4),
    "running unit evidence z1 every 4": dict(gain_data="running", unit_length=True,
                                             smoothing=0.99, rule="evidence", evidence=1.0,
                                             gain_every=4),
    # Tasks on until evidence of harm (a latch), and a heavier auxiliary weight.
    "latch": {**LATCH, "auxiliary_weight": 1.0},
    "aux weight 2": {**LATCH, "hysteresis": False, "release": 0.0},
    "latch aux weight 2": LATCH,
    **{f"latch aux weight 2 every {every}": {**LATCH, "gain_every": every}
       for every in (2, 3, 4)},
    "latch aux weight 1.5": {**LATCH, "auxiliary_weight": 1.5},
    "latch aux weight 3": {**LATCH, "auxiliary_weight": 3.0},
    # An auxiliary task must help at least a share of what the main task's own step does.
    **{f"gain ratio {ratio}": {**LATCH, "gain_every": 2, "gain_ratio": ratio}
       for ratio in (0, 0.15, 0.2, 0.25, 0.5)},
}

#: name -> the weighting: a strategy name (``"single"``: single-task learning, the main target
#: alone) or a function that builds a fresh strategy object.
CONFIGURATIONS = {
    "single-task": "single",
    "equal": "equal",
    "hydalearn": "hydalearn",  # the package default, whatever it is
    "hydalearn-paper": HydaLearn.paper_rule,  # the paper's configuration
    **{name: name for name in STRATEGIES if name not in ("equal", "hydalearn")},
    "gcs weighted": partial(GradientCosineSimilarity, weighted=True),
    "torchjd mgda": partial(TorchJDAggregator, "mgda"),
    **{name: partial(hydalearn_from_options, **{**PAPER_OPTIONS, **options})
       for name, options in VARIANTS.items()},
}

#: Names under which results were recorded for a configuration that now has another name
#: (the same configuration: same predictions); reading the results applies them.
RENAMED = {"paper (batch gains)": "hydalearn-paper"}

#: The configurations that the speed suite times against equal weighting, with targets (the
#: ratio of a fit's epoch time to equal weighting's; None: no target).
TIMED = {
    "equal": None, "hydalearn": 1.5, "hydalearn-paper": 2.5, "representation": 1.3,
    "heldout": 2.5, "exact batch": 3.5, "exact heldout": 3.5,
    "previous": None, "crossfit": None, "last_layer previous": None, "last_layer crossfit": None,
    "last_layer previous ema floor": None, "previous ema floor every 4": None,
    "previous ema floor every 8": None, "previous unit evidence slow": None,
    "previous unit evidence slow every 4": None, "crossfit ema floor every 4": None,
    "latch aux weight 2": None, "latch aux weight 2 every 2": None,
    "latch aux weight 2 every 4": None,
}


#: Prefix of a configuration fitted through ``make_auxiliary_check`` (the main job's
#: ``hydalearn-checked`` is ``checked:hydalearn``).
CHECKED = "checked:"
#: Prefixes of a configuration fitted through ``_split_check.SplitCheck`` (one split, judged
#: per held-out sample: three fits), by the standard errors it asks of the main task alone.
SPLIT_CHECKED = {"split-checked:": 1.0, "split-checked-2se:": 2.0, "split-checked-3se:": 3.0}


def resolve(name):
    """The weighting of a name: a configuration, ``static:w0,w1,...`` or ``hydalearn:k=v,...``.

    Returns a string (a strategy name, or ``"single"`` for single-task
    learning), a list of static weights or a HydaLearn instance; a fresh
    object on every call. ``checked:NAME`` is NAME's weighting (the scoring
    harness wraps the model in ``make_auxiliary_check``).
    """
    for prefix in (CHECKED, *SPLIT_CHECKED):
        if name.startswith(prefix):
            return resolve(name[len(prefix):])
    if name in CONFIGURATIONS:
        spec = CONFIGURATIONS[name]
        return spec() if callable(spec) else spec
    if name.startswith("static:"):
        return [float(w) for w in name.split(":", 1)[1].split(",")]
    if not name.startswith("hydalearn:"):
        raise SystemExit(f"Unknown configuration {name!r}; expected one of "
                         f"{list(CONFIGURATIONS)}, 'static:w0,w1,...' or "
                         "'hydalearn:key=value,...'.")
    options = dict(item.split("=", 1) for item in name.split(":", 1)[1].split(","))
    return hydalearn_from_options(**{key: _literal(value) for key, value in options.items()})


def hydalearn_default_options():
    """HydaLearn's package default as keyword options, the terms of the grid's labels."""
    import _hydalearn_options

    options = getattr(_hydalearn_options, "PACKAGE_DEFAULT", None)
    if options is None:
        options = {key: value for key, value in HydaLearn().get_params().items()
                   if isinstance(value, (str, int, float, bool, type(None)))}
    return dict(options)


def _literal(value):
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value
