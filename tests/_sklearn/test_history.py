"""Training history as DataFrames: ``training_history`` and ``hydasklearn._sklearn.history``."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _fitting import auxiliary_data, fit_quietly
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor

pd = pytest.importorskip("pandas")

N_SAMPLES, BATCH, EPOCHS = 130, 50, 3  # 3 steps per epoch, the last one short


def _fit(**params):
    X, y = auxiliary_data(n_samples=N_SAMPLES, n_informative=3)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), batch_size=BATCH,
                                    max_iter=EPOCHS, random_state=0, **params)
    return fit_quietly(model, X, y), X, y


@pytest.fixture(scope="module")
def fitted():
    return _fit()[0]


def test_step_history_matches_recorded_attributes(fitted):
    steps = fitted.training_history("step")
    names = fitted.task_names_
    assert steps.index.name == "step"
    assert list(steps.index) == list(range(len(fitted.weight_history_)))
    assert list(steps.columns) == (["epoch", "batch_size"] + [f"weight_{n}" for n in names]
                                   + [f"gain_{n}" for n in names] + [f"loss_{n}" for n in names])
    np.testing.assert_array_equal(steps[[f"weight_{n}" for n in names]], fitted.weight_history_)
    np.testing.assert_array_equal(steps[[f"gain_{n}" for n in names]], fitted.gain_history_)
    assert steps["epoch"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert steps["batch_size"].tolist() == [BATCH, BATCH, N_SAMPLES - 2 * BATCH] * EPOCHS


def test_epoch_history_aggregates_the_steps(fitted):
    epochs = fitted.training_history(level="epoch")
    steps = fitted.training_history()
    names = fitted.task_names_
    assert epochs.index.name == "epoch" and epochs.index.tolist() == [1, 2, 3]
    assert "valid_loss" not in epochs  # no early stopping
    for name in names:
        np.testing.assert_allclose(epochs[f"loss_{name}"], fitted.task_loss_curves_[name])
        weighted = (steps[f"loss_{name}"] * steps["batch_size"]).groupby(steps["epoch"]).sum()
        np.testing.assert_allclose(epochs[f"loss_{name}"],
                                   weighted / steps.groupby("epoch")["batch_size"].sum())
        np.testing.assert_allclose(epochs[f"weight_{name}"],
                                   steps.groupby("epoch")[f"weight_{name}"].mean())
    assert (epochs["duration"] > 0).all()


def test_epoch_history_has_validation_loss_with_early_stopping():
    model = _fit(early_stopping=True, validation_fraction=0.2)[0]
    epochs = model.training_history("epoch")
    np.testing.assert_allclose(epochs["valid_loss"], model.validation_loss_curve_)


def test_history_continues_across_warm_starts():
    model, X, y = _fit(warm_start=True)
    fit_quietly(model, X, y)
    steps = model.training_history()
    assert len(steps) == 2 * 3 * EPOCHS
    assert steps["epoch"].iloc[-1] == 2 * EPOCHS
    assert model.training_history("epoch").index.tolist() == list(range(1, 2 * EPOCHS + 1))


def test_regressor_and_strategies_without_gains():
    X = np.random.RandomState(0).normal(size=(60, 3))
    y = np.column_stack([X[:, 0], X[:, 1]])
    model = HydaMultiTaskRegressor(weighting="equal", max_iter=2, random_state=0).fit(X, y)
    steps = model.training_history()
    assert steps[["gain_main", "gain_aux_1"]].isna().all().all()
    assert (steps[["weight_main", "weight_aux_1"]] == 1.0).all().all()


def test_pipeline_and_search_are_unwrapped(fitted):
    from hydasklearn._sklearn.history import step_history

    X, y = auxiliary_data(n_samples=80, n_features=4, n_informative=2, seed=1)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    pipeline = fit_quietly(make_pipeline(StandardScaler(), model), X, y)
    search = fit_quietly(GridSearchCV(pipeline, {"hydamultitaskclassifier__alpha": [1e-4]}, cv=2),
                         X, y)
    pd.testing.assert_frame_equal(step_history(pipeline), pipeline[-1].training_history())
    pd.testing.assert_frame_equal(step_history(search),
                                  search.best_estimator_[-1].training_history())


def test_bad_input_gives_clear_errors(fitted, monkeypatch):
    from hydasklearn._sklearn.history import step_history

    with pytest.raises(ValueError, match="level must be one of"):
        fitted.training_history("batch")
    with pytest.raises(NotFittedError):
        HydaMultiTaskClassifier().training_history()
    with pytest.raises(NotFittedError):
        step_history(make_pipeline(StandardScaler(), HydaMultiTaskClassifier()))
    with pytest.raises(TypeError, match="HydaMultiTaskClassifier or HydaMultiTaskRegressor"):
        step_history(LinearRegression())
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas"):
        fitted.training_history()
