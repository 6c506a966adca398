"""What a weighting strategy sees of one training step.

:class:`TrainingStep` hands a strategy the task losses of the current
mini-batch and computes, only when asked and at most once, what richer
strategies read: per-task gradients of the shared parameters, their Gramian,
gradients with respect to the shared representation, a held-out main-task
gradient, look-ahead evaluations of the main-task loss and per-sample
gradient products. It never writes a gradient into the network: turning the
strategy's decision into ``.grad`` is :func:`hydasklearn._engine.update.apply_decision`'s
job.
"""

from __future__ import annotations

from functools import cached_property

import torch

from .._model.losses import per_sample_loss
from .gain_data import GainData
from .layout import ParameterLayout, network_layouts
from .representation import backward_through_heads, head_readers
from .written_backward import network_jacobian


class TrainingStep(GainData):
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
        The optimiser's current learning rate.
    index : int
        Number of optimiser steps taken before this one.
    sample_batch : callable or None
        ``sample_batch(size)`` returns a random ``(X, y, sample_weight)``
        batch of training data, used as held-out data for main-task gains.
    layouts : tuple or None
        What :func:`~hydasklearn._engine.layout.network_layouts` returns for
        ``module`` (the net builds it once per fit); None builds it here.
    sample_weight : Tensor of shape (batch_size,) or None
        The user's row weights, already applied in ``losses``.
    record : tuple or None
        Every layer's output on ``X``, from
        :func:`~hydasklearn._engine.written_backward.record_forward`, when
        ``losses`` were computed from those outputs: :attr:`jacobian` is then
        computed by a written-out backward pass (faster than autograd's
        batched one). None: by autograd.

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
        self._sample_batch = sample_batch
        self._layouts = layouts
        self.record = record
        self.n_tasks = len(losses)

    # Layouts are looked up only when a strategy needs gradients: a strategy
    # that only reads the losses skips them.
    @cached_property
    def trunk_layout(self):
        """:class:`~hydasklearn._engine.layout.ParameterLayout` of the shared parameters."""
        return self._network_layouts[0]

    @cached_property
    def head_layout(self):
        """:class:`~hydasklearn._engine.layout.ParameterLayout` of the heads, head after head."""
        return self._network_layouts[1]

    @cached_property
    def head_tasks(self):
        """The task of every parameter in :attr:`head_layout`."""
        return self._network_layouts[2]

    @cached_property
    def _network_layouts(self):
        return self._layouts if self._layouts is not None else network_layouts(self.module)

    @property
    def n_shared(self):
        """Number of values in the shared (trunk) parameters."""
        return self.trunk_layout.size

    @cached_property
    def labelled(self):
        """Number of samples with a label, per task (a tensor of shape (n_tasks,))."""
        return (~torch.isnan(self.y)).sum(dim=0)

    def ones(self):
        """Weight 1 for every task (a neutral decision's weights)."""
        return torch.ones(self.n_tasks, dtype=self.losses.dtype, device=self.losses.device)

    # ----------------------------------------------------------------- gradients
    @cached_property
    def jacobian(self):
        """Per-task gradients of all parameters, shape (n_tasks, n_parameters).

        Columns ``[:n_shared]`` are the trunk's parameters, the rest the heads'.
        Computed from the :attr:`record` by a written-out backward pass
        (:func:`~hydasklearn._engine.written_backward.network_jacobian`) where there
        is one, else by one batched backward pass (``is_grads_batched``).
        """
        layout = self.trunk_layout.concatenated(self.head_layout)
        if self.record is not None:
            written = network_jacobian(self.module, self.record, self.losses)
            if written is not None:
                return layout.flatten([written.get(p) for p in layout.parameters],
                                      n_rows=self.n_tasks)
        gradients = torch.autograd.grad(
            self.losses, layout.parameters, grad_outputs=self._identity(),
            is_grads_batched=True, retain_graph=True, allow_unused=True,
        )
        return layout.flatten(gradients, n_rows=self.n_tasks)

    @property
    def shared_gradients(self):
        """Per-task gradients of the shared (trunk) parameters, shape (n_tasks, n_shared)."""
        return self.jacobian[:, :self.n_shared]

    @property
    def head_jacobian(self):
        """Per-task gradients of the heads' parameters, shape (n_tasks, n_head_values)."""
        return self.jacobian[:, self.n_shared:]

    @cached_property
    def gramian(self):
        """Inner products of the per-task shared gradients, shape (n_tasks, n_tasks)."""
        shared = self.shared_gradients
        return shared @ shared.T

    @cached_property
    def readers(self):
        """Where each head reads the representation (see :func:`head_readers`)."""
        return head_readers(self.losses, self.representation)

    @cached_property
    def representation_gradients(self):
        """Per-task gradients of the losses with respect to the shared representation.

        Shape (n_tasks, batch_size * width). The backward pass stops at the
        heads, so this costs far less than :attr:`shared_gradients`; it also
        yields every head's gradient (:attr:`head_gradients`). One ordinary
        backward pass with hooks (:mod:`hydasklearn._engine.representation`) where
        the heads' graphs are separate, else one batched backward pass.
        """
        if self.readers is None:
            gradients = torch.autograd.grad(
                self.losses, [self.representation] + self.head_layout.parameters,
                grad_outputs=self._identity(), is_grads_batched=True, retain_graph=True,
                allow_unused=True,
            )
            self.__dict__["head_gradients"] = self.head_layout.flatten(gradients[1:],
                                                                       n_rows=self.n_tasks)
            return gradients[0].reshape(self.n_tasks, -1)
        per_task, head_gradients = backward_through_heads(
            self.losses, self.representation, self.readers, self.head_layout.parameters)
        self.__dict__["head_gradients"] = self._heads_by_task(head_gradients)
        return per_task

    @cached_property
    def head_gradients(self):
        """Per-task gradients of the heads' parameters, shape (n_tasks, n_head_values)."""
        if "jacobian" in self.__dict__:
            return self.head_jacobian
        self.representation_gradients  # noqa: B018 (computes head_gradients too)
        return self.__dict__["head_gradients"]

    def _heads_by_task(self, summed):
        """Gradients of ``sum_k L_k`` w.r.t. the heads -> one row per task (zeros elsewhere)."""
        rows = self.representation.new_zeros((self.n_tasks, self.head_layout.size))
        columns = self.head_layout.flatten(summed)
        offset = 0
        for size, task in zip(self.head_layout.sizes, self.head_tasks):
            rows[task, offset:offset + size] = columns[offset:offset + size]
            offset += size
        return rows

    def gradients_through_representation(self, layer="all", halves=False):
        """Per-task gradients of trunk parameters, from :attr:`representation_gradients`.

        One batched backward pass from the representation through the trunk
        (``layer="all"``) or through its last linear layer only
        (``layer="last"``: a small fraction of the per-task Jacobian's cost).
        Computed once per step and argument pair.

        Parameters
        ----------
        layer : {"all", "last"}
        halves : bool, default=False
            Each half of the batch's share of the gradients (the first and
            the second half of the rows; batches are shuffled), for
            cross-fitted gains.

        Returns
        -------
        Tensor of shape (n_tasks, n_values), or a pair of them when ``halves``.
        """
        cache = self.__dict__.setdefault("_through_representation", {})
        if (layer, halves) in cache:
            return cache[layer, halves]
        if layer == "last":
            layout = ParameterLayout(self._last_linear.named_parameters())
        else:
            layout = self.trunk_layout
        representation = self.representation
        outputs = self.representation_gradients.view((self.n_tasks,) + representation.shape)
        if halves:
            first = torch.arange(len(representation), device=outputs.device) < (
                len(representation) // 2)
            first = first.view((1, -1) + (1,) * (representation.dim() - 1))
            outputs = torch.cat([outputs * first, outputs * ~first])
        gradients = torch.autograd.grad(representation, layout.parameters, grad_outputs=outputs,
                                        is_grads_batched=True, retain_graph=True,
                                        allow_unused=True)
        flat = layout.flatten(gradients, n_rows=len(outputs))
        result = (flat[:self.n_tasks], flat[self.n_tasks:]) if halves else flat
        cache[layer, halves] = result
        return result

    @cached_property
    def _last_linear(self):
        return [m for m in self.module.trunk if isinstance(m, torch.nn.Linear)][-1]

    @cached_property
    def last_shared_layer_slice(self):
        """Columns of :attr:`shared_gradients` that belong to the trunk's last linear layer."""
        return self.trunk_layout.columns_of(list(self._last_linear.parameters()))

    def _identity(self):
        return torch.eye(self.n_tasks, dtype=self.losses.dtype, device=self.losses.device)

    def sample_losses(self, outputs=None):
        """Loss of every sample on every task, shape (batch_size, n_tasks).

        0 where unlabelled; times the user's row weight where one was given.
        ``outputs`` defaults to the heads' outputs on the representation.
        """
        if outputs is None:
            outputs = self.module.forward_heads(self.representation)
        labelled = ~torch.isnan(self.y)
        targets = torch.where(labelled, self.y, torch.zeros_like(self.y))
        losses = torch.stack([
            per_sample_loss(kind, output, targets[:, k]) * labelled[:, k]
            for k, (kind, output) in enumerate(zip(self.criterion.task_kinds, outputs))
        ], dim=1)
        return losses if self.sample_weight is None else losses * self.sample_weight[:, None]

    @cached_property
    def label_totals(self):
        """Denominator of every task's loss: labelled samples, or their summed row weights."""
        labelled = (~torch.isnan(self.y)).to(self.losses)
        if self.sample_weight is not None:
            labelled = labelled * self.sample_weight[:, None]
        return labelled.sum(dim=0)
