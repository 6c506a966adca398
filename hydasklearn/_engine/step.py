"""What a weighting strategy sees of one training step.

:class:`TrainingStep` hands a strategy the task losses of the current
mini-batch and computes, only when asked and at most once, what richer
strategies read: per-task gradients of the shared parameters, their Gramian,
gradients with respect to the shared representation, a held-out main-task
gradient, look-ahead evaluations of the main-task loss and per-sample
gradient products. It never writes a gradient into the network: turning the
strategy's decision into ``.grad`` is :func:`hydasklearn._engine.update.apply_decision`'s
job, which asks :meth:`TrainingStep.has_computed` what it can reuse.
"""

from __future__ import annotations

from functools import cached_property

import torch

from .._model.network import last_linear_layer
from .gain_data import (Batch, main_task_gradient, main_task_losses_after_steps,
                        per_sample_task_losses, sample_gradients_along)
from .jacobian import per_task_jacobian
from .last_layer import LastLayerGradients
from .layout import network_layouts
from .representation import gradients_at_representation, head_readers, through_trunk
from .written_backward import head_readers_of_record

#: What :meth:`TrainingStep.has_computed` answers for: the results of backward passes.
GRADIENT_QUANTITIES = ("jacobian", "gramian", "representation_gradients", "head_gradients")


