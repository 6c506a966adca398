"""Per-task losses with missing labels left out."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def per_sample_loss(kind, output, target):
    """Loss of every sample of one task (targets already encoded, NaN-free).

    Binary tasks use the logistic loss on one logit, multiclass tasks the
    cross-entropy, regression tasks half the squared error on standardised
    targets (as scikit-learn's MLP does).
    """
    if kind == "binary":
        return F.binary_cross_entropy_with_logits(output[:, 0], target, reduction="none")
    if kind == "multiclass":
        return F.cross_entropy(output, target.long(), reduction="none")
    return 0.5 * (output[:, 0] - target) ** 2


class MultiTaskLoss(torch.nn.Module):
    """Masked mean loss of each task.

    Each auxiliary loss is the mean over the samples whose label is present; a
    task with no label in the batch has loss 0 (and a zero gradient). The main
    task (the first) is always labelled (the estimators check it): its loss is
    a plain mean, which saves the masking on every step.

    Parameters
    ----------
    task_kinds : list of str
        ``"binary"``, ``"multiclass"`` or ``"regression"`` for each task.
    """

    def __init__(self, task_kinds):
        super().__init__()
        self.task_kinds = list(task_kinds)

    def task_losses(self, outputs, y):
        """Vector of the mean loss of every task, shape (n_tasks,)."""
        main_loss = per_sample_loss(self.task_kinds[0], outputs[0], y[:, 0]).mean()
        if len(outputs) == 1:
            return main_loss.unsqueeze(0)
        losses = [main_loss]
        labelled = ~torch.isnan(y)
        for k in range(1, len(outputs)):
            mask = labelled[:, k]
            target = torch.where(mask, y[:, k], torch.zeros_like(y[:, k]))
            sample_losses = per_sample_loss(self.task_kinds[k], outputs[k], target) * mask
            losses.append(sample_losses.sum() / mask.sum().clamp(min=1))
        return torch.stack(losses)

    def forward(self, outputs, y):
        """The main task's loss (what skorch records as ``train_loss``/``valid_loss``)."""
        return self.task_losses(outputs[:1], y[:, :1])[0]
