"""The ``trunk`` parameter: a user's torch module as the shared trunk."""

import functools
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from _trunks import (
    BatchNormTrunk,
    DropoutTrunk,
    FlatTrunk,
    FrozenTrunk,
    NoLinearTrunk,
    ResidualTrunk,
    small_sequential,
)
from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn._model.custom_trunk import CustomTrunk
from hydasklearn._model.evaluation import evaluate_network
from hydasklearn.metrics import main_task_scorer
from hydasklearn.model_selection import MainTaskStratifiedKFold
from hydasklearn.weighting import STRATEGIES

pytestmark = pytest.mark.usefixtures("quiet")

FIT = {"max_iter": 4, "batch_size": 50, "random_state": 0}


def _data(n_samples=200, seed=0):
    rng = np.random.RandomState(seed)
    # float32 values: predictions from float64 copies see the same numbers
    X = rng.normal(size=(n_samples, 5)).astype(np.float32).astype(np.float64)
    y = np.column_stack([X[:, 0] + 0.3 * rng.normal(size=n_samples) > 0,
                         X[:, 0] + X[:, 1], X[:, 2] > 0.5]).astype(float)
    return X, y


def _strategies():
    names = []
    for name in STRATEGIES:
        marks = ()
        if name == "torchjd":
            try:
                import torchjd  # noqa: F401
            except ImportError:
                marks = pytest.mark.skip(reason="torchjd is not installed")
        names.append(pytest.param(name, marks=marks))
    return names


@pytest.mark.parametrize("weighting", _strategies())
def test_every_strategy_trains_a_residual_trunk(weighting):
    X, y = _data()
    first = HydaMultiTaskClassifier(trunk=ResidualTrunk, weighting=weighting, **FIT).fit(X, y)
    again = HydaMultiTaskClassifier(trunk=ResidualTrunk, weighting=weighting, **FIT).fit(X, y)
    assert isinstance(first.net_.module_.trunk, CustomTrunk)
    assert np.isfinite(first.weight_history_).all()
    proba = first.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_array_equal(proba, again.predict_proba(X))  # same seed, same model
    assert set(first.predict_tasks(X)) == {"main", "aux_1", "aux_2"}


@pytest.mark.parametrize("gain", ["ExactGain", "RepresentationGain"])
def test_hydalearn_gain_estimators_run_on_a_residual_trunk(gain):
    from hydasklearn import weighting

    if not hasattr(weighting, gain):
        pytest.skip(f"hydasklearn.weighting has no {gain}")
    X, y = _data()
    strategy = weighting.HydaLearn(gain=getattr(weighting, gain)(), gain_every=1)
    model = HydaMultiTaskClassifier(trunk=ResidualTrunk, weighting=strategy, **FIT).fit(X, y)
    assert np.isfinite(model.predict_proba(X)).all()


def test_the_trunk_trains():
    X, y = _data(400)
    model = HydaMultiTaskClassifier(trunk=ResidualTrunk, weighting="equal", max_iter=60,
                                    random_state=0).fit(X, y)
    assert model.score(X, y) > 0.8
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_trunk_is_called_with_n_features_and_its_width_is_measured():
    X, y = _data()
    model = HydaMultiTaskRegressor(trunk=functools.partial(ResidualTrunk, width=7),
                                   **FIT).fit(X, y[:, 1:])
    trunk = model.net_.module_.trunk
    assert trunk.module.n_features == 5 and trunk.width == 7
    assert all(head[0].in_features == 7 for head in model.net_.module_.heads)


def test_hidden_layer_sizes_is_ignored_and_activation_applies_to_the_heads():
    X, y = _data()
    base = dict(trunk=ResidualTrunk, weighting="equal", **FIT)
    one = HydaMultiTaskClassifier(hidden_layer_sizes=(3,), **base).fit(X, y)
    other = HydaMultiTaskClassifier(hidden_layer_sizes=(50, 50), **base).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), other.predict_proba(X))
    relu = HydaMultiTaskClassifier(head_layer_sizes=(6,), activation="relu", **base).fit(X, y)
    tanh = HydaMultiTaskClassifier(head_layer_sizes=(6,), activation="tanh", **base).fit(X, y)
    assert isinstance(tanh.net_.module_.heads[0][1], torch.nn.Tanh)
    assert not np.array_equal(relu.predict_proba(X), tanh.predict_proba(X))


