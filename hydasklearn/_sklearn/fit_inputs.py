"""What a fit trains on: checked features, row weights, datasets, device.

Checks that must pass before any fitted attribute is set live here, so that
a fit that fails leaves the estimator as it was.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight, validate_data

from .._backend.batches import TensorDataset
from .._model.network import layer_sizes
from .categorical import categorical_mask, encoded_X

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def validated_X(estimator, X, reset):
    """``X`` as a float array with the estimator's feature checks, in float32's range.

    With categorical columns (:mod:`~hydasklearn._sklearn.categorical`), the
    numeric columns come first, then one column of category codes per
    categorical column.
    """
    categorical = categorical_mask(estimator, X, reset)
    if categorical is not None:
        X = encoded_X(estimator, X, categorical, reset)
    else:
        X = validate_data(estimator, X, dtype=[np.float64, np.float32], reset=reset)
    # max and min, not abs(X).max(): no temporary copy of a large X.
    if X.size and max(float(X.max()), -float(X.min())) > _FLOAT32_MAX:
        raise ValueError("X holds values beyond float32's range (|x| > 3.4e38); the "
                         "network computes in float32. Scale the features first.")
    return X


def row_weights(X, sample_weight, class_weights):
    """The rows' weights (``sample_weight`` times class weights), or None for none."""
    if sample_weight is None and class_weights is None:
        return None
    weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if class_weights is not None:
        weights = weights * class_weights
    if not weights.sum() > 0:  # class weights of 0 can do this
        raise ValueError("The row weights must contain at least one non-zero number.")
    return weights


def training_datasets(X, encoded, weights, seed, device, validation_fraction=None,
                      stratify=None):
    """Training and validation datasets; the latter only with a ``validation_fraction``."""
    if validation_fraction is None:
        return TensorDataset(X, encoded, device, weights), None
    rows = np.arange(len(X))
    try:
        train, valid = train_test_split(rows, test_size=validation_fraction,
                                        random_state=seed, stratify=stratify)
    except ValueError:  # a class too small to stratify on
        train, valid = train_test_split(rows, test_size=validation_fraction, random_state=seed)
    return tuple(TensorDataset(X, encoded, device, weights, rows=part) for part in (train, valid))


def check_trunk(hidden_layer_sizes, trunk=None):
    """Raise unless the shared trunk has at least one layer of positive width.

    A user's ``trunk`` must be a module class or a function, not a module
    (each fit builds its own); its output is checked when the network is
    built. ``hidden_layer_sizes`` is then not used.
    """
    if trunk is not None:
        if isinstance(trunk, torch.nn.Module):
            raise TypeError(
                f"trunk must be a torch.nn.Module class or a function that builds one from "
                f"n_features, not the module {trunk!r}: pass its class (or a function), "
                "so that every fit builds and trains its own trunk.")
        return
    if not layer_sizes(hidden_layer_sizes):
        raise ValueError("hidden_layer_sizes must hold at least one layer: the shared "
                         "trunk that the tasks share.")


def checked_device(device):
    """``device`` as a torch.device, checked to exist before anything is fitted."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"Unknown device {device!r}: {error}") from None
    available = {"cuda": torch.cuda.is_available,
                 "mps": lambda: torch.backends.mps.is_available()}.get(parsed.type)
    if available is not None and not available():
        raise ValueError(f"device={device!r}, but torch finds no {parsed.type} device on "
                         "this machine; use device='cpu'.")
    if parsed.type == "cuda" and parsed.index is not None and (
            parsed.index >= torch.cuda.device_count()):
        raise ValueError(f"device={device!r}, but this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s).")
    return parsed
