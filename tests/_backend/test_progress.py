"""verbose: a progress bar (1), one line per epoch (2), nothing (0)."""

import pickle
import re

import numpy as np
import pytest

from _fitting import FAST, fit_quietly
from hydasklearn import HydaMultiTaskClassifier


def _data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = np.column_stack([X[:, 0] > 0, X[:, 0] + X[:, 1]])
    return X, y


def _fit(verbose, **params):
    X, y = _data()
    params = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0, **params}
    return fit_quietly(HydaMultiTaskClassifier(verbose=verbose, **params), X, y)


def test_verbose_0_prints_nothing(capsys):
    _fit(verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_shows_one_bar_over_epochs(capsys):
    _fit(verbose=1)
    captured = capsys.readouterr()
    assert captured.out == ""  # no skorch epoch table
    assert re.search(r"3/3 \[", captured.err)
    assert re.search(r"main \d\.\d{4}  aux_1 \d\.\d{4}", captured.err)


def test_verbose_2_prints_a_line_per_epoch(capsys):
    model = _fit(verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, (line, loss) in enumerate(zip(lines, model.loss_curve_), start=1):
        assert line.startswith(f"epoch {epoch}/3  main {loss:.4f}  aux_1 ")


def test_early_stopping_reports_the_last_epoch_and_validation(capsys):
    model = _fit(verbose=2, max_iter=50, early_stopping=True, n_iter_no_change=1, tol=10.0)
    lines = capsys.readouterr().out.splitlines()
    assert model.n_iter_ < 50  # it stopped early
    assert len(lines) == model.n_iter_
    assert all(f"valid {loss:.4f}" in line
               for line, loss in zip(lines, model.validation_loss_curve_))


def test_warm_start_counts_the_new_epochs(capsys):
    model = _fit(verbose=2, warm_start=True)
    fit_quietly(model, *_data())
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"] * 2


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_models_pickle(verbose):
    model = _fit(verbose=verbose)
    restored = pickle.loads(pickle.dumps(model))
    X, _ = _data()
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_verbose_zero_prints_nothing(mixed, capsys):
    X, y = mixed
    HydaMultiTaskClassifier(verbose=0, **FAST).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    HydaMultiTaskClassifier(verbose=2, **FAST).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out + captured.err != ""

