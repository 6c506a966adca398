"""The estimators as scikit-learn users meet them: pipelines, searches, pandas, pickling, errors."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.metrics import main_task_scorer

FAST = {"max_iter": 5, "hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}


def _mixed_data(n_samples=160, seed=0):
    """Features and a 2-D object y: main binary (0/1), aux binary strings with
    missing labels, aux multiclass strings, aux regression in large units with NaN."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 5)) * [1, 10, 100, 1, 1]
    signal = X[:, 0] + X[:, 1] / 10
    y = np.empty((n_samples, 4), dtype=object)
    y[:, 0] = (signal > 0).astype(int)
    y[:, 1] = np.where(X[:, 0] > 0, "up", "down")
    y[::4, 1] = None
    y[:, 2] = np.array(["red", "green", "blue"])[rng.randint(3, size=n_samples)]
    y[:, 3] = 1000.0 + 50.0 * signal
    y[::5, 3] = np.nan
    return X, y


def _regression_data(n_samples=160, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 4))
    main = X @ [2.0, -1.0, 0.5, 0.0]
    aux = (X[:, 0] > 0).astype(float)
    aux[::3] = np.nan
    return X, np.column_stack([main, aux])


@pytest.fixture(scope="module")
def mixed():
    return _mixed_data()


# ------------------------------------------------------------ sklearn tools
def test_pipeline_with_scaler(mixed):
    X, y = mixed
    model = make_pipeline(StandardScaler(), HydaMultiTaskClassifier(weighting="equal", **FAST))
    model.fit(X, y)
    assert model.predict(X).shape == (len(X),)
    assert 0.0 <= model.score(X, y) <= 1.0
    assert set(model[-1].predict_tasks(StandardScaler().fit_transform(X))) == {
        "main", "aux_1", "aux_2", "aux_3"}


@pytest.mark.parametrize("estimator, scoring, data", [
    (HydaMultiTaskClassifier, "roc_auc", _mixed_data),
    (HydaMultiTaskRegressor, "r2", _regression_data),
])
def test_grid_search_over_weighting_and_alpha(estimator, scoring, data):
    X, y = data()
    search = GridSearchCV(
        estimator(**FAST),
        {"weighting": ["equal", "hydalearn"], "alpha": [1e-4, 1e-2]},
        # A classifier with cv=int makes scikit-learn stratify on the whole y, which
        # cannot sort a y of mixed types: an explicit splitter is needed.
        scoring=main_task_scorer(scoring), cv=KFold(2, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,) and np.all(np.isfinite(scores))
    assert search.best_params_["weighting"] in ("equal", "hydalearn")
    assert np.isfinite(search.score(X, y))


def test_grid_search_in_two_processes(mixed):
    X, y = mixed
    grid = {"weighting": ["equal", [1.0, 0.5, 0.5, 0.5]]}
    folds = list(KFold(2, shuffle=True, random_state=0).split(X))
    search = GridSearchCV(HydaMultiTaskClassifier(**FAST), grid, cv=folds, n_jobs=2,
                          scoring=main_task_scorer("roc_auc"))
    search.fit(X, y)
    serial = GridSearchCV(HydaMultiTaskClassifier(**FAST), grid, cv=folds, n_jobs=1,
                          scoring=main_task_scorer("roc_auc")).fit(X, y)
    # Same random_state, same folds: the worker processes give the same scores.
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"])


def test_cross_validate_with_several_scorers(mixed):
    X, y = mixed
    results = cross_validate(
        HydaMultiTaskClassifier(**FAST), X, y, cv=KFold(3, shuffle=True, random_state=0),
        scoring={"auc": main_task_scorer("roc_auc"), "accuracy": main_task_scorer()},
    )
    assert results["test_auc"].shape == (3,)
    assert np.all((results["test_accuracy"] >= 0) & (results["test_accuracy"] <= 1))


def test_main_task_scorer_matches_score(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    assert main_task_scorer()(model, X, y) == model.score(X, y)
    assert main_task_scorer("accuracy")(model, X, y) == model.score(X, y)
    assert "roc_auc" in repr(main_task_scorer("roc_auc"))


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(weighting=[1.0, 0.5, 0.5, 0.5], **FAST).fit(X, y)
    copy = clone(model)
    assert not hasattr(copy, "net_")
    assert copy.get_params() == model.get_params()
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("round_trip", ["pickle", "joblib"])
def test_serialisation_round_trip_keeps_predictions(mixed, round_trip):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    if round_trip == "pickle":
        restored = pickle.loads(pickle.dumps(model))
    else:
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    for name, predictions in model.predict_tasks(X).items():
        np.testing.assert_array_equal(restored.predict_tasks(X)[name], predictions)


# --------------------------------------------------------- targets and pandas
def test_mixed_aux_types_and_missing_labels(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    assert model.task_names_ == ["main", "aux_1", "aux_2", "aux_3"]
    assert model.task_types_ == {"main": "binary", "aux_1": "binary",
                                 "aux_2": "multiclass", "aux_3": "regression"}
    predictions = model.predict_tasks(X)
    assert set(np.unique(predictions["main"])) <= {0, 1}
    assert set(predictions["aux_1"]) <= {"up", "down"}
    assert set(predictions["aux_2"]) <= {"red", "green", "blue"}
    assert predictions["aux_3"].dtype == np.float64
    assert np.all(np.isfinite(list(model.task_loss_curves_["aux_3"])))
    np.testing.assert_array_equal(model.classes_, [0, 1])


def test_regression_aux_is_predicted_in_its_own_units():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    aux = 1000.0 + 50.0 * X[:, 0]
    y = np.column_stack([X[:, 0] > 0, aux])
    model = HydaMultiTaskClassifier(weighting="equal", max_iter=40, hidden_layer_sizes=(16,),
                                    learning_rate_init=1e-2, random_state=0).fit(X, y)
    predicted = model.predict_tasks(X)["aux_1"]
    # Trained on standardised values, predicted back in the original units.
    assert abs(predicted.mean() - 1000.0) < 10.0
    assert np.corrcoef(predicted, aux)[0, 1] > 0.9


def test_pandas_X_and_y(mixed):
    X, y = mixed
    X_frame = pd.DataFrame(X, columns=[f"feature_{j}" for j in range(X.shape[1])])
    y_frame = pd.DataFrame({
        "default": pd.Series(np.where(y[:, 0] == 1, "yes", "no")),
        "direction": pd.Categorical(y[:, 1]),
        "income": pd.array(y[:, 3], dtype="Float64"),
        "grade": pd.array(np.where(X[:, 2] > 0, 1, 2), dtype="Int64"),
    })
    y_frame.loc[2, "grade"] = pd.NA
    model = HydaMultiTaskClassifier(**FAST).fit(X_frame, y_frame)
    assert model.task_names_ == ["default", "direction", "income", "grade"]
    assert model.task_types_ == {"default": "binary", "direction": "binary",
                                 "income": "regression", "grade": "binary"}
    np.testing.assert_array_equal(model.feature_names_in_, X_frame.columns)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    predictions = model.predict_tasks(X_frame)
    assert set(predictions["grade"]) <= {1, 2}
    assert model.score(X_frame, y_frame) == model.score(X_frame, y_frame["default"])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X)


def test_string_labels_in_main_and_aux():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    y = np.column_stack([np.array(["cat", "dog", "eel"])[np.argmax(X, axis=1)],
                         np.where(X[:, 0] > 0, "pos", "neg")])
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "eel"])
    assert set(model.predict(X)) <= {"cat", "dog", "eel"}
    assert model.predict_proba(X).shape == (150, 3)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert set(model.predict_tasks(X)["aux_1"]) <= {"pos", "neg"}
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)))


