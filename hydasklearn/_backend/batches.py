"""Fast data path: batches are cut by tensor slicing, never by per-sample collate."""

from __future__ import annotations

import numpy as np
import torch


class TensorDataset(torch.utils.data.Dataset):
    """Features, encoded targets and row weights held as whole tensors.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_tasks) or None
        Encoded targets, NaN where a label is missing.
    device : str or torch.device
        Where the tensors live; batches are slices of them, so they are cut on
        that device.
    sample_weight : ndarray of shape (n_samples,) or None
        Row weights; batches then carry ``(y, sample_weight)`` as targets.
    dtype : numpy dtype, default=np.float32
        Of ``X``: float32 for training, float64 for predictions.
    rows : ndarray of int or None
        Only these rows, in this order (a split of ``X`` without a copy of it).
    """

    def __init__(self, X, y=None, device="cpu", sample_weight=None, dtype=np.float32,
                 rows=None):
        self.X = _as_tensor(X, device, rows, dtype)
        self.y = None if y is None else _as_tensor(y, device, rows)
        self.sample_weight = (None if sample_weight is None
                              else _as_tensor(sample_weight, device, rows))

    def __len__(self):
        return len(self.X)

    def targets(self, index):
        """The targets of some rows: ``y``, or ``(y, sample_weight)``."""
        if self.y is None:
            return torch.empty(0)
        if self.sample_weight is None:
            return self.y[index]
        return self.y[index], self.sample_weight[index]

    def __getitem__(self, index):
        return self.X[index], self.targets(index)


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
        dataset = self.dataset
        X, n_samples = dataset.X, len(dataset.X)
        if not self.shuffle:
            for start in range(0, n_samples, self.batch_size):
                rows = slice(start, start + self.batch_size)
                yield X[rows], dataset.targets(rows)
            return
        # Gather each batch through its slice of the permutation: the same
        # batches as permuting X whole, without a second copy of X per epoch.
        order = torch.randperm(n_samples, generator=self.generator).to(X.device)
        for start in range(0, n_samples, self.batch_size):
            rows = order[start:start + self.batch_size]
            yield X[rows], dataset.targets(rows)


_CHUNK_ROWS = 2**16


def _as_tensor(array, device, rows=None, dtype=np.float32):
    """A ``dtype`` copy of ``array`` (or of its ``rows``) in torch's own memory.

    Torch's own (aligned) memory makes BLAS results independent of where numpy
    happened to allocate the input. Casting straight into that buffer keeps
    the peak at one copy: no float32 numpy intermediate for float64 input,
    any strides (``X[::-1]``) read as they are; selected rows are gathered a
    chunk at a time.
    """
    array = np.asarray(array)
    torch_dtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    shape = array.shape if rows is None else (len(rows),) + array.shape[1:]
    tensor = torch.empty(shape, dtype=torch_dtype)
    out = tensor.numpy()
    if rows is None:
        np.copyto(out, array, casting="unsafe")
    else:
        for start in range(0, len(rows), _CHUNK_ROWS):
            chunk = slice(start, start + _CHUNK_ROWS)
            np.copyto(out[chunk], array[rows[chunk]], casting="unsafe")
    return tensor.to(device)
