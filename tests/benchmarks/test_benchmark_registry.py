"""The benchmarks' registry: unique names, every set-up loads, every configuration builds."""

import csv
import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

registry = importlib.import_module("_registry")


def _signature(weighting):
    """What a configuration is, to compare two: its class and parameters, or its name."""
    from hydasklearn.weighting import STRATEGIES

    if isinstance(weighting, str) and weighting in STRATEGIES:
        weighting = STRATEGIES[weighting]()  # a strategy's name means its defaults
    if hasattr(weighting, "get_params"):
        return type(weighting).__name__, repr(sorted(weighting.get_params(deep=True).items()))
    return repr(weighting)


def test_every_configuration_builds_a_fresh_weighting():
    for name in registry.CONFIGURATIONS:
        if name.startswith("torchjd") and importlib.util.find_spec("torchjd") is None:
            continue
        first, second = registry.resolve(name), registry.resolve(name)
        assert first is not None
        if hasattr(first, "get_params"):
            assert first is not second  # a fresh object every time


def test_no_two_names_build_the_same_configuration():
    seen = {}
    for name in registry.CONFIGURATIONS:
        if name.startswith("torchjd") and importlib.util.find_spec("torchjd") is None:
            continue
        signature = _signature(registry.resolve(name))
        assert signature not in seen, f"{name!r} is {seen.get(signature)!r} under another name"
        seen[signature] = name


def test_labels_resolve_through_hydalearn_from_options():
    assert registry.resolve("static:1,2,0") == [1.0, 2.0, 0.0]
    assert registry.resolve("single-task") == "single"
    assert registry.resolve("hydalearn") == "hydalearn"
    options = importlib.import_module("_hydalearn_options")
    built = registry.resolve("hydalearn:warm_up=0,gain_ratio=0.2")
    assert _signature(built) == _signature(options.hydalearn_from_options(warm_up=0,
                                                                          gain_ratio=0.2))
    with pytest.raises(SystemExit, match="Unknown configuration"):
        registry.resolve("no such configuration")
    for checked in ("checked:", *registry.SPLIT_CHECKED):  # the harness wraps the model
        assert registry.resolve(f"{checked}static:1,2") == [1.0, 2.0]


def test_recorded_grid_labels_still_resolve():
    path = BENCHMARKS / "results" / "grid.csv"
    if not path.is_file():
        pytest.skip("no recorded grid")
    with open(path, newline="") as file:
        labels = {row["variant"] for row in csv.DictReader(file)}
    for label in labels:
        registry.resolve(registry.RENAMED.get(label, label))


def test_timed_configurations_are_in_the_registry():
    assert set(registry.TIMED) <= set(registry.CONFIGURATIONS)
    assert set(registry.RENAMED.values()) <= set(registry.CONFIGURATIONS)
    assert not set(registry.RENAMED) & set(registry.CONFIGURATIONS)


def test_setups_have_unique_names_that_start_with_their_kind():
    names = [setup.name for setup in [*registry.GRID_SETUPS, *registry._main_job_setups()]]
    assert len(names) == len(set(names)) == len(registry.SETUPS)
    for name in registry.GRID:
        assert name.split(":")[0] == registry.SETUPS[name].kind
    assert registry.MAIN_JOB and all(n.startswith("main job: ") for n in registry.MAIN_JOB)
    assert registry.select_setups(["hurt"], registry.GRID) == [
        n for n in registry.GRID if n.startswith("hurt")]
    assert registry.select_setups(None, registry.MAIN_JOB) == registry.MAIN_JOB


@pytest.mark.parametrize("name", [n for n, s in registry.SETUPS.items() if s.kind != "real"])
def test_every_generated_setup_loads_a_split_per_seed(name):
    setup = registry.SETUPS[name]
    split = setup.load(0, max_rows=50)
    assert len(split.X_train) == len(split.y_train) <= 50
    assert len(split.X_test) == len(split.y_test) > 0
    assert split.y_train.shape[1] == split.y_test.shape[1] >= 2
    assert set(np.unique(split.y_train[:, 0])) <= {0, 1}
    again, other = setup.load(0, max_rows=50), setup.load(1, max_rows=50)
    np.testing.assert_array_equal(split.X_train, again.X_train)
    assert not np.array_equal(split.X_train, other.X_train)


def test_real_setups_split_their_data_set(monkeypatch):
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    y = pd.DataFrame({"main": (X["a"] > 0).astype(int), "aux": X["b"]})
    monkeypatch.setitem(registry.DATASETS, "stub", registry.DataSet("stub", "Stub", "",
                                                                     lambda: (X, y)))
    registry._arrays.cache_clear()
    try:
        setup = registry.RealSetup("real: stub", "real", dataset="stub")
        split = setup.load(0, max_rows=60)
        assert len(split.X_train) == 60 and len(split.X_test) == 50
        np.testing.assert_allclose(setup.load(0).X_train.mean(axis=0), 0, atol=1e-12)
    finally:
        registry._arrays.cache_clear()
    for name in registry.GRID:
        if registry.SETUPS[name].kind == "real":
            assert registry.SETUPS[name].dataset in registry.DATASETS


def test_the_generated_data_set_loads():
    X, y = registry.DATASETS["generated"].load()
    assert X.shape == (3000, 20)
    assert list(y.columns[1:]) == ["related", "noise", "conflicting"]
    small_X, small_y = registry.subsample(X, y, 300)
    assert len(small_X) == len(small_y) == 300