def test_the_trunk_keeps_its_own_initialization_drawn_under_the_seed():
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=ResidualTrunk, max_iter=1, random_state=3)
    model.fit(X, y)
    torch.manual_seed(12345)  # the global state plays no part
    again = clone(model).fit(X, y)
    for (name, p), (_, q) in zip(model.net_.module_.named_parameters(),
                                 again.net_.module_.named_parameters()):
        assert torch.equal(p, q), name
    # The LayerNorm keeps torch's own initialization: weight 1 before training.
    untrained = HydaMultiTaskClassifier(trunk=ResidualTrunk, random_state=3,
                                        learning_rate_init=1e-12, max_iter=1).fit(X, y)
    np.testing.assert_allclose(untrained.net_.module_.trunk.module.norm.weight.detach(), 1.0)


def test_fit_leaves_torchs_global_random_state_alone():
    X, y = _data()
    state = torch.get_rng_state()
    HydaMultiTaskClassifier(trunk=DropoutTrunk, **FIT).fit(X, y)
    assert torch.equal(state, torch.get_rng_state())


def test_dropout_in_the_trunk_is_seeded_and_off_in_predictions():
    X, y = _data()
    first = HydaMultiTaskClassifier(trunk=DropoutTrunk, **FIT).fit(X, y)
    torch.manual_seed(7)
    again = HydaMultiTaskClassifier(trunk=DropoutTrunk, **FIT).fit(X, y)
    proba = first.predict_proba(X)
    np.testing.assert_array_equal(proba, again.predict_proba(X))
    np.testing.assert_array_equal(proba, first.predict_proba(X))  # no dropout at predict
    assert first.net_.module_.trunk.module.training  # predictions switched nothing for good


def test_batch_norm_trunk_predicts_from_running_statistics():
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=BatchNormTrunk, **FIT).fit(X, y)
    whole = model.predict_proba(X)
    one_by_one = np.vstack([model.predict_proba(X[i:i + 1]) for i in range(5)])
    np.testing.assert_allclose(one_by_one, whole[:5], rtol=1e-12, atol=1e-12)
    module = model.net_.module_
    module.eval()
    with torch.no_grad():
        expected = module(torch.as_tensor(X[:5], dtype=torch.float32))[0]
    module.train()
    logits = evaluate_network(module, torch.as_tensor(X[:5]))[0]
    np.testing.assert_allclose(logits.numpy(), expected.double().numpy(), rtol=1e-5, atol=1e-5)


def test_a_factory_function_and_a_sequential_trunk():
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=small_sequential, weighting="hydalearn",
                                    **FIT).fit(X, y)
    assert model.net_.module_.trunk.width == 8
    assert np.isfinite(model.predict_proba(X)).all()


def test_clone_grid_search_and_the_parameter_is_never_mutated():
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=ResidualTrunk, **FIT)
    assert clone(model).get_params()["trunk"] is ResidualTrunk
    search = GridSearchCV(model, {"trunk": [ResidualTrunk, small_sequential]},
                          cv=MainTaskStratifiedKFold(2), scoring=main_task_scorer("roc_auc"))
    search.fit(X, y)
    assert search.best_params_["trunk"] in (ResidualTrunk, small_sequential)
    assert model.get_params()["trunk"] is ResidualTrunk
    assert search.best_estimator_.trunk in (ResidualTrunk, small_sequential)


def test_a_fitted_model_with_a_trunk_pickles():
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=functools.partial(ResidualTrunk, width=9),
                                    **FIT).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.net_.module_.trunk.width == 9


def test_warm_start_and_partial_fit_with_a_trunk():
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=ResidualTrunk, warm_start=True, **FIT).fit(X, y)
    model.fit(X, y)
    assert model.n_iter_ == 2 * FIT["max_iter"]
    model.set_params(trunk=small_sequential)
    with pytest.raises(ValueError, match=r"cannot apply changed parameters \['trunk'\]"):
        model.fit(X, y)
    streaming = HydaMultiTaskClassifier(trunk=ResidualTrunk, random_state=0)
    for chunk in np.array_split(np.arange(len(X)), 4):
        streaming.partial_fit(X[chunk], y[chunk], classes=[0.0, 1.0])
    assert streaming.n_iter_ == 4


def test_gradnorm_needs_a_linear_layer_in_the_trunk():
    X, y = _data()
    with pytest.raises(ValueError, match=r"\(NoLinearTrunk\) has no torch.nn.Linear"):
        HydaMultiTaskClassifier(trunk=NoLinearTrunk, weighting="gradnorm", **FIT).fit(X, y)
    model = HydaMultiTaskClassifier(trunk=NoLinearTrunk, weighting="hydalearn", **FIT)
    assert np.isfinite(model.fit(X, y).predict_proba(X)).all()


