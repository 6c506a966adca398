"""categorical_features: which columns are embedded, their categories and codes, and every
scikit-learn path they must keep working (pipelines, pickling, clone, partial_fit, warm start)."""

import pickle
import warnings
from typing import ClassVar

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn._model.embeddings import CategoricalEmbedding

pd = pytest.importorskip("pandas")

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 3, "batch_size": 50, "random_state": 0}


def _data(n_samples=200, seed=0):
    """A number, a pandas category, a string column; main target from the category."""
    rng = np.random.RandomState(seed)
    color = rng.choice(["red", "green", "blue", "gray"], size=n_samples)
    X = pd.DataFrame({
        "size": rng.normal(size=n_samples),
        "color": pd.Categorical(color),
        "shape": pd.Series(rng.choice(["round", "square"], size=n_samples), dtype=object),
    })
    main = np.isin(color, ["red", "blue"]).astype(int)
    y = np.column_stack([main, X["size"] + rng.normal(scale=0.1, size=n_samples)])
    return X, y


def _fit(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **fit_params)


def _embedding(model):
    return model.net_.module_.trunk[0]


# ----------------------------------------------------------- which columns
def test_from_dtype_finds_category_string_and_object_columns():
    X, y = _data()
    X["label"] = X["shape"].astype("string")
    model = _fit(HydaMultiTaskClassifier(**SMALL), X, y)
    assert model.is_categorical_.tolist() == [False, True, True, True]
    assert [c.tolist() for c in model.categories_] == [
        ["blue", "gray", "green", "red"], ["round", "square"], ["round", "square"]]
    assert model.n_features_in_ == 4
    assert model.feature_names_in_.tolist() == ["size", "color", "shape", "label"]
    assert isinstance(_embedding(model), CategoricalEmbedding)
    assert _embedding(model).cardinalities == (4, 2, 2)


def test_numeric_input_builds_no_embedding():
    X, y = _data()
    model = _fit(HydaMultiTaskClassifier(**SMALL), X[["size"]], y)
    assert model.is_categorical_ is None and model.categories_ == []
    assert not isinstance(model.net_.module_.trunk[0], CategoricalEmbedding)


def test_numpy_object_array_with_strings_is_categorical_floats_are_not():
    X, y = _data()
    as_objects = X.to_numpy(dtype=object)
    model = _fit(HydaMultiTaskClassifier(**SMALL), as_objects, y)
    assert model.is_categorical_.tolist() == [False, True, True]
    assert not hasattr(model, "feature_names_in_")
    numbers = _fit(HydaMultiTaskClassifier(**SMALL), X[["size"]].to_numpy(dtype=object), y)
    assert numbers.is_categorical_ is None


@pytest.mark.parametrize("spec", [["color", "shape"], [1, 2], [False, True, True],
                                  np.array([1, 2])])
def test_names_indices_and_masks_give_the_same_model(spec):
    X, y = _data()
    reference = _fit(HydaMultiTaskClassifier(**SMALL), X, y)
    model = _fit(HydaMultiTaskClassifier(categorical_features=spec, **SMALL), X, y)
    assert model.is_categorical_.tolist() == [False, True, True]
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_a_numeric_column_can_be_declared_categorical():
    X, y = _data()
    X["zip"] = np.random.RandomState(1).choice([1000, 2000, 3000], size=len(X))
    model = _fit(HydaMultiTaskClassifier(categorical_features=["color", "shape", "zip"],
                                         **SMALL), X, y)
    assert model.categories_[2].tolist() == [1000, 2000, 3000]
    assert model.predict(X.assign(zip=4000)).shape == (len(X),)


# ------------------------------------------------------ unseen and missing
def test_unseen_and_missing_categories_get_their_own_codes_at_predict():
    X, y = _data()
    model = _fit(HydaMultiTaskClassifier(**SMALL), X, y)
    new = X.iloc[:4].copy()
    new["color"] = pd.Categorical(["purple", None, "red", np.nan])
    new["shape"] = pd.Series(["oval", None, np.nan, pd.NA], dtype=object)
    proba = model.predict_proba(new)
    assert proba.shape == (4, 2) and np.all(np.isfinite(proba))
    from hydasklearn._sklearn.categorical import category_codes
    assert category_codes(new["color"], model.categories_[0]).tolist() == [4, 5, 3, 5]
    assert category_codes(new["shape"], model.categories_[1]).tolist() == [2, 3, 3, 3]
    # Unseen in fit and no missing value in fit: both extra rows are still zero.
    tables = _embedding(model).tables
    assert not tables[0].weight[4:].any() and not tables[1].weight[2:].any()


def test_a_missing_value_seen_in_fit_learns_its_own_vector():
    X, y = _data()
    X["color"] = X["color"].cat.add_categories([]).where(np.arange(len(X)) % 7 != 0)
    model = _fit(HydaMultiTaskClassifier(**SMALL), X, y)
    table = _embedding(model).tables[0].weight
    assert table[4 + 1].abs().sum() > 0   # missing: trained
    assert not table[4].any()              # unknown: never in training, still zero


