"""Gradient cosine similarity (GCS): auxiliary gradients gated by agreement with the main task."""

from __future__ import annotations

import torch

from ._base import WeightingStrategy
from ._common import trunk_update


def cosine_to_main(gramian):
    """Cosine similarity of every task's shared gradient with the main task's.

    Parameters
    ----------
    gramian : Tensor of shape (n_tasks, n_tasks)
        Inner products of the per-task shared gradients.

    Returns
    -------
    Tensor of shape (n_tasks,)
        ``cos(g_0, g_k)``; 0 where a gradient is zero or a value is not finite.

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])
    >>> cosine_to_main(g @ g.T)
    tensor([ 1.0000,  0.7071, -1.0000,  0.0000])
    """
    norms = gramian.diagonal().clamp(min=0).sqrt()
    cosine = gramian[0] / (norms[0] * norms)
    return torch.where(torch.isfinite(cosine), cosine, torch.zeros_like(cosine))


class GradientCosineSimilarity(WeightingStrategy):
    """Use an auxiliary task's gradient only when it agrees with the main task's.

    The trunk moves along ``g_0 + sum_k gate_k g_k``, ``g_k`` the gradient of
    task k's loss with respect to the shared parameters, with
    ``gate_k = [cos(g_0, g_k) > 0]`` (unweighted) or
    ``gate_k = max(0, cos(g_0, g_k))`` (weighted). Each auxiliary task is gated
    on its own; the cosines are computed from the Gramian of the task
    gradients, the same code path as HydaLearn's first-order gains.

    Parameters
    ----------
    weighted : bool, default=False
        Scale each auxiliary gradient by its (positive) cosine instead of
        passing it whole.

    Notes
    -----
    As in Du et al., the gate applies to the shared parameters only: every
    head is trained on its own loss. ``weight_history_`` records the gates
    (1 for the main task), ``gain_history_`` the cosines. A task with no
    label in the batch has a zero gradient, a cosine of 0 and gate 0.

    References
    ----------
    .. [1] Y. Du, W. M. Czarnecki, S. M. Jayakumar, M. Farajtabar, R. Pascanu,
       B. Lakshminarayanan, "Adapting Auxiliary Losses Using Gradient
       Similarity", arXiv:1812.02224, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import GradientCosineSimilarity
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0] + 0.1 * X[:, 1]])
    >>> model = HydaMultiTaskClassifier(weighting=GradientCosineSimilarity(weighted=True),
    ...                                 max_iter=5, random_state=0).fit(X, y)
    >>> gates, cosines = model.weight_history_, model.gain_history_
    >>> bool(np.all(gates[:, 0] == 1) and np.allclose(gates[:, 1], cosines[:, 1].clip(0)))
    True
    """

    _parameter_constraints = {"weighted": ["boolean"]}

    def __init__(self, weighted=False):
        self.weighted = weighted

    def weigh(self, step):
        cosine = cosine_to_main(step.gramian)
        return trunk_update(step, self.gates(cosine), gains=cosine)

    def gates(self, cosine):
        """Coefficient of every task's gradient in the trunk update (main first, always 1).

        Parameters
        ----------
        cosine : Tensor of shape (n_tasks,)
            See :func:`cosine_to_main`.

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        gates = cosine.clamp(min=0) if self.weighted else (cosine > 0).to(cosine)
        gates[0] = 1.0
        return gates
