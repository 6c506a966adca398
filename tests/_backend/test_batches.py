"""The data path: batches by slicing, no whole copy of X per epoch."""

import numpy as np
import torch

from hydasklearn._backend.batches import BatchIterator, TensorDataset


def test_dataset_casts_float64_and_negative_strides_to_float32():
    X = np.arange(12, dtype=np.float64).reshape(6, 2) + 0.1
    data = TensorDataset(X[::-1], X[::-1, :1])
    assert data.X.dtype == torch.float32 and data.y.dtype == torch.float32
    np.testing.assert_array_equal(data.X.numpy(), X[::-1].astype(np.float32))
    np.testing.assert_array_equal(data.y.numpy(), X[::-1, :1].astype(np.float32))


def test_dataset_copies_float32_input():
    X = np.ones((4, 3), dtype=np.float32)
    data = TensorDataset(X)
    X[0, 0] = 5.0
    assert data.X[0, 0].item() == 1.0


def test_shuffled_batches_are_those_of_the_permuted_data():
    X = torch.arange(23.0).reshape(-1, 1)
    data = TensorDataset(X.numpy(), 2 * X.numpy())
    batches = list(BatchIterator(data, 5, shuffle=True, generator=torch.Generator().manual_seed(3)))
    order = torch.randperm(23, generator=torch.Generator().manual_seed(3))
    assert [len(b[0]) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(torch.cat([b[0] for b in batches]).numpy(), X[order].numpy())
    np.testing.assert_array_equal(torch.cat([b[1] for b in batches]).numpy(), 2 * X[order].numpy())


def test_shuffling_leaves_the_dataset_unpermuted_and_unshuffled_batches_are_views():
    X = np.arange(10.0).reshape(-1, 1)
    data = TensorDataset(X)
    list(BatchIterator(data, 4, shuffle=True, generator=torch.Generator().manual_seed(0)))
    np.testing.assert_array_equal(data.X.numpy(), X.astype(np.float32))
    first, _ = next(iter(BatchIterator(data, 4)))
    assert first.data_ptr() == data.X.data_ptr()


def test_dataset_of_selected_rows_gathers_them_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr("hydasklearn._backend.batches._CHUNK_ROWS", 3)
    X = np.arange(20, dtype=np.float64).reshape(10, 2)
    rows = np.array([7, 0, 3, 9, 1, 4, 8])
    data = TensorDataset(X, X[:, :1] * 2, rows=rows)
    np.testing.assert_array_equal(data.X.numpy(), X[rows].astype(np.float32))
    np.testing.assert_array_equal(data.y.numpy(), 2 * X[rows, :1].astype(np.float32))