def test_a_column_missing_everywhere_in_fit_has_no_category():
    X, y = _data()
    X["empty"] = pd.Categorical([None] * len(X), categories=[])
    model = _fit(HydaMultiTaskClassifier(**SMALL), X, y)
    assert model.categories_[2].tolist() == []
    assert _embedding(model).cardinalities == (4, 2, 0)
    new = X.iloc[:2].assign(empty=["seen later", None])
    assert np.all(np.isfinite(model.predict_proba(new)))


def test_missing_numeric_values_keep_the_nan_error():
    X, y = _data()
    X.loc[3, "size"] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _fit(HydaMultiTaskClassifier(**SMALL), X, y)


# ------------------------------------------------------------------ errors
def test_a_string_column_without_categorical_features_names_the_column():
    X, y = _data()
    with pytest.raises(ValueError, match="Column 'color' of X holds strings or categories.*"
                                         "categorical_features=None"):
        _fit(HydaMultiTaskClassifier(categorical_features=None, **SMALL), X, y)
    with pytest.raises(ValueError, match="Column 'shape' .* not among categorical_features"):
        _fit(HydaMultiTaskClassifier(categorical_features=["color"], **SMALL), X, y)
    with pytest.raises(ValueError, match="Column 1 of X holds strings"):
        _fit(HydaMultiTaskClassifier(categorical_features=None, **SMALL),
             X.to_numpy(dtype=object), y)


def test_strings_at_predict_in_a_column_numeric_in_fit_are_named():
    X, y = _data()
    model = _fit(HydaMultiTaskClassifier(**SMALL), X, y)
    with pytest.raises(ValueError, match="Column 'size' of X holds strings.*numeric in fit"):
        model.predict(X.assign(size="big"))


@pytest.mark.parametrize("spec, message", [
    (["color", "weight"], r"names columns \['weight'\] that X does not have"),
    ([0, 3], r"indices \[3\] outside \[0, 2\]"),
    ([-1], r"indices \[-1\] outside"),
    ([True, False], "boolean mask of 2 values, but X has 3 columns"),
    ([[1, 2]], "1-D list"),
    ([1.5], "must be 'from_dtype', None, or a list"),
])
def test_bad_specifications_raise_clear_errors(spec, message):
    X, y = _data()
    with pytest.raises(ValueError, match=message):
        _fit(HydaMultiTaskClassifier(categorical_features=spec, **SMALL), X, y)


def test_names_need_a_dataframe():
    X, y = _data()
    with pytest.raises(ValueError, match="X has no column names"):
        _fit(HydaMultiTaskClassifier(categorical_features=["color"], **SMALL),
             X.to_numpy(dtype=object), y)


def test_an_unknown_string_option_is_rejected_by_parameter_validation():
    X, y = _data()
    with pytest.raises(ValueError, match="categorical_features"):
        _fit(HydaMultiTaskClassifier(categorical_features="auto", **SMALL), X, y)


def test_categories_that_cannot_be_sorted_raise():
    X, y = _data()
    X["shape"] = X["shape"].astype(object)
    X.loc[0, "shape"] = 3
    with pytest.raises(TypeError, match="'shape' mixes values of types \\['int', 'str'\\]"):
        _fit(HydaMultiTaskClassifier(**SMALL), X, y)


# ----------------------------------------------------------- scikit-learn
def test_a_pipeline_with_column_transformer_pandas_output():
    X, y = _data()
    scale = ColumnTransformer([("scale", StandardScaler(), ["size"])], remainder="passthrough",
                              verbose_feature_names_out=False).set_output(transform="pandas")
    pipeline = _fit(make_pipeline(scale, HydaMultiTaskClassifier(**SMALL)), X, y)
    model = pipeline[-1]
    assert model.feature_names_in_.tolist() == ["size", "color", "shape"]
    assert model.is_categorical_.tolist() == [False, True, True]
    assert pipeline.predict(X).shape == (len(X),)
    assert 0 <= pipeline.score(X, y) <= 1