def test_a_rows_prediction_does_not_depend_on_the_rows_predicted_with_it(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    together = model.predict_proba(X)
    # Inference runs in float64, but BLAS picks kernels (blocking, SIMD tails,
    # summation order) by the number of rows and the CPU, so the same row can
    # come out a few ulps (~1e-16) apart. Probabilities lie in [0, 1]: 1e-12
    # absolute is far above such rounding and far below what a real dependence
    # on the other rows (batch statistics, float32 arithmetic: ~1e-7) would give.
    rounding = {"rtol": 1e-12, "atol": 1e-12}
    one_by_one = np.vstack([model.predict_proba(X[i:i + 1]) for i in range(20)])
    np.testing.assert_allclose(one_by_one, together[:20], **rounding)
    np.testing.assert_allclose(model.predict_proba(X[::-1]), together[::-1], **rounding)
    # Same rows in the same order and the same threads: bit for bit.
    np.testing.assert_array_equal(model.predict_proba(X), together)


def test_fit_accepts_float32_and_reversed_views(mixed):
    X, y = mixed
    X32 = X.astype(np.float32)
    reversed_fit = HydaMultiTaskClassifier(**FAST).fit(X32[::-1], y[::-1])
    assert reversed_fit.predict(X32[::-1]).shape == (len(X),)


def test_predict_tasks_main_matches_predict(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(model.predict_tasks(X)["main"], model.predict(X))


def test_column_vector_y_warns_and_equals_one_dimensional(mixed):
    X, y = mixed
    main = y[:, 0].astype(int)
    with pytest.warns(DataConversionWarning):
        column = HydaMultiTaskClassifier(**FAST).fit(X, main[:, None])
    flat = HydaMultiTaskClassifier(**FAST).fit(X, main)
    assert column.task_names_ == flat.task_names_ == ["main"]
    np.testing.assert_array_equal(column.predict_proba(X), flat.predict_proba(X))


def test_score_accepts_one_and_two_dimensional_y(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    expected = np.mean(model.predict(X) == y[:, 0].astype(int))
    assert model.score(X, y) == pytest.approx(expected)
    assert model.score(X, y[:, 0].astype(int)) == pytest.approx(expected)
    # Only the main task is scored: auxiliary labels the model never saw do not matter.
    unseen = y.copy()
    unseen[:, 2] = "purple"
    assert model.score(X, unseen) == pytest.approx(expected)


def test_regressor_scores_r2_on_main_task():
    X, y = _regression_data()
    model = HydaMultiTaskRegressor(**FAST).fit(X, y)
    predictions = model.predict(X)
    r2 = 1 - np.sum((y[:, 0] - predictions) ** 2) / np.sum((y[:, 0] - y[:, 0].mean()) ** 2)
    assert model.score(X, y) == pytest.approx(r2)
    assert model.score(X, y[:, 0]) == pytest.approx(r2)
    assert not hasattr(model, "classes_")
    assert model.task_types_ == {"main": "regression", "aux_1": "binary"}


# ---------------------------------------------------------- fitted attributes
def test_fitted_attribute_shapes(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    n_steps = FAST["max_iter"] * int(np.ceil(len(X) / FAST["batch_size"]))
    assert model.n_iter_ == FAST["max_iter"]
    assert len(model.loss_curve_) == model.n_iter_
    assert set(model.task_loss_curves_) == set(model.task_names_)
    assert all(len(curve) == model.n_iter_ for curve in model.task_loss_curves_.values())
    np.testing.assert_allclose(model.task_loss_curves_["main"], model.loss_curve_, rtol=1e-5)
    assert model.weight_history_.shape == (n_steps, 4)
    assert model.n_features_in_ == 5
    assert not hasattr(model, "validation_loss_curve_")


def test_static_weights_are_used_at_every_step(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(weighting=[1.0, 0.0, 0.25, 2.0], **FAST).fit(X, y)
    np.testing.assert_array_equal(np.unique(model.weight_history_, axis=0),
                                  [[1.0, 0.0, 0.25, 2.0]])
    equal = HydaMultiTaskClassifier(weighting="equal", **FAST).fit(X, y)
    np.testing.assert_array_equal(np.unique(equal.weight_history_, axis=0), [[1.0] * 4])


def test_aux_tasks_list_sets_the_types(mixed):
    X, y = mixed
    y = y.copy()
    income = y[:, 3].astype(float)
    y[:, 3] = np.where(np.isnan(income), None, (np.nan_to_num(income) > 1000).astype(object))
    model = HydaMultiTaskClassifier(aux_tasks=["binary", "classification", "binary"], **FAST)
    model.fit(X, y)
    assert list(model.task_types_.values()) == ["binary", "binary", "multiclass", "binary"]


def test_zero_weight_aux_tasks_equal_single_task_training(mixed):
    # Weight 0 on every auxiliary loss must give exactly the single-task model's
    # main-task predictions (the heads of the auxiliary tasks never touch the trunk).
    X, y = mixed
    single = HydaMultiTaskClassifier(**FAST).fit(X, y[:, 0].astype(int))
    zero = HydaMultiTaskClassifier(weighting=[1.0, 0.0, 0.0, 0.0], **FAST).fit(X, y)
    np.testing.assert_allclose(zero.predict_proba(X), single.predict_proba(X), atol=1e-5)


# ------------------------------------------------------ randomness, training
def test_random_state_reproduces_bit_for_bit_without_touching_global_rng(mixed):
    X, y = mixed
    params = {**FAST, "dropout": 0.2, "early_stopping": True}
    state = torch.random.get_rng_state()
    first = HydaMultiTaskClassifier(**params).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    second = HydaMultiTaskClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    np.testing.assert_array_equal(first.weight_history_, second.weight_history_)
    other = HydaMultiTaskClassifier(**{**params, "random_state": 1}).fit(X, y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_warm_start_continues_training(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(warm_start=True, **FAST).fit(X, y)
    first_proba = model.predict_proba(X)
    model.set_params(max_iter=3)
    model.fit(X, y)
    assert model.n_iter_ == FAST["max_iter"] + 3
    assert len(model.loss_curve_) == model.n_iter_
    assert model.weight_history_.shape[0] == model.n_iter_ * int(np.ceil(len(X) / 32))
    assert not np.array_equal(model.predict_proba(X), first_proba)
    cold = HydaMultiTaskClassifier(**FAST).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == FAST["max_iter"]


def test_warm_start_needs_the_same_tasks(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(warm_start=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True needs the same tasks"):
        model.fit(X, y[:, :2])


def test_early_stopping_stops_and_records_validation_loss():
    X, y = _regression_data(n_samples=200)
    model = HydaMultiTaskRegressor(early_stopping=True, n_iter_no_change=2, tol=10.0,
                                   max_iter=50, hidden_layer_sizes=(16,), random_state=0)
    model.fit(X, y)
    # With a tolerance no epoch can beat, training stops after the patience runs out.
    assert model.n_iter_ == 3
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.validation_loss_curve_))


def test_max_iter_reached_warns_about_convergence(mixed):
    X, y = mixed
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)


class _EpochRecorder(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("seen_by_user_callback", len(net.history))


def test_user_skorch_callbacks_are_passed_through(mixed):
    X, y = mixed
    recorder = _EpochRecorder()
    model = HydaMultiTaskClassifier(callbacks=[("recorder", recorder)], **FAST).fit(X, y)
    assert model.net_.history[:, "seen_by_user_callback"] == list(range(1, FAST["max_iter"] + 1))
    assert model.callbacks[0][1] is recorder  # the parameter itself is left as given
    HydaMultiTaskClassifier(callbacks=[_EpochRecorder()], **FAST).fit(X, y)


def test_verbose_zero_prints_nothing(mixed, capsys):
    X, y = mixed
    HydaMultiTaskClassifier(verbose=0, **FAST).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    HydaMultiTaskClassifier(verbose=2, **FAST).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out + captured.err != ""


def test_device_is_used_for_the_network(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(device=torch.device("cpu"), **FAST).fit(X, y)
    assert next(model.net_.module_.parameters()).device.type == "cpu"
    assert model.predict_proba(X).dtype == np.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_device(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(device="cuda", **FAST).fit(X, y)
    assert next(model.net_.module_.parameters()).device.type == "cuda"
    assert model.predict_proba(X).shape == (len(X), 2)
    assert set(model.predict_tasks(X)) == set(model.task_names_)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("bad, message", [(np.nan, "Input X contains NaN"),
                                          (np.inf, "Input X contains infinity")])
def test_non_finite_X_is_rejected(mixed, bad, message):
    X, y = mixed
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        HydaMultiTaskClassifier(**FAST).fit(X, y)
    model = HydaMultiTaskClassifier(**FAST).fit(*mixed)
    with pytest.raises(ValueError, match=message):
        model.predict(X)


def test_nan_in_main_target_is_rejected(mixed):
    X, y = mixed
    y = y.copy()
    y[0, 0] = np.nan
    with pytest.raises(ValueError, match="main target .* missing labels"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)
    X_reg, y_reg = _regression_data()
    y_reg[5, 0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        HydaMultiTaskRegressor(**FAST).fit(X_reg, y_reg)


def test_all_missing_aux_column_is_rejected(mixed):
    X, y = mixed
    y = y.copy()
    y[:, 2] = None
    with pytest.raises(ValueError, match="'aux_2' has no label at all"):
        HydaMultiTaskClassifier(**FAST).fit(X, y)


def test_wrong_number_of_features_at_predict(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but .* expecting 5 features"):
        model.predict(X[:, :4])
    with pytest.raises(ValueError, match="X has 4 features"):
        model.predict_tasks(X[:, :4])


def test_unknown_aux_type_is_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="Unknown task type 'ordinal'"):
        HydaMultiTaskClassifier(aux_tasks=["binary", "ordinal", "regression"], **FAST).fit(X, y)


def test_wrong_number_of_static_weights_is_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="one weight per task \\(4"):
        HydaMultiTaskClassifier(weighting=[1.0, 0.5], **FAST).fit(X, y)
    with pytest.raises(ValueError, match="finite and >= 0"):
        HydaMultiTaskClassifier(weighting=[1.0, -1.0, 0.5, 0.5], **FAST).fit(X, y)


def test_unknown_weighting_name_is_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="'weighting' parameter .* must be a str among"):
        HydaMultiTaskClassifier(weighting="magic", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="list of static weights"):
        HydaMultiTaskClassifier(weighting=["a", "b"], **FAST).fit(X, y)


def test_inconsistent_numbers_of_samples_are_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        HydaMultiTaskClassifier(**FAST).fit(X, y[:-1])


def test_bad_layer_sizes_are_rejected(mixed):
    X, y = mixed
    with pytest.raises(ValueError, match="positive integers"):
        HydaMultiTaskClassifier(head_layer_sizes=(8, 0), **FAST).fit(X, y)


def test_predict_before_fit_is_rejected(mixed):
    with pytest.raises(NotFittedError):
        HydaMultiTaskClassifier().predict(mixed[0])


def test_fit_emits_no_unexpected_warnings(mixed):
    X, y = mixed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        model = HydaMultiTaskClassifier(**FAST).fit(X, y)
        model.predict_tasks(X)
        model.score(X, y)
