"""A real training step on a given network and batch, for the engine's tests."""

from hydasklearn._engine.step import TrainingStep
from hydasklearn._engine.written_backward import record_forward
from hydasklearn._model.losses import MultiTaskLoss

#: The tasks of the engine tests' networks: a binary, a regression and a 3-class task.
KINDS = ["binary", "regression", "multiclass"]


def step_on_batch(module, X, y, recorded=False, sample_weight=None, sample_batch=None,
                  kinds=KINDS, learning_rate=0.1):
    """The :class:`TrainingStep` of ``module`` on ``(X, y)`` (tasks of the given ``kinds``).

    ``recorded``: the losses come from :func:`record_forward`'s outputs, so
    that the step's backward passes can be written out; otherwise autograd's.
    """
    criterion = MultiTaskLoss(kinds)
    if recorded:
        representation, outputs, record = record_forward(module, X)
    else:
        representation, record = module.trunk(X), None
        outputs = module.forward_heads(representation)
    losses = criterion.task_losses(outputs, y, sample_weight)
    return TrainingStep(module, criterion, X, y, representation, losses, learning_rate,
                        sample_batch=sample_batch, sample_weight=sample_weight, record=record)
