"""Fast data path: batches are cut by tensor slicing, never by per-sample collate."""

from __future__ import annotations

import numpy as np
import torch


class TensorDataset(torch.utils.data.Dataset):
    """Features and (optionally) encoded targets held as whole tensors.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_tasks) or None
        Encoded targets, NaN where a label is missing.
    device : str or torch.device
        Where the tensors live; batches are slices of them, so they are cut on
        that device.
    rows : ndarray of int or None
        Only these rows, in this order (a split of ``X`` without a copy of it).
    """

    def __init__(self, X, y=None, device="cpu", rows=None):
        self.X = _as_float32_tensor(X, device, rows)
        self.y = None if y is None else _as_float32_tensor(y, device, rows)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], (self.y[index] if self.y is not None else torch.empty(0))


class BatchIterator:
    """Iterate over a :class:`TensorDataset` in mini-batches.

    Parameters
    ----------
    dataset : TensorDataset
    batch_size : int
    shuffle : bool
        Draw a new permutation every epoch.
    generator : torch.Generator or None
        Source of the permutations; a seeded generator makes the order
        reproducible without touching torch's global random state.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        X, y = self.dataset.X, self.dataset.y
        n_samples = len(X)
        if not self.shuffle:
            for start in range(0, n_samples, self.batch_size):
                stop = start + self.batch_size
                yield X[start:stop], (y[start:stop] if y is not None else None)
            return
        # Gather each batch through its slice of the permutation: the same
        # batches as permuting X whole, without a second copy of X per epoch.
        order = torch.randperm(n_samples, generator=self.generator).to(X.device)
        for start in range(0, n_samples, self.batch_size):
            index = order[start:start + self.batch_size]
            yield X[index], (y[index] if y is not None else None)


_CHUNK_ROWS = 2**16


def _as_float32_tensor(array, device, rows=None):
    """A float32 copy of ``array`` (or of its ``rows``) in torch's own memory.

    Torch's own (aligned) memory makes BLAS results independent of where numpy
    happened to allocate the input. Casting straight into that buffer keeps
    the peak at one float32 copy: no float32 numpy intermediate for float64
    input, any strides (``X[::-1]``) read as they are; selected rows are
    gathered a chunk at a time.
    """
    array = np.asarray(array)
    if rows is None:
        tensor = torch.empty(array.shape, dtype=torch.float32)
        np.copyto(tensor.numpy(), array, casting="unsafe")
        return tensor.to(device)
    tensor = torch.empty((len(rows),) + array.shape[1:], dtype=torch.float32)
    out = tensor.numpy()
    for start in range(0, len(rows), _CHUNK_ROWS):
        chunk = slice(start, start + _CHUNK_ROWS)
        np.copyto(out[chunk], array[rows[chunk]], casting="unsafe")
    return tensor.to(device)
