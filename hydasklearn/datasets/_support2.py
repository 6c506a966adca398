"""Loader of SUPPORT2 that ``SurvSet`` ships: ICU mortality and later outcomes."""

from __future__ import annotations

import re
import warnings

import numpy as np

from ._loading import check_names, frames_or_arrays, require

SUPPORT2_OUTCOMES = ("death_by_end", "log_survival_days", "functional_outcome",
                     "physiology_score", "dnr_after_entry")
#: ``sfdm2`` from best to worst; the last level means death before the 2-month interview.
_FUNCTIONAL_LEVELS = ("no(M2 and SIP pres)", "adl>=4 (>=5 if sur)", "SIP>=30",
                      "Coma or Intub", "<2 mo. follow-up")
#: Fill values for missing labs recommended with the SUPPORT2 data (normal values).
_SUPPORT2_NORMAL_VALUES = {"alb": 3.5, "pafi": 333.3, "bili": 1.01, "crea": 1.01,
                           "bun": 6.51, "wblc": 9.0, "urine": 2502.0}
_SUPPORT2_NUMERIC = ("age", "num_co", "edu", "scoma", "hday", "meanbp", "wblc", "hrt", "resp",
                     "temp", "pafi", "alb", "bili", "crea", "sod", "ph", "glucose", "bun",
                     "urine", "adlp", "adls")
_SUPPORT2_LOG_COLUMNS = ("hday", "wblc", "bili", "crea", "glucose", "bun", "urine")
#: A missing-value indicator is added for columns with more missing values than this share.
_INDICATOR_SHARE = 0.01


