"""Per-task losses with missing labels left out, and optional row weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def per_sample_loss(kind, output, target):
    """Loss of every sample of one task (targets already encoded, NaN-free).

    Binary tasks use the logistic loss on one logit, multiclass tasks the
    cross-entropy, regression tasks half the squared error on standardized
    targets (as scikit-learn's MLP does).
    """
    if kind == "binary":
        return F.binary_cross_entropy_with_logits(output[:, 0], target, reduction="none")
    if kind == "multiclass":
        return F.cross_entropy(output, target.long(), reduction="none")
    return 0.5 * (output[:, 0] - target) ** 2


def mean_loss(kind, output, target):
    """Mean of :func:`per_sample_loss`, in one fused kernel where torch has one."""
    if kind == "binary":
        return F.binary_cross_entropy_with_logits(output[:, 0], target)
    if kind == "multiclass":
        return F.cross_entropy(output, target.long())
    return 0.5 * F.mse_loss(output[:, 0], target)


def split_targets(y):
    """``(targets, sample_weight)`` of a batch's ``y``: a tensor, or a pair with row weights."""
    if isinstance(y, (tuple, list)):
        return y[0], y[1]
    return y, None


class MultiTaskLoss(torch.nn.Module):
    """Masked, optionally row-weighted, mean loss of each task.

    Each auxiliary loss is the mean over the samples whose label is present;
    a task with no label in the batch has loss 0 (and a zero gradient). The
    main task (the first) is always labeled (the estimators check it): its
    loss is a plain mean, which saves the masking on every step. With row
    weights ``w``, every mean becomes ``sum_i w_i l_i / sum_i w_i`` over the
    labeled rows, so a row of weight 0 counts as absent.

    Parameters
    ----------
    task_kinds : list of str
        ``"binary"``, ``"multiclass"`` or ``"regression"`` for each task.
    """

    def __init__(self, task_kinds):
        super().__init__()
        self.task_kinds = list(task_kinds)

    def task_losses(self, outputs, y, sample_weight=None):
        """Vector of the mean loss of every task, shape (n_tasks,).

        Parameters
        ----------
        outputs : sequence of Tensor
            One head output per task (the first ``len(outputs)`` columns of ``y``).
        y : Tensor of shape (batch_size, n_tasks)
        sample_weight : Tensor of shape (batch_size,) or None
        """
        if sample_weight is None:
            main_loss = mean_loss(self.task_kinds[0], outputs[0], y[:, 0])
        else:
            main = per_sample_loss(self.task_kinds[0], outputs[0], y[:, 0])
            main_loss = (main * sample_weight).sum() / sample_weight.sum().clamp(min=1e-12)
        if len(outputs) == 1:
            return main_loss.unsqueeze(0)
        losses = [main_loss]
        labeled = ~torch.isnan(y)
        for k in range(1, len(outputs)):
            mask = labeled[:, k]
            target = torch.where(mask, y[:, k], torch.zeros_like(y[:, k]))
            weight = mask if sample_weight is None else mask * sample_weight
            sample_losses = per_sample_loss(self.task_kinds[k], outputs[k], target) * weight
            losses.append(sample_losses.sum() / weight.sum().clamp(min=1e-12)
                          if sample_weight is not None
                          else sample_losses.sum() / mask.sum().clamp(min=1))
        return torch.stack(losses)

    def forward(self, outputs, y):
        """The main task's loss (what skorch records as ``train_loss``/``valid_loss``)."""
        targets, sample_weight = split_targets(y)
        return self.task_losses(outputs[:1], targets[:, :1], sample_weight)[0]
