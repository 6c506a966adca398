"""make_auxiliary_tasks: shapes, types, relations, groups, missing labels, errors."""

import numpy as np
import pytest

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.datasets import make_auxiliary_tasks


def correlation(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def test_shapes_and_default_types():
    X, y, groups = make_auxiliary_tasks(n_samples=300, n_features=8, n_informative=3,
                                        aux_relations=("related", "noise", "conflicting"),
                                        random_state=0)
    assert X.shape == (300, 8) and y.shape == (300, 4) and groups.shape == (300,)
    assert X.dtype == y.dtype == np.float64
    assert set(np.unique(y[:, 0])) == {0.0, 1.0}
    assert len(np.unique(y[:, 1:])) > 100  # regression auxiliary targets by default
    assert np.all(groups == 1)
    assert not np.isnan(y).any()


def test_auxiliary_types_per_task():
    _, y, _ = make_auxiliary_tasks(n_samples=600, aux_relations=("related", "related", "noise"),
                                   aux_types=("binary", "multiclass", "regression"),
                                   random_state=0)
    assert set(np.unique(y[:, 1])) == {0.0, 1.0}
    classes, counts = np.unique(y[:, 2], return_counts=True)
    assert classes.tolist() == [0.0, 1.0, 2.0]
    assert np.all(np.abs(counts - 200) <= 2)  # cut at the latent's terciles
    assert len(np.unique(y[:, 3])) == 600


def test_regression_main_task():
    X, y, _ = make_auxiliary_tasks(n_samples=400, main_type="regression", main_noise=0.1,
                                   random_state=0)
    assert len(np.unique(y[:, 0])) == 400
    assert correlation(y[:, 0], y[:, 1]) > 0.95  # the related task shares its latent


def test_relations_to_the_main_task():
    X, y, _ = make_auxiliary_tasks(n_samples=5000, main_type="regression", main_noise=0.0,
                                   aux_relations=("related", "noise", "conflicting"),
                                   random_state=0)
    main, related, noise, conflicting = y.T
    assert correlation(main, related) > 0.99
    assert abs(correlation(main, noise)) < 0.05
    assert abs(correlation(main, conflicting)) < 0.05
    # Noise depends on no feature; the conflicting task on features the main task ignores.
    for column in (noise, conflicting):
        assert np.all(np.abs([correlation(x, column) for x in X[:, :5].T]) < 0.05)
    assert np.max(np.abs([correlation(x, noise) for x in X.T])) < 0.05
    # ... which a quadratic model of features 5..9 partly explains.
    other = X[:, 5:10]
    features = np.column_stack([np.ones(len(X)), other,
                                (other[:, :, None] * other[:, None, :]).reshape(len(X), -1)])
    fitted = features @ np.linalg.lstsq(features, conflicting, rcond=None)[0]
    assert correlation(fitted, conflicting) ** 2 > 0.3


def test_group_relations():
    _, y, groups = make_auxiliary_tasks(n_samples=4000, main_type="regression", main_noise=0.0,
                                        aux_relations=("related", "noise"),
                                        group_relations=("noise", "related"),
                                        group_fraction=0.3, random_state=0)
    assert set(np.unique(groups)) == {0, 1}
    assert np.mean(groups) == pytest.approx(0.3, abs=0.03)
    one, zero = groups == 1, groups == 0
    assert correlation(y[one, 0], y[one, 1]) > 0.99
    assert abs(correlation(y[zero, 0], y[zero, 1])) < 0.1
    assert abs(correlation(y[one, 0], y[one, 2])) < 0.1
    assert correlation(y[zero, 0], y[zero, 2]) > 0.99


def test_missing_rate_removes_auxiliary_labels_only():
    _, y, _ = make_auxiliary_tasks(n_samples=4000, missing_rate=0.25, random_state=0)
    assert not np.isnan(y[:, 0]).any()
    assert np.isnan(y[:, 1:]).mean(axis=0) == pytest.approx([0.25, 0.25], abs=0.03)
    # Independently per task.
    both = np.isnan(y[:, 1]) & np.isnan(y[:, 2])
    assert both.mean() == pytest.approx(0.25 ** 2, abs=0.02)


def test_random_state_makes_it_reproducible():
    options = {"n_samples": 50, "missing_rate": 0.2, "group_relations": ("noise", "related")}
    first = make_auxiliary_tasks(**options, random_state=3)
    second = make_auxiliary_tasks(**options, random_state=3)
    other = make_auxiliary_tasks(**options, random_state=4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_as_frame_types_are_inferred_by_the_estimator():
    pd = pytest.importorskip("pandas")
    X, y, groups = make_auxiliary_tasks(
        n_samples=200, n_features=6, n_informative=3, aux_relations=("related", "noise", "related"),
        aux_types=("binary", "multiclass", "regression"), missing_rate=0.1, as_frame=True,
        random_state=0)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.DataFrame)
    assert list(X.columns) == [f"x{j}" for j in range(6)]
    assert list(y.columns) == ["main", "aux_1", "aux_2", "aux_3"]
    assert [str(t) for t in y.dtypes] == ["Int64", "Int64", "Int64", "float64"]
    assert y["aux_1"].isna().any() and not y["main"].isna().any()
    assert groups.shape == (200,)
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X, y)
    assert model.task_types_ == {"main": "binary", "aux_1": "binary", "aux_2": "multiclass",
                                 "aux_3": "regression"}
    assert model.classes_.tolist() == [0, 1]


def test_as_frame_regression_main():
    pytest.importorskip("pandas")
    X, y, _ = make_auxiliary_tasks(n_samples=100, n_features=6, n_informative=3,
                                   main_type="regression", aux_types="binary", as_frame=True,
                                   random_state=0)
    assert str(y.dtypes["main"]) == "float64"
    model = HydaMultiTaskRegressor(hidden_layer_sizes=(4,), max_iter=1).fit(X, y)
    assert model.task_types_ == {"main": "regression", "aux_1": "binary", "aux_2": "binary"}


@pytest.mark.parametrize("options, match", [
    ({"aux_relations": ("related", "unrelated")}, "Unknown relation 'unrelated'"),
    ({"aux_types": ("binary",)}, "aux_types gives 1 types for 2 tasks"),
    ({"aux_types": "ordinal"}, "Unknown auxiliary type 'ordinal'"),
    ({"group_relations": ("noise",)}, "one relation per auxiliary task"),
    ({"group_relations": ("noise", "opposite")}, "Unknown relation 'opposite'"),
    ({"main_type": "multiclass"}, "main_type must be"),
    ({"aux_relations": ("conflicting",), "n_features": 8}, "n_features >= 2 \\* n_informative"),
    ({"missing_rate": 1.0}, "missing_rate"),
    ({"missing_rate": -0.1}, "missing_rate"),
])
def test_bad_options_raise_a_clear_error(options, match):
    with pytest.raises(ValueError, match=match):
        make_auxiliary_tasks(n_samples=20, **options)