def load_support2(aux_targets=("death_by_end", "log_survival_days", "functional_outcome",
                               "physiology_score"), *, as_frame=True):
    """Load SUPPORT2 (seriously ill hospitalized adults): 30-day death and later outcomes.

    9,105 patients of the SUPPORT study (five US medical centers, 1989-1994)
    who entered the study at a life-threatening stage of one of nine
    diseases, as shipped by ``SurvSet`` (data set ``support2``). The main
    target is death within 30 days of study entry (27% of the patients; no
    survivor was lost to follow-up before day 30). ``SurvSet`` ships a
    reduced SUPPORT2 without the in-hospital death, length of stay and cost
    columns of the full file, so in-hospital death cannot be the main target
    here; 30-day death is its closest stand-in.

    The outcome-side columns are exactly what auxiliary targets are for:
    known in historical records, unknown when a prediction is needed. They
    are never features. ``aux_targets`` chooses among
    :data:`SUPPORT2_OUTCOMES`:

    - ``death_by_end``: death before the end of follow-up (up to 5.5 years;
      68%), binary;
    - ``log_survival_days``: log of the days from study entry to death,
      regression; missing (NaN) for patients alive at their last follow-up,
      whose survival time is unknown;
    - ``functional_outcome``: functional disability at the 2-month interview
      (``sfdm2``), five ordered classes, 0 = none, 1 = 4 or more ADLs
      impaired, 2 = Sickness Impact Profile >= 30, 3 = coma or intubated,
      4 = died before the interview; missing where not recorded;
    - ``physiology_score``: the SUPPORT acute physiology score (``sps``) of
      day 3, regression. It summarizes the physiology features, so it is a
      feature when not chosen here;
    - ``dnr_after_entry``: a do-not-resuscitate order written after study
      entry, binary.

    Columns left out of the features because they leak the outcome:
    ``surv2m`` and ``surv6m`` (2- and 6-month survival predicted by the
    SUPPORT prognostic model, which was fitted on this very cohort and its
    outcomes), the DNR order when written after study entry (a decision
    taken as the patient's condition worsens; a DNR order before entry is
    kept as the feature ``dnr_before_entry``), and the outcomes above.
    ``dzclass`` is left out as a grouping of ``dzgroup``, and the
    categorical copy of ``num.co``.

    Feature encoding: ``sex`` is 1 for female, ``diabetes`` and
    ``dementia`` are 0/1, ``ca`` (cancer) is ordinal (no = 0, yes = 1,
    metastatic = 2); ``dzgroup``, ``race`` and ``income`` are one-hot
    encoded, with their ``missing`` level as a column of its own; the skewed
    ``hday``, ``wblc``, ``bili``, ``crea``, ``glucose``, ``bun`` and
    ``urine`` are given as ``log(1 + x)``. Missing laboratory values are
    filled with the normal values recommended with the data (``alb`` 3.5,
    ``pafi`` 333.3, ``bili`` 1.01, ``crea`` 1.01, ``bun`` 6.51, ``wblc`` 9,
    ``urine`` 2502), other missing values with the column's median over the
    whole data set; every column with more than 1% missing values gets a
    ``<name>_missing`` indicator.

    Parameters
    ----------
    aux_targets : sequence of str, default=("death_by_end", "log_survival_days", \
"functional_outcome", "physiology_score")
        Outcome columns (:data:`SUPPORT2_OUTCOMES`) used as auxiliary
        targets, in this order.
    as_frame : bool, default=True
        Return pandas DataFrames (``functional_outcome`` and the binary
        targets as nullable ``Int64``, so that their types are inferred as
        classes); otherwise float ndarrays (pass ``aux_tasks`` to the
        estimator then: float class codes would be read as regression).

    Returns
    -------
    X : DataFrame or ndarray of shape (9105, n_features)
        Numeric features, no missing values.
    y : DataFrame or ndarray of shape (9105, 1 + len(aux_targets))
        Column ``death_30d`` (1 for death within 30 days), then the
        auxiliary targets.

    Raises
    ------
    ImportError
        When ``SurvSet`` is not installed: ``pip install hydasklearn[mortality]``.

    Notes
    -----
    Source: W. A. Knaus et al., "The SUPPORT prognostic model: objective
    estimates of survival for seriously ill hospitalized adults", Annals of
    Internal Medicine 122(3):191-203, 1995; data from the Vanderbilt
    Biostatistics data repository (hbiostat.org/data), packaged by
    E. Drysdale, "SurvSet: an open-source time-to-event dataset
    repository", arXiv:2203.03094, 2022. ICU mortality is the second real
    domain of the HydaLearn paper (Verboven et al., 2023).

    Examples
    --------
    >>> from hydasklearn.datasets import load_support2
    >>> X, y = load_support2()  # doctest: +SKIP
    >>> list(y.columns)  # doctest: +SKIP
    ['death_30d', 'death_by_end', 'log_survival_days', 'functional_outcome', 'physiology_score']
    """
    survset = require("SurvSet.data", "mortality", "load_support2")
    import pandas as pd

    aux_targets = check_names(aux_targets, SUPPORT2_OUTCOMES, "aux_targets")
    with warnings.catch_warnings():
        # SurvSet's pickles refer to numpy.core, which numpy 2 renamed (a harmless warning).
        warnings.simplefilter("ignore", DeprecationWarning)
        raw = survset.SurvLoader().load_dataset("support2")["df"].reset_index(drop=True)
    # SurvSet prefixes numeric columns num_ and categorical ones fac_ (num.co is in both).
    raw = raw.drop(columns="fac_num_co").rename(columns=lambda c: re.sub("^(num|fac)_", "", c))
    died = raw["event"] == 1
    dnr = raw["dnr"].astype(str)
    outcomes = pd.DataFrame({
        "death_30d": (died & (raw["time"] <= 30)).astype(np.int64),
        "death_by_end": pd.array(died.astype(int), dtype="Int64"),
        "log_survival_days": np.log(raw["time"].astype(np.float64)).where(died),
        "functional_outcome": _ordinal(raw["sfdm2"].astype(str), _FUNCTIONAL_LEVELS),
        "physiology_score": raw["sps"].astype(np.float64),
        "dnr_after_entry": pd.array(np.where(dnr == "missing", None, dnr == "dnr after sadm"),
                                    dtype="Int64"),
    })
    X = _support2_features(raw, with_physiology_score="physiology_score" not in aux_targets)
    return frames_or_arrays(X, outcomes[["death_30d", *aux_targets]], as_frame)


def _support2_features(raw, with_physiology_score):
    import pandas as pd

    numeric = list(_SUPPORT2_NUMERIC) + (["sps"] if with_physiology_score else [])
    X = pd.DataFrame(index=raw.index)
    indicators = {}
    for column in numeric:
        values = raw[column].astype(np.float64)
        if values.isna().mean() > _INDICATOR_SHARE:
            indicators[f"{column}_missing"] = values.isna().astype(np.float64)
        fill = _SUPPORT2_NORMAL_VALUES.get(column, values.median())
        values = values.fillna(fill)
        X[column] = np.log1p(values) if column in _SUPPORT2_LOG_COLUMNS else values
    X["female"] = (raw["sex"].astype(str) == "female").astype(np.float64)
    for column in ("diabetes", "dementia"):
        X[column] = raw[column].astype(int).astype(np.float64)
    X["cancer"] = raw["ca"].astype(str).map({"no": 0.0, "yes": 1.0, "metastatic": 2.0})
    X["dnr_before_entry"] = (raw["dnr"].astype(str) == "dnr before sadm").astype(np.float64)
    dummies = [pd.get_dummies(raw[c].astype(str), prefix=c, dtype=np.float64)
               for c in ("dzgroup", "race", "income")]
    return pd.concat([X, pd.DataFrame(indicators), *dummies], axis=1)


def _ordinal(values, levels):
    import pandas as pd

    codes = values.map({level: k for k, level in enumerate(levels)})
    return pd.array(codes.astype("Float64"), dtype="Int64")
