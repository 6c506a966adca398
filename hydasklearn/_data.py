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
    sample_weight : ndarray of shape (n_samples,) or None
        Row weights; batches then carry ``(y, sample_weight)`` as targets.
    dtype : numpy dtype, default=np.float32
        Of ``X``: float32 for training, float64 for predictions.
    """

    def __init__(self, X, y=None, device="cpu", sample_weight=None, dtype=np.float32):
        # torch.tensor copies into torch's own (aligned) memory: BLAS results
        # then do not depend on where numpy happened to allocate X. It cannot
        # read negative strides (X[::-1]), hence the contiguous arrays.
        self.X = torch.tensor(np.ascontiguousarray(X, dtype=dtype), device=device)
        self.y = None if y is None else torch.tensor(
            np.ascontiguousarray(y, dtype=np.float32), device=device)
        self.sample_weight = None if sample_weight is None else torch.tensor(
            np.ascontiguousarray(sample_weight, dtype=np.float32), device=device)

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
        order = torch.randperm(n_samples, generator=self.generator).to(X.device)
        for start in range(0, n_samples, self.batch_size):
            rows = order[start:start + self.batch_size]
            yield X[rows], dataset.targets(rows)
