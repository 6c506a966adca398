"""PCGrad: project away the conflicting components of task gradients."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._base import WeightingStrategy
from ._common import trunk_update


def pcgrad_coefficients(gramian, orders):
    """PCGrad's update as a combination of the task gradients, from their Gramian.

    Each task's gradient ``g_i`` is projected, in the order ``orders[i]``, onto
    the normal plane of every other task's gradient ``g_j`` it conflicts with
    (``<g_i', g_j> < 0``): ``g_i' <- g_i' - <g_i', g_j> / |g_j|^2 g_j``. Every
    ``g_i'`` stays a combination of the original gradients, so the whole
    projection runs on their inner products; the update ``sum_i g_i'`` equals
    ``sum_k c_k g_k`` with the returned ``c``.

    Parameters
    ----------
    gramian : Tensor of shape (n_tasks, n_tasks)
        Inner products of the per-task shared gradients.
    orders : sequence of sequence of int
        For every task i, the order in which the other tasks are visited
        (entries equal to i are skipped).

    Returns
    -------
    Tensor of shape (n_tasks,)

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])
    >>> c = pcgrad_coefficients(g @ g.T, [[1], [0]])
    >>> c
    tensor([2.0000, 1.5000], dtype=torch.float64)
    >>> (c.float() @ g).tolist()  # (1, 0) + 0.5 (-1, 1)  +  (-1, 1) + (1, 0)
    [0.5, 1.5]
    """
    gramian = gramian.detach().double().cpu()
    n_tasks = len(gramian)
    combinations = torch.eye(n_tasks, dtype=torch.float64)
    for i in range(n_tasks):
        for j in orders[i]:
            if j == i or not gramian[j, j] > 0:
                continue
            conflict = combinations[i] @ gramian[:, j]
            if conflict < 0:
                combinations[i, j] -= conflict / gramian[j, j]
    return combinations.sum(dim=0)


class PCGrad(WeightingStrategy):
    """Gradient surgery (PCGrad): remove conflicts between task gradients.

    For each task, its gradient with respect to the shared parameters is
    projected onto the normal plane of every other task's gradient it
    conflicts with (negative inner product), the other tasks taken in a random
    order; the trunk moves along the sum of the projected gradients. The
    projection is computed from the Gramian of the task gradients (the code
    path HydaLearn's first-order gains use) and applied as one combination of
    the gradients, with no further backward pass.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seeds the random task orders. ``None`` derives the seed from the
        fit's seed (the estimator's ``random_state``): the same estimator
        seed gives the same orders.

    Notes
    -----
    As in Yu et al., the surgery applies to the shared parameters only; every
    head is trained on its own loss. ``weight_history_`` records the
    effective trunk weights ``c``: the projected sum is ``sum_k c_k g_k``
    (``c_k >= 1``; all ones when no gradients conflict). A task with no
    label in the batch has a zero gradient and takes no part in any
    projection.

    References
    ----------
    .. [1] T. Yu, S. Kumar, A. Gupta, S. Levine, K. Hausman, C. Finn,
       "Gradient Surgery for Multi-Task Learning", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import PCGrad
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, -X[:, 0] + 0.1 * X[:, 1], rng.normal(size=200)])
    >>> model = HydaMultiTaskClassifier(weighting=PCGrad(random_state=0),
    ...                                 max_iter=5, random_state=0).fit(X, y)
    >>> bool(np.all(model.weight_history_ >= 1))
    True
    """

    _parameter_constraints = {"random_state": ["random_state"]}

    def __init__(self, random_state=None):
        self.random_state = random_state

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        source = random_state if self.random_state is None else self.random_state
        seed = int(check_random_state(source).randint(np.iinfo(np.int32).max))
        self.generator_ = torch.Generator().manual_seed(seed)

    def weigh(self, step):
        orders = [torch.randperm(step.n_tasks, generator=self.generator_).tolist()
                  for _ in range(step.n_tasks)]
        return trunk_update(step, pcgrad_coefficients(step.gramian, orders))