def test_grid_search_over_dataframe_folds():
    from sklearn.model_selection import GridSearchCV

    X, y = _data()
    search = GridSearchCV(HydaMultiTaskClassifier(**SMALL), {"alpha": [1e-4, 1e-2]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y[:, 0])
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.is_categorical_.tolist() == [False, True, True]


def test_pickling_and_clone():
    X, y = _data()
    model = _fit(HydaMultiTaskClassifier(categorical_features=["color", "shape"], **SMALL),
                 X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    fresh = clone(model)
    assert fresh.categorical_features == ["color", "shape"]
    assert not hasattr(fresh, "is_categorical_")
    refitted = _fit(fresh, X, y)
    np.testing.assert_array_equal(refitted.predict_proba(X), model.predict_proba(X))


def test_same_random_state_same_predictions():
    X, y = _data()
    first = _fit(HydaMultiTaskRegressor(**SMALL), X, y[:, ::-1])
    second = _fit(HydaMultiTaskRegressor(**SMALL), X, y[:, ::-1])
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    other = _fit(HydaMultiTaskRegressor(**{**SMALL, "random_state": 1}), X, y[:, ::-1])
    assert not np.array_equal(first.predict(X), other.predict(X))


def test_partial_fit_fixes_the_categories_at_the_first_call():
    X, y = _data()
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    model.partial_fit(X.iloc[:100], y[:100], classes=[0, 1])
    categories = [c.tolist() for c in model.categories_]
    later = X.iloc[100:].copy()
    later["color"] = later["color"].cat.add_categories(["purple"])
    later.iloc[:10, 1] = "purple"
    model.partial_fit(later, y[100:])
    assert [c.tolist() for c in model.categories_] == categories
    assert model.n_iter_ == 2
    # The unseen category trained the unknown row in the second call.
    assert _embedding(model).tables[0].weight[4].abs().sum() > 0
    assert np.all(np.isfinite(model.predict_proba(later)))


def test_warm_start_keeps_the_categories_and_the_specification():
    X, y = _data()
    model = _fit(HydaMultiTaskClassifier(warm_start=True, **SMALL), X, y)
    _fit(model, X.assign(shape="triangle"), y)
    assert model.categories_[1].tolist() == ["round", "square"]
    assert model.n_iter_ == 6
    model.set_params(categorical_features=["color"])
    with pytest.raises(ValueError, match=r"changed parameters \['categorical_features'\]"):
        _fit(model, X, y)


# ------------------------------------------------------------ the network
def test_a_signal_carried_by_a_category_alone_is_learned():
    rng = np.random.RandomState(0)
    city = rng.choice([f"city_{k}" for k in range(12)], size=600)
    X = pd.DataFrame({"noise": rng.normal(size=600), "city": city})
    main = np.isin(city, ["city_1", "city_4", "city_5", "city_9", "city_11"]).astype(int)
    model = _fit(HydaMultiTaskClassifier(hidden_layer_sizes=(16,), max_iter=60,
                                         learning_rate_init=0.01, random_state=0), X, main)
    assert model.score(X, main) > 0.97
    held_out = pd.DataFrame({"noise": np.zeros(12), "city": [f"city_{k}" for k in range(12)]})
    assert model.predict(held_out).tolist() == [int(k in (1, 4, 5, 9, 11)) for k in range(12)]


@pytest.mark.parametrize("weighting", ["hydalearn", "gcs", "pcgrad", "gradnorm", "slgrad",
                                       "exact-gains", "representation-gains"])
def test_strategies_that_need_per_task_gradients_train_the_embeddings(weighting):
    from hydasklearn.weighting import ExactGain, HydaLearn, RepresentationGain

    gains = {"exact-gains": ExactGain, "representation-gains": RepresentationGain}
    if weighting in gains:  # look-ahead through the embeddings (vmap), or at the trunk output
        weighting = HydaLearn(gain=gains[weighting]())
    X, y = _data()
    tables = []
    for max_iter in (1, 3):
        model = _fit(HydaMultiTaskClassifier(weighting=weighting, **{**SMALL,
                                                                     "max_iter": max_iter}), X, y)
        assert np.all(np.isfinite(model.predict_proba(X)))
        tables.append(_embedding(model).tables[0].weight.detach().numpy().copy())
    # Same seed, same start: epochs 2 and 3 moved the known categories' vectors.
    assert not np.allclose(tables[0][:4], tables[1][:4])
    assert not tables[1][4:].any()


def test_the_written_backward_pass_steps_aside_for_embeddings():
    from hydasklearn._engine.written_backward import record_forward
    from hydasklearn._model.network import SharedTrunkNetwork

    network = SharedTrunkNetwork(4, [1, 1], (8,), seed=0, categorical_cardinalities=(3, 2))
    X = torch.tensor([[0.5, -1.0, 2.0, 1.0], [0.0, 1.0, 4.0, 3.0]])
    representation, outputs, record = record_forward(network, X)
    assert record is None
    assert representation.shape == (2, 8) and len(outputs) == 2


class _SmallTrunk(torch.nn.Sequential):
    """A user's trunk (module level, so that the fitted model pickles)."""

    built_for: ClassVar[list] = []

    def __init__(self, n_features):
        _SmallTrunk.built_for.append(n_features)
        super().__init__(torch.nn.Linear(n_features, 8), torch.nn.ReLU())


def test_a_users_trunk_is_built_for_the_embedded_width():
    X, y = _data()
    _SmallTrunk.built_for.clear()
    model = _fit(HydaMultiTaskClassifier(trunk=_SmallTrunk, weighting="gcs", **SMALL), X, y)
    assert _SmallTrunk.built_for == [1 + 4 + 3]  # "size", color (4 categories: 4), shape (2: 3)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.cuda
def test_categorical_columns_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, y = _data()
    model = _fit(HydaMultiTaskClassifier(device="cuda", weighting="gcs", **SMALL), X, y)
    assert _embedding(model).tables[0].weight.device.type == "cuda"
    new = X.iloc[:2].assign(color=["purple", None])
    assert np.all(np.isfinite(model.predict_proba(new)))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
