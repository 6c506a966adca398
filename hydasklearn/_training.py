"""The skorch net behind the estimators: a multi-task training step.

skorch's loop, history and callbacks are kept; only the pieces that differ
are overridden: ``get_iterator`` (batches cut by tensor slicing),
``train_step`` (per-task losses weighted by a strategy) and ``on_epoch_end``
(per-task epoch losses).
"""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.utils import TeeGenerator

from ._data import BatchIterator
from ._step import TrainingStep


class MultiTaskNet(NeuralNet):
    """A skorch ``NeuralNet`` whose training step weighs task losses.

    Parameters
    ----------
    module, criterion
        As in skorch; ``criterion`` must provide ``task_losses``.
    weighting : WeightingStrategy
        Chooses the task weights on every mini-batch (already started).
    generator : torch.Generator
        Source of the shuffling and of held-out gain batches.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.

    Notes
    -----
    Per optimiser step, the history's batch records hold ``task_losses``,
    ``task_weights`` and ``task_gains`` (NaN when the strategy gives none);
    per epoch, ``train_task_losses`` holds the mean loss of every task.
    """

    # Pickled through skorch's map_location path too, as they may hold tensors on
    # the device (strategy state, validation data): a model fitted on CUDA then
    # loads on a CPU-only machine.
    cuda_dependent_attributes_ = [*NeuralNet.cuda_dependent_attributes_, "weighting",
                                  "train_split"]

    def __init__(self, module, criterion, *, weighting, generator, **kwargs):
        super().__init__(module, criterion, **kwargs)
        self.weighting = weighting
        self.generator = generator

    def get_iterator(self, dataset, training=False):
        batch_size = len(dataset) if self.batch_size == -1 else self.batch_size
        return BatchIterator(dataset, batch_size, shuffle=training, generator=self.generator)

    def sample_training_batch(self, size):
        """A random batch of training data (for held-out gains)."""
        data = self._training_data
        index = torch.randint(len(data), (size,), generator=self.generator).to(data.X.device)
        return data.X[index], data.y[index]

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        self._training_data = dataset_train

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X, y, **kwargs)
        self._training_data = None  # a fitted model neither holds nor pickles the data

    def train_step(self, batch, **fit_params):
        if not self.module_.training:  # a full module.train() walk costs time on every step
            self._set_training(True)
        X, y = batch
        self._zero_grad_optimizer()
        module = self.module_
        representation = module.trunk(X)
        outputs = module.forward_heads(representation)
        losses = self.criterion_.task_losses(outputs, y)
        step = TrainingStep(
            module, self.criterion_, X, y, representation, losses,
            learning_rate=self.optimizer_.param_groups[0]["lr"],
            index=self.n_steps_, sample_batch=self.sample_training_batch,
        )
        decision = self.weighting.weigh(step)
        step.apply(decision.weights, decision.shared_gradient)
        self.notify("on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch, training=True)
        self._step_optimizer(None)
        self.n_steps_ += 1
        gains = decision.gains if decision.gains is not None else torch.full_like(losses, np.nan)
        record = torch.stack([losses.detach(), decision.weights.detach().to(losses), gains.to(losses)])
        task_losses, weights, gains = record.cpu().tolist()
        self.history.record_batch("task_losses", task_losses)
        self.history.record_batch("task_weights", weights)
        self.history.record_batch("task_gains", gains)
        return {"loss": losses[0].detach(), "y_pred": outputs}

    def initialize(self):
        super().initialize()
        self.n_steps_ = 0
        return self

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        batches = [b for b in self.history[-1]["batches"] if "task_losses" in b]
        if not batches:
            return
        sizes = np.array([b["train_batch_size"] for b in batches], dtype=np.float64)
        losses = np.array([b["task_losses"] for b in batches])
        epoch_losses = sizes @ losses / sizes.sum()
        self.history.record("train_task_losses", epoch_losses.tolist())
        self.weighting.end_epoch(epoch_losses)
