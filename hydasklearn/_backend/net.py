"""The skorch net behind the estimators: a multi-task training step.

skorch's loop, history and callbacks are kept; the net overrides skorch's
public seams only: ``initialize`` (the weighting strategy's life starts
here), ``get_iterator`` (batches cut by tensor slicing),
``train_step_single`` (per-task losses, the strategy's decision, the update),
``infer`` / ``evaluation_step`` / ``validation_step`` (a pure forward pass
that changes no module state) and ``on_epoch_end`` (per-step records,
per-task epoch losses, the strategy's epoch hook).
"""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator

from .._engine.layout import network_layouts
from .._engine.step import TrainingStep
from .._engine.update import apply_decision
from .._engine.written_backward import record_forward
from .._model.evaluation import evaluate_network
from .._model.losses import split_targets
from ..weighting import resolve_weighting
from .batches import BatchIterator


class MultiTaskNet(NeuralNet):
    """A skorch ``NeuralNet`` whose training step weighs task losses.

    Parameters
    ----------
    module, criterion
        As in skorch; ``criterion`` must provide ``task_losses``.
    weighting : str, sequence of float or WeightingStrategy
        The ``weighting`` parameter of the estimators; the net owns a started
        clone of the strategy, :attr:`weighting_`, from :meth:`initialize` on.
    task_names : list of str
    task_kinds : list of {"binary", "multiclass", "regression"}
    seed : int
        Seeds the shuffling, the held-out gain batches and the strategy.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.

    Attributes
    ----------
    weighting_ : WeightingStrategy
        The started strategy.
    n_steps_ : int
        Optimizer steps taken.

    Notes
    -----
    Per optimizer step, the history's batch records hold ``task_losses``,
    ``task_weights`` and ``task_gains`` (NaN when the strategy gives none),
    written at the end of each epoch; per epoch, ``train_task_losses`` holds
    the mean loss of every task.
    """

    # Loaded onto the CPU by skorch where CUDA is missing, as the module is.
    cuda_dependent_attributes_ = [*NeuralNet.cuda_dependent_attributes_, "weighting_",
                                  "train_split"]

    def __init__(self, module, criterion, *, weighting, task_names, task_kinds, seed,
                 **kwargs):
        super().__init__(module, criterion, **kwargs)
        self.weighting = weighting
        self.task_names = task_names
        self.task_kinds = task_kinds
        self.seed = seed

    def initialize(self):
        super().initialize()
        self.weighting_ = resolve_weighting(self.weighting)
        self.weighting_.start(list(self.task_names), list(self.task_kinds),
                              random_state=self.seed)
        self.generator_ = torch.Generator().manual_seed(self.seed)
        self.step_counts_ = [0]  # a list, not an int: skorch's __setattr__ costs on every step
        self._derive_step_state()
        return self

    @property
    def n_steps_(self):
        """Optimizer steps taken."""
        return self.step_counts_[0]

    def _derive_step_state(self):
        # Derived from the module, so rebuilt after unpickling rather than pickled:
        # the layouts refer to the module's own parameters.
        self.layouts_ = network_layouts(self.module_)

    def __getstate__(self):
        state = super().__getstate__()
        for name in ("layouts_", "_step_records", "_n_records", "_no_gains", "_training_data"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if getattr(self, "initialized_", False):
            self._derive_step_state()

    # ----------------------------------------------------------------- data
    def get_iterator(self, dataset, training=False):
        batch_size = len(dataset) if self.batch_size == -1 else self.batch_size
        return BatchIterator(dataset, batch_size, shuffle=training, generator=self.generator_)

    def sample_training_batch(self, size):
        """A random batch of training data (for held-out gains): ``(X, y, sample_weight)``."""
        data = self._training_data
        index = torch.randint(len(data), (size,), generator=self.generator_).to(data.X.device)
        weight = None if data.sample_weight is None else data.sample_weight[index]
        return data.X[index], data.y[index], weight

    # ------------------------------------------------------------- training
    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        self._training_data = dataset_train
        # Per step: loss, weight and gain of every task, copied into one buffer. Keeping
        # the steps' small tensors instead fragments the heap: measured 1.7 copies of X
        # of peak memory at 3e5 rows against 1.24 with the buffer.
        n_batches = len(self.get_iterator(dataset_train, training=True))
        self._step_records = torch.full((n_batches, 3, len(self.task_names)), float("nan"),
                                        device=dataset_train.X.device)
        self._n_records = [0]  # a list: skorch's __setattr__ costs on every step
        self._no_gains = torch.full((len(self.task_names),), float("nan"),
                                    device=dataset_train.X.device)
        self.module_.train()  # once per epoch: evaluation never leaves train mode

    def train_step_single(self, batch, **fit_params):
        X, targets = batch
        y, sample_weight = split_targets(targets)
        module = self.module_
        representation, outputs, record = record_forward(module, X)
        losses = self.criterion_.task_losses(outputs, y, sample_weight)
        step = TrainingStep(
            module, self.criterion_, X, y, representation, losses,
            learning_rate=self.optimizer_.param_groups[0]["lr"], index=self.step_counts_[0],
            sample_batch=self.sample_training_batch, layouts=self.layouts_,
            sample_weight=sample_weight, record=record,
        )
        decision = apply_decision(step, self.weighting_.decide(step))
        self.step_counts_[0] += 1
        gains = self._no_gains if decision.gains is None else decision.gains
        with torch.no_grad():  # one kernel into the epoch's buffer
            torch.stack((losses, decision.weights.to(losses.device),
                         gains.to(losses.device)), out=self._step_records[self._n_records[0]])
        self._n_records[0] += 1
        return {"loss": losses[0].detach(), "y_pred": outputs}

    def train_step(self, batch, **fit_params):
        """One optimizer step: skorch's, without the closure that Adam does not need."""
        self.optimizer_.zero_grad(set_to_none=True)
        step = self.train_step_single(batch, **fit_params)
        if self._gradient_listeners:
            self.notify("on_grad_computed",
                        named_parameters=TeeGenerator(self.get_all_learnable_params()),
                        batch=batch, training=True)
        self.optimizer_.step()
        return step

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X, y, **kwargs)
        # Callbacks that read the gradients (e.g. GradientNormClipping) or the
        # batches are told of them; the others are not called on every step
        # for nothing.
        self._gradient_listeners = _overriding(self.callbacks_, "on_grad_computed")
        self._batch_listeners = _overriding(
            [("net", self), *self.callbacks_], "on_batch_begin", "on_batch_end")

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch loop; its per-batch notices only where a callback listens."""
        if iterator is None:
            return
        if self._batch_listeners:
            super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
            return
        batches, count = self.history[-1]["batches"], 0
        for batch in iterator:
            batches.append({})  # what NeuralNet.on_batch_begin does
            step = step_fn(batch, **fit_params)
            batches[-1].update({f"{prefix}_loss": step["loss"].item(),
                                f"{prefix}_batch_size": len(batch[0])})
            count += 1
        self.history.record(f"{prefix}_batch_count", count)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X, y, **kwargs)
        self._training_data = None  # a fitted model does not keep (or pickle) its data

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        n_records = self._n_records[0]
        if not n_records:
            return
        records = self._step_records[:n_records].to("cpu", torch.float64)
        task_losses, weights, gains = records.transpose(0, 1).tolist()
        batches = [b for b in self.history[-1]["batches"] if "train_batch_size" in b]
        for batch, losses, weight, gain in zip(batches, task_losses, weights, gains):
            batch.update(task_losses=losses, task_weights=weight, task_gains=gain)
        sizes = np.array([b["train_batch_size"] for b in batches], dtype=np.float64)
        epoch_losses = sizes @ np.array(task_losses) / sizes.sum()
        self.history.record("train_task_losses", epoch_losses.tolist())
        self.weighting_.end_epoch(epoch_losses)

    # ------------------------------------------------------------ inference
    def infer(self, x, **fit_params):
        """Every head's output on ``x``, in eval mode, in ``x``'s precision.

        A pure function of the parameters (see
        :func:`~hydasklearn._model.evaluation.evaluate_network`): no module state is
        switched, so threads may predict at once.
        """
        return evaluate_network(self.module_, x)

    def evaluation_step(self, batch, training=False):
        self.check_is_fitted()
        X, _ = unpack_data(batch)
        with torch.no_grad():
            return self.infer(X)

    def validation_step(self, batch, **fit_params):
        X, y = unpack_data(batch)
        with torch.no_grad():
            y_pred = self.infer(X)
            loss = self.get_loss(y_pred, y, X=X, training=False)
        return {"loss": loss, "y_pred": y_pred}


def _overriding(callbacks, *methods):
    """The callbacks (or the net) whose class overrides one of skorch's no-op ``methods``."""
    defaults = (Callback, NeuralNet)
    return [callback for _, callback in callbacks
            if any(all(getattr(type(callback), m) is not getattr(base, m) for base in defaults)
                   for m in methods)]