class TrainingStep:
    """One mini-batch, seen by a weighting strategy.

    Parameters
    ----------
    module : SharedTrunkNetwork
        The network (trunk and heads).
    criterion : MultiTaskLoss
        Computes the vector of per-task losses.
    X, y : Tensor
        The mini-batch; ``y`` holds encoded targets, NaN where missing.
    representation : Tensor of shape (batch_size, width)
        Output of the shared trunk on ``X``.
    losses : Tensor of shape (n_tasks,)
        Per-task losses, still attached to the graph.
    learning_rate : float
        The optimizer's current learning rate.
    index : int
        Number of optimizer steps taken before this one.
    sample_batch : callable or None
        ``sample_batch(size)`` returns a random ``(X, y, sample_weight)``
        batch of training data, used as held-out data for main-task gains.
    layouts : tuple or None
        :func:`~hydasklearn._engine.layout.network_layouts` of ``module``
        (the net builds it once per fit); None: built when first needed.
    sample_weight : Tensor of shape (batch_size,) or None
        The user's row weights, already applied in ``losses``.
    record : tuple or None
        Every layer's output on ``X`` where ``losses`` come from them (see
        :func:`~hydasklearn._engine.written_backward.record_forward`): :attr:`jacobian`
        is then written out, faster than autograd's batched pass. None: autograd's.

    Attributes
    ----------
    n_tasks : int
    """

    def __init__(self, module, criterion, X, y, representation, losses, learning_rate,
                 index=0, sample_batch=None, layouts=None, sample_weight=None, record=None):
        self.module = module
        self.criterion = criterion
        self.X = X
        self.y = y
        self.representation = representation
        self.losses = losses
        self.learning_rate = float(learning_rate)
        self.index = index
        self.sample_weight = sample_weight
        self.record = record
        self.n_tasks = len(losses)
        self._sample_batch = sample_batch
        self._layouts = layouts
        self._heldout_batch = None
        # Results of backward passes: None until a strategy or the update asks.
        self._jacobian = None
        self._gramian = None
        self._representation_gradients = None
        self._head_gradients = None
        self._through_representation = {}  # (layer, halves) -> gradients

    def has_computed(self, quantity):
        """Whether the step already holds ``quantity``, so reading it costs no backward pass.

        Parameters
        ----------
        quantity : {"jacobian", "gramian", "representation_gradients", "head_gradients"}

        Returns
        -------
        bool
        """
        if quantity not in GRADIENT_QUANTITIES:
            raise ValueError(f"Unknown quantity {quantity!r}; expected one of "
                             f"{GRADIENT_QUANTITIES}.")
        return getattr(self, "_" + quantity) is not None

    def store_representation_gradients(self, per_task, head_gradients=None):
        """Keep the results of a backward pass that stopped at (or passed) the representation.

        Parameters
        ----------
        per_task : Tensor of shape (n_tasks, batch_size * width)
            ``dL_k/dh`` for every task: :attr:`representation_gradients`.
        head_gradients : Tensor of shape (n_tasks, n_head_values) or None
            :attr:`head_gradients`; None where the pass did not keep them
            (it wrote them into ``.grad``): they are then computed when asked.
        """
        self._representation_gradients = per_task
        if head_gradients is not None:
            self._head_gradients = head_gradients

    def with_losses(self, losses):
        """The same batch with other losses computed from it (re-weighted per sample, say).

        Nothing computed from the old losses carries over; the held-out
        batch, if drawn, does. The new losses do not come from the recorded
        layer outputs, so the new step's :attr:`jacobian` is autograd's.

        Parameters
        ----------
        losses : Tensor of shape (n_tasks,)
        """
        step = TrainingStep(self.module, self.criterion, self.X, self.y, self.representation,
                            losses, self.learning_rate, self.index, self._sample_batch,
                            self.layouts, self.sample_weight)
        step._heldout_batch = self._heldout_batch
        return step

    # Layouts are looked up only when gradients are: a loss-only strategy skips them.
    @property
    def layouts(self):
        """``(trunk_layout, head_layout, head_tasks)`` of the network."""
        if self._layouts is None:
            self._layouts = network_layouts(self.module)
        return self._layouts

    @property
    def trunk_layout(self):
        """:class:`~hydasklearn._engine.layout.ParameterLayout` of the shared parameters."""
        return self.layouts[0]

    @property
    def head_layout(self):
        """:class:`~hydasklearn._engine.layout.ParameterLayout` of the heads, head after head."""
        return self.layouts[1]

    @property
    def head_tasks(self):
        """The task of every parameter in :attr:`head_layout`."""
        return self.layouts[2]

    @property
    def n_shared(self):
        """Number of values in the shared (trunk) parameters."""
        return self.trunk_layout.size

    @cached_property
    def labeled(self):
        """Number of samples with a label, per task (a tensor of shape (n_tasks,))."""
        return (~torch.isnan(self.y)).sum(dim=0)

    @cached_property
    def label_totals(self):
        """Denominator of every task's loss: labeled samples, or their summed row weights."""
        labeled = (~torch.isnan(self.y)).to(self.losses)
        if self.sample_weight is not None:
            labeled = labeled * self.sample_weight[:, None]
        return labeled.sum(dim=0)

    def ones(self):
        """Weight 1 for every task (a neutral decision's weights)."""
        return torch.ones(self.n_tasks, dtype=self.losses.dtype, device=self.losses.device)

    # -------------------------------------------------------------- gradients
    @property
    def jacobian(self):
        """Per-task gradients of all parameters, shape (n_tasks, n_parameters).

        Columns ``[:n_shared]`` are the trunk's parameters, the rest the heads'.
        Computed from the :attr:`record` by a written-out backward pass where
        there is one, else by autograd (see
        :func:`~hydasklearn._engine.jacobian.per_task_jacobian`).
        """
        if self._jacobian is None:
            self._jacobian = per_task_jacobian(
                self.module, self.losses, self.trunk_layout.concatenated(self.head_layout),
                self.record)
        return self._jacobian

    @property
    def shared_gradients(self):
        """Per-task gradients of the shared (trunk) parameters, shape (n_tasks, n_shared)."""
        return self.jacobian[:, :self.n_shared]

    @property
    def head_jacobian(self):
        """Per-task gradients of the heads' parameters, shape (n_tasks, n_head_values)."""
        return self.jacobian[:, self.n_shared:]

    @property
    def gramian(self):
        """Inner products of the per-task shared gradients, shape (n_tasks, n_tasks)."""
        if self._gramian is None:
            shared = self.shared_gradients
            self._gramian = shared @ shared.T
        return self._gramian

    @cached_property
    def readers(self):
        """Where each head reads the representation (see :func:`head_readers`); from the
        heads' first outputs where there is a :attr:`record`, with no walk of the graph."""
        readers = None if self.record is None else head_readers_of_record(self.record)
        return head_readers(self.losses, self.representation) if readers is None else readers

    @property
    def representation_gradients(self):
        """Per-task gradients of the losses with respect to the shared representation.

        Shape (n_tasks, batch_size * width). The backward pass stops at the
        heads, so this costs far less than :attr:`shared_gradients`; it also
        yields every head's gradient (:attr:`head_gradients`). One ordinary
        backward pass with hooks (:mod:`hydasklearn._engine.representation`) where
        the heads' graphs are separate, else one batched backward pass.
        """
        if self._representation_gradients is None:
            self.store_representation_gradients(*self._backward_to_representation())
        return self._representation_gradients

    @property
    def head_gradients(self):
        """Per-task gradients of the heads' parameters, shape (n_tasks, n_head_values)."""
        if self._head_gradients is None:
            if self._jacobian is not None:
                self._head_gradients = self.head_jacobian
            elif self._representation_gradients is None:
                self.store_representation_gradients(*self._backward_to_representation())
            else:  # stored by a pass that wrote the heads' gradients into .grad
                self._head_gradients = self._backward_to_representation()[1]
        return self._head_gradients

    def _backward_to_representation(self):
        """``(representation_gradients, head_gradients)`` from one backward pass."""
        return gradients_at_representation(self.losses, self.representation, self.readers,
                                           self.head_layout, self.head_tasks)

    def gradients_through_representation(self, layer="all", halves=False):
        """Per-task gradients of trunk parameters, from :attr:`representation_gradients`.

        One batched backward pass from the representation through the trunk
        (``layer="all"``) or through its last linear layer only (``"last"``),
        once per step and argument pair (see
        :func:`~hydasklearn._engine.representation.through_trunk`); with
        ``halves``, each half of the batch's share, a pair of tensors of shape
        (n_tasks, n_values).
        """
        if (layer, halves) not in self._through_representation:
            layout = self._last_layer_layout if layer == "last" else self.trunk_layout
            self._through_representation[layer, halves] = through_trunk(
                self.representation, self.representation_gradients, layout, halves)
        return self._through_representation[layer, halves]

    @cached_property
    def last_layer(self):
        """The trunk's last linear layer's per-task gradients, read through inner products.

        A :class:`~hydasklearn._engine.last_layer.LastLayerGradients`: each head is
        passed back for its own task, the trunk's layers not at all. A trunk
        with no linear layer that learns counts as one layer (its per-task Jacobian).
        """
        if self.last_layer_layout is None:
            return LastLayerGradients(self, self.trunk_layout, rows=self.shared_gradients)
        return LastLayerGradients(self, self.last_layer_layout)

    def last_layer_at(self, representation_gradients):
        """:attr:`last_layer` from every task's gradient at the trunk's output, given
        (caught during the update's backward pass, so the heads are not passed back
        again); only with a :attr:`record` and a :attr:`last_layer_layout`."""
        return LastLayerGradients(self, self.last_layer_layout, at_representation=(
            representation_gradients.view((self.n_tasks,) + self.representation.shape)))

    @property
    def last_layer_layout(self):
        """The trunk's last linear layer's parameters; None where there is none that learns."""
        layout = self.layouts.last_layer
        return layout if layout is not None and layout.size else None

    @property
    def _last_layer_layout(self):
        """The trunk's last linear layer's parameters, for the weightings that need one."""
        if self.layouts.last_layer is None:
            last_linear_layer(self.module.trunk)  # raises the error that says so
        return self.layouts.last_layer

    @cached_property
    def last_shared_layer_slice(self):
        """Columns of :attr:`shared_gradients` that belong to the trunk's last linear layer."""
        return self.trunk_layout.columns_of(self._last_layer_layout.parameters)

    def sample_losses(self, outputs=None):
        """Loss of every sample on every task, shape (batch_size, n_tasks).

        0 where unlabeled; times the user's row weight where one was given.
        ``outputs`` defaults to the heads' outputs on the representation.
        """
        outputs = self.module.forward_heads(self.representation) if outputs is None else outputs
        return per_sample_task_losses(outputs, self.y, self.criterion.task_kinds,
                                      self.sample_weight)

    # -------------------------------------------------------------- gain data
    @property
    def heldout_batch(self):
        """A random batch of training data (``(X, y, sample_weight)``), drawn once per step."""
        if self._heldout_batch is None:
            if self._sample_batch is None:
                raise RuntimeError("No held-out data source was given to this training step.")
            self._heldout_batch = Batch(*self._sample_batch(len(self.X)))
        return self._heldout_batch

    def gain_data(self, source):
        """The :class:`Batch` main-task gains are measured on: ``"batch"`` or ``"heldout"``."""
        if source == "batch":
            return Batch(self.X, self.y, self.sample_weight)
        if source == "heldout":
            return self.heldout_batch
        raise ValueError(f"Unknown gain data {source!r}; expected 'batch' or 'heldout'.")

    def main_gradient(self, source="heldout"):
        """The main-task gradient of the shared parameters on the gain data (see
        :func:`~hydasklearn._engine.gain_data.main_task_gradient`)."""
        if source == "batch":
            return self.shared_gradients[0]
        return main_task_gradient(self.module, self.criterion, self.trunk_layout,
                                  self.gain_data(source))

    def main_loss_after_steps(self, directions, source="batch"):
        """Main-task loss on the gain data after each step ``-direction`` (n_directions,
        n_shared); see :func:`~hydasklearn._engine.gain_data.main_task_losses_after_steps`."""
        return main_task_losses_after_steps(
            self.module, self.criterion, self.trunk_layout, directions, self.gain_data(source))

    def sample_gradient_products(self, direction):
        """Every sample's task gradients dotted with a trunk ``direction``: (batch, n_tasks);
        see :func:`~hydasklearn._engine.gain_data.sample_gradients_along`."""
        return sample_gradients_along(self.module, self.criterion, self.trunk_layout,
                                      self.gain_data("batch"), direction)
