"""SLGrad: sample-level task weights from agreement with a held-out main-task gradient."""

from __future__ import annotations

import torch

from ._base import Decision, WeightingStrategy


def slgrad_sample_weights(products, n_labeled):
    """Per-sample, per-task weights from gradient inner products.

    Parameters
    ----------
    products : Tensor of shape (batch_size, n_tasks)
        ``<grad l_k(x_i), g_val>`` for every sample and task (0 where
        unlabeled), ``g_val`` the main-task gradient on held-out data.
    n_labeled : Tensor of shape (n_tasks,)
        Number of samples labeled for every task.

    Returns
    -------
    task_weights : Tensor of shape (n_tasks,)
        Total weight of every task's samples; they sum to ``n_tasks``.
    relative_weights : Tensor of shape (batch_size, n_tasks)
        Every sample's weight inside its task, as a multiple of the task's
        mean sample weight (mean 1 over a task's labeled samples, 0 for a
        task with no weight).

    Notes
    -----
    The raw weight ``max(products[i, k], 0)`` (non-finite values count as 0)
    is normalized so that all weights of the batch sum to ``n_tasks``, the
    total of equal weighting (after Ren et al.'s learning to reweight, whose
    weights sum to one). Then ``sum_ik w_ik l_ik = sum_k task_weights[k] *
    (1 / n_k) sum_i relative_weights[i, k] l_ik``. When no product is positive,
    the main task takes all the weight, its samples equally, as in HydaLearn.

    Examples
    --------
    >>> import torch
    >>> products = torch.tensor([[3.0, -1.0], [0.0, 1.0]])
    >>> task_weights, relative = slgrad_sample_weights(products, torch.tensor([2, 2]))
    >>> task_weights.tolist(), relative.tolist()
    ([1.5, 0.5], [[2.0, 0.0], [0.0, 2.0]])
    """
    raw = torch.nan_to_num(products.detach(), nan=0.0, posinf=0.0, neginf=0.0).clamp(min=0)
    n_tasks = raw.shape[1]
    total = raw.sum()
    if not total > 0:
        task_weights = torch.zeros(n_tasks, dtype=raw.dtype, device=raw.device)
        task_weights[0] = n_tasks
        return task_weights, torch.ones_like(raw)
    weights = raw * (n_tasks / total)
    task_weights = weights.sum(dim=0)
    per_sample_mean = task_weights / n_labeled.to(raw).clamp(min=1)
    relative = torch.where(per_sample_mean > 0, weights / per_sample_mean.clamp(min=1e-30),
                           torch.zeros_like(weights))
    return task_weights, relative


class SLGrad(WeightingStrategy):
    """Sample-level, per-task loss weights (SLGrad).

    On every step, the gradient of the main-task loss with respect to the
    shared parameters is taken on a held-out batch of the training data
    (``g_val``); every sample i and task k get the weight
    ``w_ik proportional to max(0, <grad_theta l_k(x_i), g_val>)``: a sample's
    auxiliary (or main) signal counts only where a step along it would lower
    the held-out main loss, to first order. The update is the gradient of
    ``sum_ik w_ik l_k(x_i)``, the weights summing to the number of tasks.

    The inner products with ``g_val`` for all samples and tasks come from one
    batched forward-mode pass (``torch.func.jvp`` through the trunk's pure forward;
    see ``TrainingStep.sample_gradient_products``): the same numbers as
    per-sample gradients (``vmap(grad(...))``) times ``g_val``, without
    materializing a gradient per sample.

    Notes
    -----
    ``weight_history_`` records, per task, the total weight of its samples
    (``n_k`` times their mean weight; the tasks' totals sum to the number of
    tasks, so all ones means "as equal weighting" on that batch).
    ``gain_history_`` records ``eta <grad L_k, g_val>``, HydaLearn's
    first-order gain on held-out data (``eta`` the learning rate). Sample
    gradients are taken without dropout. A sample without a label for a task
    has weight 0 on it. When no inner product is positive, the main task takes
    all the weight (see :func:`slgrad_sample_weights`).

    Cost per step: one forward and backward pass on the held-out batch, one
    forward-mode pass on the batch, the heads run again, and the usual
    backward.

    References
    ----------
    .. [1] E. Grégoire, M. H. Chaudhary, S. Verboven, "Sample-Level Weighting
       for Multi-Task Learning with Auxiliary Tasks", Applied Intelligence
       54(4):3482-3501, 2024; arXiv:2306.04519.
    .. [2] M. Ren, W. Zeng, B. Yang, R. Urtasun, "Learning to Reweight
       Examples for Robust Deep Learning", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import SLGrad
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0] + 0.1 * X[:, 1]])
    >>> model = HydaMultiTaskClassifier(weighting=SLGrad(), max_iter=5, random_state=0).fit(X, y)
    >>> bool(np.allclose(model.weight_history_.sum(axis=1), 2.0))
    True
    """

    def weigh(self, step):
        products = step.sample_gradient_products(step.main_gradient("heldout"))
        n_labeled = step.labeled.to(products.device)
        task_weights, relative = slgrad_sample_weights(products, n_labeled)
        gains = step.learning_rate * products.sum(dim=0) / n_labeled.clamp(min=1)
        return Decision(task_weights.to(step.losses), gains=gains.detach(),
                        sample_weights=relative)
