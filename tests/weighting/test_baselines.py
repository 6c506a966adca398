"""Baseline weighting strategies: every formula on a hand-computed case, then fits, grid search."""

import pickle
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from torch.func import functional_call, grad, vmap

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn._engine.step import TrainingStep
from hydasklearn._engine.update import _reweighted, apply_decision
from hydasklearn._model.losses import MultiTaskLoss, per_sample_loss
from hydasklearn._model.network import SharedTrunkNetwork
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.metrics import main_task_scorer
from hydasklearn.weighting import (
    DWA,
    STRATEGIES,
    GradientCosineSimilarity,
    GradNorm,
    OLAux,
    PCGrad,
    SLGrad,
    TorchJDAggregator,
    UncertaintyWeighting,
)
from hydasklearn.weighting._gradnorm import gradnorm_weight_gradient
from hydasklearn.weighting._pcgrad import pcgrad_coefficients

try:
    import torchjd  # noqa: F401
    HAVE_TORCHJD = True
except ImportError:
    HAVE_TORCHJD = False

BASELINES = ["gcs", "olaux", "gradnorm", "uncertainty", "dwa", "pcgrad", "slgrad", "torchjd"]


def stub_step(shared_gradients, losses=None, labeled=None, learning_rate=0.1,
              last_layer=slice(None), dtype=torch.float64):
    """What gradient-based strategies read of a TrainingStep, with chosen numbers."""
    shared = torch.as_tensor(shared_gradients, dtype=dtype)
    n_tasks = len(shared)
    return SimpleNamespace(
        n_tasks=n_tasks,
        shared_gradients=shared,
        gramian=shared @ shared.T,
        losses=torch.ones(n_tasks) if losses is None else torch.as_tensor(losses),
        labeled=torch.full((n_tasks,), 4) if labeled is None else torch.as_tensor(labeled),
        learning_rate=learning_rate,
        last_shared_layer_slice=last_layer,
        ones=lambda: torch.ones(n_tasks, dtype=dtype),
    )


def started(strategy, task_types):
    strategy.start([f"t{k}" for k in range(len(task_types))], list(task_types))
    return strategy