@pytest.mark.parametrize("trunk, error, message", [
    (ResidualTrunk(5), TypeError, "not the module"),
    (lambda n: "a string", TypeError, "must return a torch.nn.Module; .* returned str"),
    (FlatTrunk, ValueError, r"shape \(batch, width\).* returned \(2,\)"),
    (lambda n: torch.nn.Linear(n + 1, 3), ValueError, r"fails on a float32 batch .*\(2, 5\)"),
])
def test_a_trunk_that_breaks_the_contract_is_refused(trunk, error, message):
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=trunk, **FIT)
    with pytest.raises(error, match=message):
        model.fit(X, y)
    assert not hasattr(model, "net_")


def test_a_trunk_that_is_not_callable_is_an_invalid_parameter():
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="'trunk' parameter"):
        HydaMultiTaskClassifier(trunk="resnet").fit(X, y)


def test_the_written_backward_pass_falls_back_to_autograd_for_a_trunk():
    from hydasklearn._engine.written_backward import record_forward

    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=small_sequential, **FIT).fit(X, y)
    batch = torch.as_tensor(X[:8], dtype=torch.float32)
    representation, outputs, record = record_forward(model.net_.module_, batch)
    assert record is None
    assert representation.shape == (8, 8) and len(outputs) == 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_trunk_on_cuda():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HydaMultiTaskClassifier(trunk=ResidualTrunk, device="cuda", **FIT).fit(X, y)
    assert next(model.net_.module_.trunk.parameters()).device.type == "cuda"
    cpu = HydaMultiTaskClassifier(trunk=ResidualTrunk, **FIT).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), cpu.predict_proba(X), atol=1e-3)


def test_evaluate_runs_a_trunk_in_eval_mode_with_the_given_parameters():
    # What HydaLearn's exact gains and SLGrad's forward-mode pass rely on.
    import copy

    from hydasklearn._model.evaluation import evaluate

    X, y = _data()
    module = HydaMultiTaskClassifier(trunk=DropoutTrunk, **FIT).fit(X, y).net_.module_
    batch = torch.as_tensor(X[:20], dtype=torch.float32)
    shifted = {name: p.detach() + 0.1 for name, p in module.trunk.named_parameters("trunk")}
    moved = copy.deepcopy(module)
    with torch.no_grad():
        for parameter in moved.trunk.parameters():
            parameter.add_(0.1)
    moved.eval()
    with torch.no_grad():
        expected = moved.trunk(batch)
        got = evaluate(module.trunk, shifted, batch, "trunk.")
    torch.testing.assert_close(got, expected)
    assert module.trunk.training  # switched back


def test_categorical_embeddings_sit_in_front_of_the_trunk():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(5)])
    frame["color"] = pd.Categorical(np.array(["red", "green", "blue"])[np.arange(len(X)) % 3])
    model = HydaMultiTaskClassifier(trunk=ResidualTrunk, **FIT).fit(frame, y)
    trunk = model.net_.module_.trunk
    embedding = trunk.embedding
    # The trunk is built for the numeric columns plus the embedding's width.
    assert trunk.trunk.module.n_features == embedding.out_features > 5
    assert np.isfinite(model.predict_proba(frame)).all()
    again = HydaMultiTaskClassifier(trunk=ResidualTrunk, **FIT).fit(frame, y)
    np.testing.assert_array_equal(model.predict_proba(frame), again.predict_proba(frame))


def test_fits_and_predictions_in_parallel_threads_match_sequential_ones():
    from concurrent.futures import ThreadPoolExecutor

    X, y = _data()
    seeds = [0, 1, 2, 3]

    def fit(seed):
        return HydaMultiTaskClassifier(trunk=DropoutTrunk, **{**FIT, "random_state": seed}).fit(
            X, y)

    sequential = [fit(seed).predict_proba(X) for seed in seeds]
    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(fit, seeds))
        parallel = list(pool.map(lambda model: model.predict_proba(X), models))
    for expected, got in zip(sequential, parallel):
        np.testing.assert_array_equal(expected, got)


@pytest.mark.parametrize("weighting", ["equal", "hydalearn", "pcgrad", "gradnorm", "slgrad"])
def test_frozen_layers_of_a_trunk_stay_frozen(weighting):
    X, y = _data()
    model = HydaMultiTaskClassifier(trunk=FrozenTrunk, weighting=weighting, **FIT).fit(X, y)
    trunk = model.net_.module_.trunk.module
    with torch.random.fork_rng(devices=[]):  # what the seeded build drew
        torch.manual_seed(model.net_.module__seed)
        built = FrozenTrunk(5)
    torch.testing.assert_close(trunk.encoder.weight, built.encoder.weight, rtol=0, atol=0)
    assert not torch.equal(trunk.top.weight, built.top.weight)
