"""Decision, the contract: a strategy written against it alone needs no network to test."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._engine.decision import Decision
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import WeightingStrategy


class InverseLoss(WeightingStrategy):
    """Example strategy: the smaller a task's loss, the larger its weight (sum n_tasks)."""

    _parameter_constraints = {"floor": [float]}

    def __init__(self, floor=1e-8):
        self.floor = floor

    def weigh(self, step):
        inverse = 1 / step.losses.detach().clamp(min=self.floor)
        return Decision(weights=inverse * step.n_tasks / inverse.sum())


def test_a_decision_gives_weights_and_leaves_every_other_kind_unset():
    decision = Decision(torch.ones(2))
    assert all(getattr(decision, field.name) is None
               for field in dataclasses.fields(decision) if field.name != "weights")
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.weights = torch.zeros(2)


def test_the_weighting_package_exports_the_engines_decision():
    from hydasklearn.weighting import Decision as exported
    assert exported is Decision


def test_an_example_strategy_needs_no_network_to_be_tested():
    strategy = InverseLoss()
    strategy.start(["main", "aux"], ["binary", "regression"])
    fake_step = SimpleNamespace(losses=torch.tensor([1.0, 3.0]), n_tasks=2)
    np.testing.assert_allclose(strategy.decide(fake_step).weights, [1.5, 0.5])


def test_the_base_class_validates_declared_options_and_handles_a_single_task():
    with pytest.raises(ValueError, match="floor"):
        InverseLoss(floor="tiny").start(["main", "aux"], ["binary", "binary"])
    strategy = InverseLoss()
    strategy.start(["main"], ["binary"])
    single = SimpleNamespace(losses=torch.tensor([2.0]), n_tasks=1)
    assert strategy.decide(single).weights.tolist() == [1.0]


def test_an_example_strategy_trains_a_model_and_records_its_weights():
    X, y, _ = make_auxiliary_tasks(n_samples=200, n_features=5, n_informative=3, random_state=0)
    model = HydaMultiTaskClassifier(weighting=InverseLoss(), hidden_layer_sizes=(8,),
                                    max_iter=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.weight_history_.sum(axis=1), 3.0, rtol=1e-5)
    losses = model.training_history()[[f"loss_{t}" for t in model.task_names_]].to_numpy()
    inverse = 1 / losses
    np.testing.assert_allclose(model.weight_history_, 3 * inverse / inverse.sum(axis=1)[:, None],
                               rtol=1e-4)
