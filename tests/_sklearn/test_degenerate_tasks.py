"""Auxiliary columns with fewer than two labels in a fit's rows: left out, never an error."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPRegressor

from hydasklearn import DegenerateTaskWarning, HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.metrics import main_task_scorer
from hydasklearn.model_selection import MainTaskStratifiedKFold
from hydasklearn.weighting import STRATEGIES

FIT = {"max_iter": 4, "hidden_layer_sizes": (16,), "batch_size": 50, "random_state": 0}


def _ignore_convergence():
    warnings.filterwarnings("ignore", message=".*maximum iterations")


def _rare_label_data(n_samples=400):
    """A main task and a rare auxiliary label: 3 positives, all in the first test fold."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 4))
    main = (X[:, 0] + 0.5 * rng.normal(size=n_samples) > 0).astype(int)
    rare = np.zeros(n_samples)
    rare[np.flatnonzero(main == 1)[:3]] = 1  # unshuffled folds: all in the first one
    return X, pd.DataFrame({"main": main, "rare": rare, "size": X[:, 1]})


def test_cross_validation_with_a_rare_auxiliary_label_scores_every_fold():
    X, y = _rare_label_data()
    model = HydaMultiTaskClassifier(max_iter=10, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ignore_convergence()
        scores = cross_val_score(model, X, y, cv=MainTaskStratifiedKFold(5),
                                 scoring=main_task_scorer("roc_auc"))
    assert not np.isnan(scores).any() and (scores > 0.7).all()
    degenerate = [w for w in caught if w.category is DegenerateTaskWarning]
    assert len(degenerate) == 1  # the fold that trains without the positives
    assert "'rare' has a single distinct label (0.0 in all 320 labeled rows)" in str(
        degenerate[0].message)


def test_the_warning_is_a_user_warning_that_can_be_filtered():
    assert issubclass(DegenerateTaskWarning, UserWarning)
    X, y = _rare_label_data(40)
    y["rare"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _ignore_convergence()
        warnings.filterwarnings("ignore", category=DegenerateTaskWarning)
        HydaMultiTaskClassifier(**FIT).fit(X, y)


@pytest.mark.filterwarnings("ignore")
def test_a_left_out_task_is_predicted_as_its_constant_and_not_trained():
    X, y = _rare_label_data(60)
    y["rare"] = 1.0
    y["flag"] = ["yes" if i % 3 else None for i in range(len(y))]
    y["nothing"] = np.nan
    model = HydaMultiTaskClassifier(aux_tasks=["binary", "regression", "binary", "regression"],
                                    **FIT).fit(X, y)
    predicted = model.predict_tasks(X[:4])
    assert predicted["rare"].tolist() == [1.0] * 4
    assert predicted["flag"].tolist() == ["yes"] * 4
    assert np.isnan(predicted["nothing"]).all()
    assert np.isfinite(predicted["size"]).all()
    assert list(model.task_types_) == ["main", "rare", "size", "flag", "nothing"]
    for name in ("rare", "flag", "nothing"):  # no label in training: loss 0 on every epoch
        assert (model.task_loss_curves_[name] == 0).all()
    assert (model.task_loss_curves_["size"] > 0).all()


@pytest.mark.filterwarnings("ignore")
def test_a_classification_task_without_any_label_predicts_missing_labels():
    X, y = _rare_label_data(40)
    y["rare"] = None
    model = HydaMultiTaskClassifier(**FIT).fit(X, y)
    assert model.predict_tasks(X[:3])["rare"].tolist() == [None] * 3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_constant_regression_target_is_left_out():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    y = np.column_stack([X[:, 0], np.full(50, 2.5), X[:, 1]])
    with pytest.warns(DegenerateTaskWarning, match=r"'aux_1' is constant \(2.5 in all 50"):
        model = HydaMultiTaskRegressor(**FIT).fit(X, y)
    assert model.predict_tasks(X[:3])["aux_1"].tolist() == [2.5] * 3


def test_the_main_task_with_one_class_keeps_scikit_learns_error():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="only one class"):
        HydaMultiTaskClassifier(**FIT).fit(X, np.column_stack([np.ones(10), np.arange(10) % 2]))


@pytest.mark.filterwarnings("ignore")
def test_a_one_row_regression_fit_works_as_mlp_regressors():
    X, y = np.array([[1.0, 2.0]]), np.array([3.0])
    model = HydaMultiTaskRegressor(max_iter=5).fit(X, y)
    assert model.predict(X).shape == (1,)
    with_aux = HydaMultiTaskRegressor(max_iter=5).fit(X, np.array([[3.0, 1.0]]))
    assert with_aux.predict_tasks(X)["aux_1"].tolist() == [1.0]
    # With early stopping there is no row to hold out, for MLPRegressor neither.
    for estimator in (MLPRegressor(early_stopping=True), HydaMultiTaskRegressor(
            early_stopping=True)):
        with pytest.raises(ValueError, match="train set will be empty"):
            estimator.fit(X, y)


@pytest.mark.parametrize("weighting", [name for name in STRATEGIES if name != "torchjd"])
def test_every_strategy_trains_beside_a_left_out_task(weighting):
    X, y = _rare_label_data(100)
    y["rare"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HydaMultiTaskClassifier(weighting=weighting, **FIT).fit(X, y)
    assert np.isfinite(model.weight_history_).all()
    assert np.isfinite(model.predict_proba(X)).all()
    assert (model.predict_tasks(X[:2])["rare"] == 0.0).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_leaves_a_task_out_for_good_from_its_first_chunk():
    X, y = _rare_label_data(200)
    y["rare"] = np.r_[np.zeros(100), np.arange(100) % 2]
    model = HydaMultiTaskClassifier(random_state=0)
    with pytest.warns(DegenerateTaskWarning, match="'rare'"):
        model.partial_fit(X[:100], y.iloc[:100], classes=[0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateTaskWarning)
        model.partial_fit(X[100:], y.iloc[100:])  # both labels now: still left out
    assert (model.predict_tasks(X)["rare"] == 0.0).all()
    assert model.task_loss_curves_["rare"].tolist() == [0.0, 0.0]


@pytest.mark.filterwarnings("ignore")
def test_the_task_report_and_plots_read_a_left_out_task():
    X, y = _rare_label_data(100)
    y["rare"] = 0.0
    model = HydaMultiTaskClassifier(**FIT).fit(X, y)
    report = model.auxiliary_task_report_
    assert report.loc["rare", "mean_gain"] == 0 and report.loc["rare", "verdict"] == "no evidence"
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hydasklearn import plotting

    for plot in (plotting.plot_task_weights, plotting.plot_gains, plotting.plot_loss_curves,
                 plotting.plot_task_evidence):
        plot(model)
    plt.close("all")
