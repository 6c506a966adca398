"""MainTaskOnly: the main task alone, on a multi-task ``y``."""

import numpy as np

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import STRATEGIES, MainTaskOnly, resolve_weighting


def test_weighs_the_main_task_one_and_every_auxiliary_task_zero_whatever_their_number():
    for n_tasks in (1, 2, 5):
        strategy = MainTaskOnly()
        strategy.start([f"t{k}" for k in range(n_tasks)], ["binary"] * n_tasks)
        assert strategy.weights_.tolist() == [1.0] + [0.0] * (n_tasks - 1)


def test_is_a_named_strategy():
    assert STRATEGIES["main-only"] is MainTaskOnly
    assert isinstance(resolve_weighting("main-only"), MainTaskOnly)


def test_trains_the_main_task_as_single_task_learning_does():
    X, y, _ = make_auxiliary_tasks(n_samples=300, aux_relations=("conflicting", "noise"),
                                   n_features=12, random_state=0)
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    main_only = HydaMultiTaskClassifier(weighting="main-only", **kwargs).fit(X, y)
    single = HydaMultiTaskClassifier(**kwargs).fit(X, y[:, 0])
    np.testing.assert_allclose(main_only.predict_proba(X), single.predict_proba(X), atol=1e-6)
    assert np.all(main_only.weight_history_[:, 1:] == 0)
    equal = HydaMultiTaskClassifier(weighting="equal", **kwargs).fit(X, y)
    assert not np.allclose(equal.predict_proba(X), single.predict_proba(X), atol=1e-6)


def test_works_for_a_regressor_and_a_single_task():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = np.column_stack([X[:, 0], rng.normal(size=80)])
    model = HydaMultiTaskRegressor(weighting=MainTaskOnly(), max_iter=3, random_state=0)
    assert np.isfinite(model.fit(X, y).predict(X)).all()
    assert np.isfinite(model.fit(X, y[:, 0]).predict(X)).all()
