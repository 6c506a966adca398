"""The prediction tasks of the accuracy benchmark: generated, loans, mortality.

Each task gives numeric features and a target frame whose column 0 is the
main (binary) target; the other columns are auxiliary targets that only the
multi-task methods see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.model_selection import train_test_split

from hydasklearn.datasets import load_lending_club, load_support2, make_auxiliary_tasks


@dataclass(frozen=True)
class Task:
    """A named data set with a main target and auxiliary targets.

    Attributes
    ----------
    name : str
        Short identifier (file names, CSV rows).
    title : str
        One line for tables and plots.
    description : str
        What the main target and the auxiliary targets are (docs page).
    load : callable
        ``load() -> (X DataFrame, y DataFrame)``.
    """

    name: str
    title: str
    description: str
    load: Callable


def _generated():
    X, y, _ = make_auxiliary_tasks(
        n_samples=3000, n_features=20, aux_relations=("related", "noise", "conflicting"),
        main_noise=1.0, random_state=0, as_frame=True)
    return X, y.rename(columns={"aux_1": "related", "aux_2": "noise", "aux_3": "conflicting"})


TASKS = {
    task.name: task for task in [
        Task("generated", "Generated: related + noise + conflicting aux",
             "``make_auxiliary_tasks``: 3,000 samples, 20 standard-normal features, a binary "
             "main task; auxiliary regression targets: one *related* (the main task's latent "
             "with less noise), one pure *noise*, one *conflicting* (a non-linear function of "
             "other features that competes for the shared trunk).",
             _generated),
        Task("lending_pricing_aux", "Lending Club: rate and grade as aux targets",
             "``load_lending_club()``: 9,857 loans, main target a bad loan (5.2%); "
             "``int_rate`` and ``sub_grade`` are auxiliary targets and not features.",
             lambda: load_lending_club(aux_targets=("int_rate", "sub_grade"))),
        Task("lending_pricing_features", "Lending Club: rate and grade as features",
             "``load_lending_club(aux_targets=('delinq_2yrs', 'inq_last_6mths'))``: "
             "``int_rate`` and ``sub_grade`` are features (they are known at origination); "
             "the two credit-history counts become auxiliary targets (and leave the "
             "features, for every method).",
             lambda: load_lending_club(aux_targets=("delinq_2yrs", "inq_last_6mths"))),
        Task("support2", "SUPPORT2: 30-day death, later outcomes as aux",
             "``load_support2()``: 9,105 seriously ill patients, main target death within 30 "
             "days (27%); auxiliary targets known only afterwards: death by the end of "
             "follow-up, log days to death (missing for survivors), functional disability "
             "at 2 months (5 classes), and the day-3 physiology score.",
             load_support2),
    ]
}


def subsample(X, y, n_rows, seed=0):
    """A stratified subsample of ``n_rows`` rows (all rows when None or larger)."""
    if n_rows is None or n_rows >= len(X):
        return X, y
    rows, _ = train_test_split(np.arange(len(X)), train_size=n_rows, random_state=seed,
                               stratify=y.iloc[:, 0])
    rows = np.sort(rows)
    return X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)


def split(y, seed, valid=0.2, test=0.2):
    """Stratified train / validation / test row indices, the same for every method."""
    rows = np.arange(len(y))
    main = y.iloc[:, 0].to_numpy()
    rest, test_rows = train_test_split(rows, test_size=test, random_state=seed, stratify=main)
    train_rows, valid_rows = train_test_split(
        rest, test_size=valid / (1 - test), random_state=seed, stratify=main[rest])
    return train_rows, valid_rows, test_rows
