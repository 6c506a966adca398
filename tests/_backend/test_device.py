"""Devices: fits on CUDA match the CPU, and a model fitted on CUDA loads without CUDA.

Tests marked ``cuda`` need a CUDA device and are skipped without one
(``benchmarks/gpu_check.sh`` runs them); the others check the CPU side of
moving a model between machines.
"""

import io
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning

from _fitting import FAST, auxiliary_data, fit_quietly
from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._backend.batches import BatchIterator, TensorDataset
from hydasklearn.weighting import STRATEGIES

X, Y = auxiliary_data(n_samples=200, n_features=5, n_informative=3)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _fit(weighting="equal", device="cpu", **options):
    if weighting == "torchjd":
        pytest.importorskip("torchjd", reason="needs the 'torchjd' extra")
    model = HydaMultiTaskClassifier(hidden_layer_sizes=(8,), max_iter=3, batch_size=50,
                                    weighting=weighting, device=device, random_state=0,
                                    **options)
    return fit_quietly(model, X, Y)


class _TensorFinder(pickle.Pickler):
    """Pickles to nowhere, noting every tensor met on the way."""

    def __init__(self):
        super().__init__(io.BytesIO())
        self.found = []

    def reducer_override(self, obj):
        if isinstance(obj, torch.Tensor):
            self.found.append(tuple(obj.shape))
        return NotImplemented


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("weighting", list(STRATEGIES))
def test_every_tensor_of_a_fitted_model_is_pickled_with_a_map_location(weighting, early_stopping):
    # skorch loads its cuda-dependent attributes with map_location="cpu" where
    # CUDA is missing; a tensor pickled anywhere else would not load there.
    model = _fit(weighting, early_stopping=early_stopping)
    state = model.net_.__getstate__()
    state.pop("__cuda_dependent_attributes__")
    assert state.pop("generator_").device.type == "cpu"  # made on the CPU whatever the device
    finder = _TensorFinder()
    finder.dump(state)
    finder.dump({key: value for key, value in vars(model).items() if key != "net_"})
    assert finder.found == []


def test_model_saved_for_cuda_loads_and_predicts_on_a_cpu_only_machine(monkeypatch):
    model = _fit("hydalearn")
    expected = model.predict_proba(X)
    # What a CUDA fit leaves (the net's device "cuda"), without a GPU to make it.
    model.set_params(device="cuda")
    model.net_.device = "cuda"
    saved = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="no CUDA devices"):
        loaded = pickle.loads(saved)
    assert torch.device(loaded.net_.device).type == "cpu"
    assert {p.device.type for p in loaded.net_.module_.parameters()} == {"cpu"}
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def test_a_fitted_model_does_not_keep_the_training_data():
    model = _fit()
    assert model.net_._training_data is None
    # Nor does its pickle hold the float32 copy of X the fit was made on.
    assert X[:20].astype(np.float32).tobytes() not in pickle.dumps(model)


class _BatchDevices(Callback):
    def initialize(self):
        self.devices = set()
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self.devices |= {tensor.device.type for tensor in batch}


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("weighting", list(STRATEGIES))
def test_every_strategy_fits_on_cuda_close_to_the_cpu(weighting):
    on_cpu = _fit(weighting)
    on_cuda = _fit(weighting, device="cuda")
    assert {p.device.type for p in on_cuda.net_.module_.parameters()} == {"cuda"}
    np.testing.assert_allclose(on_cuda.predict_proba(X), on_cpu.predict_proba(X), atol=1e-3)
    np.testing.assert_allclose(on_cuda.loss_curve_, on_cpu.loss_curve_, rtol=1e-3)


@pytest.mark.cuda
@needs_cuda
def test_data_stay_on_the_device_across_batches():
    data = TensorDataset(X, Y, "cuda")
    for shuffle in (False, True):
        batches = list(BatchIterator(data, 64, shuffle=shuffle,
                                     generator=torch.Generator().manual_seed(0)))
        assert {t.device.type for batch in batches for t in batch} == {"cuda"}
    watcher = _BatchDevices()
    _fit("hydalearn", device="cuda", callbacks=[watcher])
    assert watcher.devices == {"cuda"}


_LOAD_ON_CPU = """
import pickle, sys, warnings
import numpy as np, torch
assert not torch.cuda.is_available()
warnings.simplefilter("ignore")
model = pickle.loads(sys.stdin.buffer.read())
assert torch.device(model.net_.device).type == "cpu", model.net_.device
np.save(sys.stdout.buffer, model.predict_proba(np.load(sys.argv[1])))
"""


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("early_stopping", [False, True])
def test_model_fitted_on_cuda_predicts_in_a_process_without_cuda(tmp_path, early_stopping):
    model = _fit("gradnorm", device="cuda", early_stopping=early_stopping)
    np.save(tmp_path / "X.npy", X)
    done = subprocess.run([sys.executable, "-c", _LOAD_ON_CPU, str(tmp_path / "X.npy")],
                          input=pickle.dumps(model), capture_output=True,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    on_cpu = np.load(io.BytesIO(done.stdout))
    np.testing.assert_allclose(on_cpu, model.predict_proba(X), atol=1e-6)


def test_device_is_used_for_the_network(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(device=torch.device("cpu"), **FAST).fit(X, y)
    assert next(model.net_.module_.parameters()).device.type == "cpu"
    assert model.predict_proba(X).dtype == np.float64


@pytest.mark.cuda
@needs_cuda
def test_cuda_device(mixed):
    X, y = mixed
    model = HydaMultiTaskClassifier(device="cuda", **FAST).fit(X, y)
    assert next(model.net_.module_.parameters()).device.type == "cuda"
    assert model.predict_proba(X).shape == (len(X), 2)
    assert set(model.predict_tasks(X)) == set(model.task_names_)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))