# --------------------------------------------------------------------------- GCS
@pytest.mark.parametrize("weighted, gate", [(False, 1.0), (True, 2 ** -0.5)])
def test_gcs_gates_each_auxiliary_gradient_on_its_cosine_with_the_main(weighted, gate):
    # g1 at 45 degrees of g0 (cos 0.707), g2 at 135 degrees (cos -0.707), g3 unlabeled (zero).
    g = [[2.0, 0.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    strategy = started(GradientCosineSimilarity(weighted=weighted), ["binary"] * 4)
    step = stub_step(g)
    decision = strategy.weigh(step)
    np.testing.assert_allclose(decision.weights, [1.0, gate, 0.0, 0.0])
    np.testing.assert_allclose(decision.gains, [1.0, 2 ** -0.5, -(2 ** -0.5), 0.0])
    np.testing.assert_allclose(decision.trunk_gradient, [2.0 + gate, gate, 0.0])
    assert decision.head_weights.tolist() == [1.0, 1.0, 1.0, 1.0]  # heads keep their own losses


# ------------------------------------------------------------------------- OL-AUX
def test_olaux_adds_beta_alpha_times_the_summed_inner_products_every_n_steps():
    strategy = started(OLAux(update_every=2, weight_learning_rate=2.0, initial_weight=1.0),
                       ["binary", "regression", "regression"])
    g0 = [1.0, 0.0]
    steps = [  # (g1, g2) per step; <g0, g1> and <g0, g2> are their first entries
        ([0.5, 3.0], [-1.0, 0.0]),
        ([1.5, -2.0], [0.0, 7.0]),
        ([1.0, 0.0], [1.0, 0.0]),
    ]
    used = [strategy.weigh(stub_step([g0, g1, g2], learning_rate=0.1)).weights.tolist()
            for g1, g2 in steps]
    # After step 2: w1 = 1 + 2 * 0.1 * (0.5 + 1.5) = 1.4, w2 = 1 + 2 * 0.1 * (-1 + 0) = 0.8.
    np.testing.assert_allclose(used, [[1, 1, 1], [1, 1, 1], [1, 1.4, 0.8]], rtol=1e-6)
    # Step 3 starts a new window: only after step 4 do the weights move again.
    decision = strategy.weigh(stub_step([g0, [0.0, 1.0], [0.0, 1.0]], learning_rate=0.1))
    np.testing.assert_allclose(decision.weights, [1, 1.4, 0.8], rtol=1e-6)
    np.testing.assert_allclose(strategy.weights_, [1, 1.4 + 0.2, 0.8 + 0.2], rtol=1e-6)


def test_olaux_keeps_weights_non_negative():
    strategy = started(OLAux(update_every=1, weight_learning_rate=100.0), ["binary", "binary"])
    strategy.weigh(stub_step([[1.0, 0.0], [-1.0, 0.0]]))
    assert strategy.weights_.tolist() == [1.0, 0.0]


# ----------------------------------------------------------------------- GradNorm
def test_gradnorm_weight_gradient_by_hand():
    # Weighted norms G = (1.1, 2.7), mean 1.9; loss ratios (0.5, 1) -> relative (2/3, 4/3);
    # targets 1.9 * (2/3, 4/3) ** 1.5 = (1.034, 2.925): task 0 is above, task 1 below.
    gradient = gradnorm_weight_gradient(torch.tensor([1.1, 0.9]), torch.tensor([1.0, 3.0]),
                                        torch.tensor([0.5, 1.0]), asymmetry=1.5)
    assert gradient.tolist() == [1.0, -3.0]
    # asymmetry = 0: equal targets (the mean norm); the smaller norm is pulled up.
    gradient = gradnorm_weight_gradient(torch.ones(2), torch.tensor([1.0, 3.0]),
                                        torch.tensor([0.5, 1.0]), asymmetry=0.0)
    assert gradient.tolist() == [-1.0, 3.0]


def test_gradnorm_adam_steps_and_renormalization_by_hand():
    strategy = started(GradNorm(asymmetry=1.5, learning_rate=0.1), ["binary", "binary"])
    # Only the first column is the "last shared layer": norms (1, 3), whatever column 2 holds.
    g = [[1.0, 100.0], [3.0, -50.0]]
    first = strategy.weigh(stub_step(g, losses=[2.0, 4.0], last_layer=slice(0, 1)))
    assert first.weights.tolist() == [1.0, 1.0]
    # Step 1: ratios 1 -> targets = mean norm 2; gradient (-1, 3); Adam's first step is
    # lr * sign: w = (1.1, 0.9), already summing to 2.
    np.testing.assert_allclose(strategy.weights_, [1.1, 0.9], rtol=1e-6)
    second = strategy.weigh(stub_step(g, losses=[1.0, 4.0], last_layer=slice(0, 1)))
    np.testing.assert_allclose(second.weights, [1.1, 0.9], rtol=1e-6)
    # Step 2: gradient (1, -3) (see the test above); Adam: m_hat = (1/19)(1, -3),
    # v_hat = (1, 9), step 0.1 * m_hat / sqrt(v_hat) = (1/190, -1/190).
    np.testing.assert_allclose(strategy.weights_, [1.1 - 1 / 190, 0.9 + 1 / 190], rtol=1e-5)


def test_gradnorm_renormalizes_to_n_tasks_and_skips_unlabeled_tasks():
    strategy = started(GradNorm(learning_rate=0.5), ["binary", "binary", "regression"])
    g = [[1.0], [3.0], [0.0]]
    strategy.weigh(stub_step(g, losses=[1.0, 1.0, 0.0], labeled=[4, 4, 0]))
    # Task 2 has no label and no initial loss: it sits out; the others move by 0.5, then
    # the three weights (1.5, 0.5, 1.0) are rescaled to sum to 3 (they already do).
    np.testing.assert_allclose(strategy.weights_, [1.5, 0.5, 1.0], rtol=1e-6)
    assert torch.isnan(strategy.initial_losses_[2])


# -------------------------------------------------------------------- uncertainty
def test_uncertainty_weights_and_closed_form_update_by_hand():
    strategy = started(UncertaintyWeighting(learning_rate=0.1),
                       ["binary", "regression", "multiclass"])
    first = strategy.weigh(stub_step(np.eye(3), losses=[2.0, 4.0, 0.0], labeled=[4, 4, 0]))
    np.testing.assert_allclose(first.weights, [1.0, 0.5, 1.0])
    # d/ds (c e^{-s} L + s) at s = 0: 1 - (2, 2, 0) -> (-1, -1, 1), but task 2 is unlabeled
    # and sits out. Adam's first step is lr * sign: s = (0.1, 0.1, 0).
    np.testing.assert_allclose(strategy.log_variances_, [0.1, 0.1, 0.0], rtol=1e-6)
    second = strategy.weigh(stub_step(np.eye(3), losses=[2.0, 4.0, 1.0]))
    np.testing.assert_allclose(second.weights, [np.exp(-0.1), 0.5 * np.exp(-0.1), 1.0], rtol=1e-6)


def test_uncertainty_log_variances_converge_to_the_optimum():
    # The minimizer of c e^{-s} L + s is s = log(c L): log 3 (binary), log 1.5 (regression).
    strategy = started(UncertaintyWeighting(learning_rate=0.05), ["binary", "regression"])
    for _ in range(2000):
        strategy.weigh(stub_step(np.eye(2), losses=[3.0, 3.0]))
    np.testing.assert_allclose(strategy.log_variances_, np.log([3.0, 1.5]), atol=0.02)


# ---------------------------------------------------------------------------- DWA
def test_dwa_weights_from_the_last_two_epoch_losses():
    strategy = started(DWA(temperature=2.0), ["binary", "regression", "regression"])
    step = stub_step(np.eye(3))
    assert strategy.weigh(step).weights.tolist() == [1.0, 1.0, 1.0]
    strategy.end_epoch(np.array([1.0, 2.0, 4.0]))
    assert strategy.weigh(step).weights.tolist() == [1.0, 1.0, 1.0]
    strategy.end_epoch(np.array([0.5, 2.0, 0.0]))  # ratios 0.5, 1 and (0 / 4) = 0
    scores = np.exp(np.array([0.5, 1.0, 0.0]) / 2)
    np.testing.assert_allclose(strategy.weigh(step).weights, 3 * scores / scores.sum(), rtol=1e-6)
    strategy.end_epoch(np.array([0.5, 1.0, 3.0]))  # 3 / 0 is not finite: ratio 1
    scores = np.exp(np.array([1.0, 0.5, 1.0]) / 2)
    np.testing.assert_allclose(strategy.weigh(step).weights, 3 * scores / scores.sum(), rtol=1e-6)


# ------------------------------------------------------------------------- PCGrad
def test_pcgrad_projection_by_hand():
    # g0 = (1, 0), g1 = (-1, 1) conflict (<g0, g1> = -1):
    # g0' = g0 + (1 / 2) g1 = (0.5, 0.5), g1' = g1 + g0 = (0, 1); sum (0.5, 1.5).
    strategy = started(PCGrad(random_state=0), ["binary", "binary"])
    step = stub_step([[1.0, 0.0], [-1.0, 1.0]])
    decision = strategy.weigh(step)
    np.testing.assert_allclose(decision.trunk_gradient, [0.5, 1.5])
    np.testing.assert_allclose(decision.weights, [2.0, 1.5])  # effective trunk weights
    assert decision.head_weights.tolist() == [1.0, 1.0]


def test_pcgrad_order_matters_and_comes_from_the_seed():
    # Three tasks where the order of projections changes g0's result.
    g = torch.tensor([[1.0, 0.0], [-1.0, 2.0], [-1.0, -0.2]], dtype=torch.float64)
    gramian = g @ g.T
    one_way = pcgrad_coefficients(gramian, [[1, 2], [0, 2], [0, 1]])
    other_way = pcgrad_coefficients(gramian, [[2, 1], [0, 2], [0, 1]])
    assert not torch.allclose(one_way, other_way)
    # Gramian: <g0, g1> = -1, <g0, g2> = -1, <g1, g2> = 0.6, |g1|^2 = 5, |g2|^2 = 1.04.
    # g0 -> g1 first: + (1/5) g1, then <g0', g2> = -1 + 0.2 * 0.6 = -0.88: + (0.88 / 1.04) g2.
    # g1 -> g0: + g0, then <g1', g2> = -1 + 0.6 = -0.4: + (0.4 / 1.04) g2.
    # g2 -> g0: + g0, then <g2', g1> = -1 + 0.6 = -0.4: + (0.4 / 5) g1.
    np.testing.assert_allclose(one_way, [3.0, 0.2 + 1 + 0.08, 0.88 / 1.04 + 0.4 / 1.04 + 1],
                               rtol=1e-6)
    # g0 -> g2 first: + (1 / 1.04) g2, then <g0', g1> = -1 + 0.6 / 1.04: + that / 5 of g1.
    np.testing.assert_allclose(other_way[1], (1 - 0.6 / 1.04) / 5 + 1 + 0.08, rtol=1e-6)
    # Same random_state -> same orders; the strategy only ever draws from its own generator.
    runs = []
    for _ in range(2):
        strategy = started(PCGrad(random_state=3), ["binary"] * 3)
        runs.append([strategy.weigh(stub_step(g)).weights.tolist() for _ in range(20)])
    assert runs[0] == runs[1]
    assert len({tuple(gains) for gains in runs[0]}) > 1  # different orders were drawn


@pytest.mark.skipif(not HAVE_TORCHJD, reason="torchjd not installed")
def test_pcgrad_agrees_with_torchjd():
    from torchjd.aggregation import PCGrad as TorchJDPCGrad

    g = torch.tensor([[-4.0, 1.0, 1.0], [6.0, 1.0, 1.0]])
    ours = started(PCGrad(random_state=0), ["binary", "binary"]).weigh(stub_step(g))
    np.testing.assert_allclose(ours.trunk_gradient, TorchJDPCGrad()(g).double(), rtol=1e-5)


# ------------------------------------------------------------------------- SLGrad
def tiny_step(seed=0, n_samples=12, missing=True):
    """A real TrainingStep on a small network with a binary, a regression and a 3-class task."""
    torch.manual_seed(seed)
    kinds = ["binary", "regression", "multiclass"]
    module = SharedTrunkNetwork(3, [1, 1, 3], hidden_layer_sizes=(5, 4), activation="tanh").double()
    criterion = MultiTaskLoss(kinds)
    X = torch.randn(n_samples, 3, dtype=torch.float64)
    y = torch.stack([(X[:, 0] > 0).double(), X[:, 0] + 0.1 * torch.randn(n_samples).double(),
                     torch.randint(0, 3, (n_samples,)).double()], dim=1)
    if missing:
        y[::3, 1] = float("nan")
        y[1::4, 2] = float("nan")
    heldout = (torch.randn(n_samples, 3, dtype=torch.float64), y[torch.randperm(n_samples)])
    representation = module.trunk(X)
    losses = criterion.task_losses(module.forward_heads(representation), y)
    step = TrainingStep(module, criterion, X, y, representation, losses, learning_rate=0.1,
                        sample_batch=lambda size: (*heldout, None))
    return step, module, kinds


def per_sample_gradients(module, kinds, X, y):
    """The literal definition: every sample's, every task's gradient of the trunk, (n, k, p)."""
    trunk = module.trunk
    params = {name: p.detach() for name, p in trunk.named_parameters()}

    def loss(params, x, target, k):
        outputs = module.heads[k](functional_call(trunk, params, (x[None],)))
        return per_sample_loss(kinds[k], outputs, target[None])[0]

    columns = []
    for k in range(len(kinds)):
        target = torch.nan_to_num(y[:, k])
        grads = vmap(grad(loss), in_dims=(None, 0, 0, None))(params, X, target, k)
        flat = torch.cat([grads[name].reshape(len(X), -1) for name in params], dim=1)
        columns.append(flat * (~torch.isnan(y[:, k]))[:, None])
    return torch.stack(columns, dim=1).detach()


def test_sample_gradient_products_equal_per_sample_gradients_times_direction():
    step, module, kinds = tiny_step()
    direction = torch.randn(step.n_shared, dtype=torch.float64)
    expected = per_sample_gradients(module, kinds, step.X, step.y) @ direction
    np.testing.assert_allclose(step.sample_gradient_products(direction), expected, atol=1e-10)


def test_slgrad_update_is_the_gradient_of_the_sample_weighted_loss():
    step, module, kinds = tiny_step()
    main_heldout = step.main_gradient("heldout").detach()
    per_sample = per_sample_gradients(module, kinds, step.X, step.y)
    # By hand: w_ik = 3 max(0, <grad l_ik, g_val>) / sum(...), update = sum_ik w_ik grad l_ik.
    raw = (per_sample @ main_heldout).clamp(min=0)
    sample_weights = 3 * raw / raw.sum()
    expected_trunk = torch.einsum("ik,ikp->p", sample_weights, per_sample)

    decision = started(SLGrad(), kinds).weigh(step)
    np.testing.assert_allclose(decision.weights, sample_weights.sum(dim=0), rtol=1e-6)
    assert decision.weights.sum().item() == pytest.approx(3.0)
    module.zero_grad()
    apply_decision(step, decision)
    trunk_gradient = torch.cat([p.grad.reshape(-1) for p in module.trunk.parameters()])
    np.testing.assert_allclose(trunk_gradient, expected_trunk, atol=1e-10)
    # Gains: eta <grad L_k, g_val>, L_k the mean over the task's labeled samples.
    n_labeled = (~torch.isnan(step.y)).sum(dim=0)
    expected_gains = 0.1 * (per_sample @ main_heldout).sum(0) / n_labeled
    np.testing.assert_allclose(decision.gains, expected_gains, atol=1e-10)


def test_sample_weights_of_one_leave_the_losses_unchanged():
    step, _, _ = tiny_step()
    reweighted = _reweighted(step, torch.ones(len(step.X), step.n_tasks, dtype=torch.float64))
    np.testing.assert_allclose(reweighted.losses.detach(), step.losses.detach(), rtol=1e-12)


def test_slgrad_gives_the_main_task_everything_when_no_sample_helps():
    step, _, kinds = tiny_step()
    step.main_gradient = lambda source: torch.zeros(step.n_shared, dtype=torch.float64)
    decision = started(SLGrad(), kinds).weigh(step)
    assert decision.weights.tolist() == [3.0, 0.0, 0.0]


# ------------------------------------------------------------ the shared Gramian path
@pytest.mark.parametrize("strategy", [GradientCosineSimilarity(), OLAux(), PCGrad(random_state=0)])
def test_inner_product_strategies_read_the_steps_gramian(strategy):
    step, _, kinds = tiny_step()
    reference = stub_step(step.shared_gradients.detach())
    started(strategy, kinds)
    ours = strategy.weigh(step)
    assert step.has_computed("gramian")  # cached by the step, not recomputed by the strategy
    by_hand = started(type(strategy)(**strategy.get_params()), kinds).weigh(reference)
    np.testing.assert_allclose(ours.weights, by_hand.weights, rtol=1e-6)
    if ours.gains is not None:
        np.testing.assert_allclose(ours.gains, by_hand.gains, rtol=1e-6)


@pytest.mark.parametrize("strategy", [GradientCosineSimilarity(weighted=True),
                                      PCGrad(random_state=0)])
def test_trunk_only_strategies_leave_the_heads_their_own_gradients(strategy):
    step, module, kinds = tiny_step()
    decision = started(strategy, kinds).weigh(step)
    jacobian = step.jacobian.detach()
    module.zero_grad()
    apply_decision(step, decision)
    trunk = torch.cat([p.grad.reshape(-1) for p in module.trunk.parameters()])
    heads = torch.cat([p.grad.reshape(-1) for p in module.heads.parameters()])
    np.testing.assert_allclose(trunk, decision.weights @ jacobian[:, :step.n_shared], atol=1e-12)
    np.testing.assert_allclose(heads, jacobian[:, step.n_shared:].sum(dim=0), atol=1e-12)


# ------------------------------------------------------------------------ torchjd
def test_torchjd_missing_raises_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchjd", None)
    monkeypatch.setitem(sys.modules, "torchjd.aggregation", None)
    X, y = np.random.RandomState(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises(ImportError, match=r"hydasklearn\[torchjd\]"):
        HydaMultiTaskClassifier(weighting="torchjd", max_iter=1).fit(X, y)


@pytest.mark.parametrize("name", ["upgrad", "mgda", "graddrop"])
def test_torchjd_aggregates_the_labeled_tasks_shared_gradients(name):
    aggregation = pytest.importorskip("torchjd.aggregation")
    g = torch.tensor([[-4.0, 1.0, 1.0], [6.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    torch.manual_seed(0)
    step = stub_step(g, labeled=[4, 4, 0], dtype=torch.float32)
    decision = started(TorchJDAggregator(name), ["binary"] * 3).weigh(step)
    assert decision.head_weights.tolist() == [1.0, 1.0, 1.0]
    torch.manual_seed(0)
    expected = getattr(aggregation, {"upgrad": "UPGrad", "mgda": "MGDA",
                                     "graddrop": "GradDrop"}[name])()(g[:2])
    np.testing.assert_allclose(decision.trunk_gradient, expected, rtol=1e-4, atol=1e-6)
    if name == "graddrop":  # not a weighted combination: ones are recorded
        assert decision.weights.tolist() == [1.0, 1.0, 1.0]
    else:  # the effective trunk weights, 0 for the unlabeled task
        assert decision.weights[2] == 0
        np.testing.assert_allclose(decision.weights @ g, expected, rtol=1e-4, atol=1e-6)


def test_torchjd_rejects_unknown_names():
    pytest.importorskip("torchjd")
    with pytest.raises(ValueError, match="Unknown torchjd aggregator"):
        started(TorchJDAggregator("nope"), ["binary"])


# ------------------------------------------------------------- through the estimators
def available(names):
    return [n for n in names if n != "torchjd" or HAVE_TORCHJD]


@pytest.mark.parametrize("name", available(BASELINES))
def test_every_strategy_fits_missing_labels_mixed_types_deterministically(name):
    X, y, _ = make_auxiliary_tasks(
        n_samples=160, n_features=6, n_informative=3,
        aux_relations=("related", "noise", "related"),
        aux_types=("regression", "binary", "multiclass"), missing_rate=0.3, random_state=0)
    fits = [HydaMultiTaskClassifier(hidden_layer_sizes=(8,), weighting=name, batch_size=40,
                                    max_iter=3, random_state=7).fit(X, y) for _ in range(2)]
    model = fits[0]
    assert model.weight_history_.shape == (12, 4)
    assert np.all(np.isfinite(model.weight_history_))
    assert np.all(np.isfinite(model.predict_proba(X)))
    np.testing.assert_array_equal(model.weight_history_, fits[1].weight_history_)
    np.testing.assert_array_equal(model.predict_proba(X), fits[1].predict_proba(X))
    assert STRATEGIES[name] is type(model.weighting_)
    restored = pickle.loads(pickle.dumps(model))  # fitted strategy state pickles too
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("name", available(BASELINES))
def test_every_strategy_fits_a_regressor(name):
    X, y, _ = make_auxiliary_tasks(n_samples=120, n_features=5, n_informative=3,
                                   main_type="regression", aux_relations=("related",),
                                   aux_types="binary", random_state=1)
    model = HydaMultiTaskRegressor(hidden_layer_sizes=(8,), weighting=name, max_iter=2,
                                   random_state=0).fit(X, y)
    assert np.all(np.isfinite(model.predict(X)))


def test_grid_search_over_all_strategy_names():
    X, y, _ = make_auxiliary_tasks(n_samples=120, n_features=5, n_informative=3,
                                   aux_relations=("related", "noise"), random_state=0)
    names = available(sorted(STRATEGIES))
    search = GridSearchCV(
        HydaMultiTaskClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0),
        {"weighting": names}, cv=2, scoring=main_task_scorer("roc_auc"), error_score="raise")
    search.fit(X, y)
    assert list(search.cv_results_["param_weighting"]) == names
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
