"""What a weighting strategy sees of one training step.

:class:`TrainingStep` hands a strategy the task losses of the current
mini-batch and computes, only when asked and at most once, what richer
strategies need: per-task gradients of the shared parameters, their Gramian,
gradients with respect to the shared representation, and look-ahead
evaluations of the main-task loss. After the strategy has chosen its weights,
:meth:`TrainingStep.apply` writes the weighted gradient into ``.grad``, from the
per-task gradients when they were computed, else with one backward pass. A
strategy whose weights depend only on the gradients at the representation can
instead choose them during the one backward pass
(:meth:`TrainingStep.backward_weighted_at_representation`).
"""

from __future__ import annotations

import warnings
from functools import cached_property

import torch
from torch.func import functional_call

from ._losses import per_sample_loss
from ._network import shared_parameters


class TrainingStep:
    """One mini-batch, seen by a weighting strategy.

    Parameters
    ----------
    module : MultiTaskNetwork
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
        ``sample_batch(size)`` returns a random ``(X, y)`` batch of training
        data, used as held-out data for the main-task gain.

    Attributes
    ----------
    n_tasks : int
    head_weights : Tensor of shape (n_tasks,) or None
        Weight of every task's loss in its *own head's* update, when a
        strategy sets it; ``None`` (default): the task weights, i.e. the
        gradient of ``sum_k w_k L_k`` taken literally. Heads do not touch the
        main task, so a strategy that only means to steer the shared trunk
        (HydaLearn) sets ones here: a head weighted 0 would never learn its
        task, and its trunk gradient would stay meaningless.
    """

    def __init__(self, module, criterion, X, y, representation, losses, learning_rate,
                 index=0, sample_batch=None):
        self.module = module
        self.criterion = criterion
        self.X = X
        self.y = y
        self.representation = representation
        self.losses = losses
        self.learning_rate = float(learning_rate)
        self.index = index
        self._sample_batch = sample_batch
        self.n_tasks = len(losses)
        self.head_weights = None
        self._backward_done = False

    # Parameter lists are looked up only when a strategy needs gradients:
    # a strategy that only reads the losses skips them.
    @cached_property
    def _shared(self):
        return shared_parameters(self.module)

    @cached_property
    def _per_head(self):
        return [[p for p in head.parameters() if p.requires_grad] for head in self.module.heads]

    @cached_property
    def _heads(self):
        """The heads' parameters, head after head (as ``head_parameters``)."""
        return [p for parameters in self._per_head for p in parameters]

    @cached_property
    def _head_tasks(self):
        """The task of every parameter in :attr:`_heads`."""
        return [task for task, parameters in enumerate(self._per_head) for _ in parameters]

    @cached_property
    def n_shared(self):
        """Number of values in the shared (trunk) parameters."""
        return sum(p.numel() for p in self._shared)

    @cached_property
    def labelled(self):
        """Number of samples with a label, per task (a tensor of shape (n_tasks,))."""
        return (~torch.isnan(self.y)).sum(dim=0)

    # ----------------------------------------------------------------- gradients
    @cached_property
    def jacobian(self):
        """Per-task gradients of all parameters, shape (n_tasks, n_parameters).

        Columns ``[:n_shared]`` are the trunk's parameters, the rest the heads'.
        One batched backward pass (``is_grads_batched``) computes every row.
        (Measured: as fast as ordinary backward passes, one per task, or as
        a batched pass through the trunk alone after the representation
        gradients.)
        """
        parameters = self._shared + self._heads
        grads = torch.autograd.grad(
            self.losses, parameters, grad_outputs=self._identity(),
            is_grads_batched=True, retain_graph=True, allow_unused=True,
        )
        return self._flatten(grads, parameters)

    def _flatten(self, grads, parameters):
        """Batched per-parameter gradients -> one (n_tasks, n_values) matrix."""
        return torch.cat([
            (g if g is not None else torch.zeros((self.n_tasks,) + p.shape, device=p.device))
            .reshape(self.n_tasks, -1)
            for g, p in zip(grads, parameters)
        ], dim=1)

    @property
    def shared_gradients(self):
        """Per-task gradients of the shared (trunk) parameters, shape (n_tasks, n_shared)."""
        return self.jacobian[:, :self.n_shared]

    @cached_property
    def gramian(self):
        """Inner products of the per-task shared gradients, shape (n_tasks, n_tasks)."""
        shared = self.shared_gradients
        return shared @ shared.T

    @cached_property
    def representation_gradients(self):
        """Per-task gradients of the losses with respect to the shared representation.

        Shape (n_tasks, batch_size * width). The backward pass stops at the
        heads, so this costs far less than :attr:`shared_gradients`; it also
        yields every head's gradient, so that :meth:`apply` then only needs
        one backward pass through the trunk.

        Each task's loss reaches the representation only through its own
        head, so one ordinary backward pass of ``sum_k L_k`` suffices: hooks
        on the graph nodes where each head reads the representation catch
        every task's share. Where the graph does not have that form (the
        losses were not stacked from separate heads), a batched backward pass
        computes them instead.
        """
        readers = self._head_readers()
        if readers is None:
            grads = torch.autograd.grad(
                self.losses, [self.representation] + self._heads,
                grad_outputs=self._identity(), is_grads_batched=True, retain_graph=True,
                allow_unused=True,
            )
            self._head_gradients, self._heads_apart = self._flatten(grads[1:], self._heads), False
            return grads[0].reshape(self.n_tasks, -1)
        caught = self.representation.new_zeros((self.n_tasks,) + self.representation.shape)

        def catch(task, index):
            def hook(grad_inputs, grad_outputs):
                if grad_inputs[index] is not None:
                    caught[task] += grad_inputs[index]
            return hook

        handles = [node.register_hook(catch(task, index)) for task, node, index in readers]
        try:
            grads = torch.autograd.grad(self.losses.sum(), [self.representation] + self._heads,
                                        retain_graph=True, allow_unused=True)
        finally:
            for handle in handles:
                handle.remove()
        # Head k's parameters only reach L_k: the summed gradient holds, for
        # each head, its own task's gradient.
        self._head_gradients, self._heads_apart = grads[1:], True
        return caught.view(self.n_tasks, -1)

    def _head_readers(self):
        """``(task, node, input index)`` for every graph node where a task's head reads
        the representation, or None if the tasks' graphs are not separate."""
        stack, target = self.losses.grad_fn, self.representation.grad_fn
        if (target is None or type(stack).__name__ != "StackBackward0"
                or len(stack.next_functions) != self.n_tasks):
            return None
        readers, seen = [], set()
        for task, (root, _) in enumerate(stack.next_functions):
            pending, mine = [root], set()
            while pending:
                node = pending.pop()
                if node is None or node in mine:
                    continue
                if node in seen:  # shared by two tasks
                    return None
                mine.add(node)
                for index, (child, _) in enumerate(node.next_functions):
                    if child is target:
                        readers.append((task, node, index))
                    else:
                        pending.append(child)
            seen |= mine
        return readers

    def backward_weighted_at_representation(self, choose):
        """One backward pass whose task weights are chosen on the way.

        Runs the backward pass of ``sum_k L_k``; when the gradient reaches the
        shared representation, where every task's part is still apart,
        ``choose(representation_gradients)`` returns the task weights and the
        trunk receives ``sum_k w_k dL_k/dh`` instead. Each head receives its
        own task's gradient at weight 1 (as with :attr:`head_weights` set to
        ones). The whole weighted update thus costs one backward pass, as
        equal weighting does, plus hooks; :meth:`apply` then does nothing.
        Where the tasks' graphs are not separate (see
        :attr:`representation_gradients`), the weights are chosen first and
        applied with :meth:`apply`.

        Parameters
        ----------
        choose : callable
            ``choose(Tensor of shape (n_tasks, batch_size * width)) -> Tensor
            of shape (n_tasks,)``.

        Returns
        -------
        Tensor of shape (n_tasks,)
            The weights ``choose`` returned.
        """
        readers = self._head_readers()
        if readers is None:
            weights = choose(self.representation_gradients)
            self.head_weights = torch.ones_like(weights)
            self.apply(weights)
            self._backward_done = True
            return weights
        caught = self.representation.new_zeros((self.n_tasks,) + self.representation.shape)
        chosen = []

        def catch(task, index):
            def hook(grad_inputs, grad_outputs):
                if grad_inputs[index] is not None:
                    caught[task] += grad_inputs[index]
            return hook

        def reweigh(grad_outputs):
            # Every head has passed its gradient on: the trunk's turn.
            gradients = caught.view(self.n_tasks, -1)
            weights = choose(gradients).detach().to(gradients)
            chosen.append(weights)
            replaced = list(grad_outputs)
            replaced[self.representation.output_nr] = (weights @ gradients).view_as(
                self.representation)
            return tuple(replaced)

        handles = [node.register_hook(catch(task, index)) for task, node, index in readers]
        handles.append(self.representation.grad_fn.register_prehook(reweigh))
        try:
            self.losses.sum().backward(retain_graph=True)
        finally:
            for handle in handles:
                handle.remove()
        self.__dict__["representation_gradients"] = caught.view(self.n_tasks, -1)
        self.head_weights = torch.ones_like(chosen[0])
        self._backward_done = True
        return chosen[0]

    @cached_property
    def last_shared_layer_slice(self):
        """Columns of :attr:`shared_gradients` that belong to the trunk's last linear layer."""
        last_linear = [m for m in self.module.trunk if isinstance(m, torch.nn.Linear)][-1]
        own = {id(p) for p in last_linear.parameters()}
        offset, start, stop = 0, None, None
        for parameter in self._shared:
            if id(parameter) in own:
                start = offset if start is None else start
                stop = offset + parameter.numel()
            offset += parameter.numel()
        return slice(start, stop)

    def _identity(self):
        return torch.eye(self.n_tasks, dtype=self.losses.dtype, device=self.losses.device)

    # --------------------------------------------------------------- gain data
    @cached_property
    def heldout_batch(self):
        """A random batch of training data (``(X, y)``), drawn once per step."""
        if self._sample_batch is None:
            raise RuntimeError("No held-out data source was given to this training step.")
        return self._sample_batch(len(self.X))

    def gain_data(self, source):
        """``(X, y)`` on which main-task gains are measured: "batch" or "heldout"."""
        if source == "batch":
            return self.X, self.y
        if source == "heldout":
            return self.heldout_batch
        raise ValueError(f"Unknown gain data {source!r}; expected 'batch' or 'heldout'.")

    def main_gradient(self, source="heldout"):
        """Gradient of the main-task loss on the gain data w.r.t. the shared parameters."""
        if source == "batch":
            return self.shared_gradients[0]
        X, y = self.gain_data(source)
        outputs = self.module.heads[0](self.module.trunk(X))
        loss = self.criterion.task_losses((outputs,), y[:, :1])[0]
        grads = torch.autograd.grad(loss, self._shared, allow_unused=True)
        return torch.cat([
            (g if g is not None else torch.zeros_like(p)).reshape(-1)
            for g, p in zip(grads, self._shared)
        ])

    @torch.no_grad()
    def main_loss_after_steps(self, directions, source="batch"):
        """Main-task loss on the gain data after moving the trunk by ``-direction``.

        Parameters
        ----------
        directions : Tensor of shape (n_directions, n_shared)
            Each row is a full step (learning rate included) subtracted from the
            shared parameters; the heads stay fixed. A zero row gives the
            current loss.
        source : {"batch", "heldout"}
            Which data the main loss is measured on.

        Returns
        -------
        Tensor of shape (n_directions,)
            Evaluated without dropout, all directions in one batched
            (``torch.func.vmap``) forward pass; the model is not copied.
        """
        X, y = self.gain_data(source)
        trunk, main_head = self.module.trunk, self.module.heads[0]
        names = [name for name, p in trunk.named_parameters() if p.requires_grad]
        shifted = {}
        offset = 0
        for name, parameter in zip(names, self._shared):
            size = parameter.numel()
            step = directions[:, offset:offset + size].reshape((-1,) + parameter.shape)
            shifted[name] = parameter.detach().unsqueeze(0) - step
            offset += size

        def main_loss(parameters):
            representation = functional_call(trunk, parameters, (X,))
            return self.criterion.task_losses((main_head(representation),), y[:, :1])[0]

        was_training = trunk.training
        self.module.eval()
        try:
            return torch.vmap(main_loss)(shifted)
        finally:
            self.module.train(was_training)

    # ----------------------------------------------------------------- update
    def apply(self, weights, shared_gradient=None):
        """Write the gradient of ``sum_k weights[k] * losses[k]`` into ``.grad``.

        Parameters
        ----------
        weights : Tensor of shape (n_tasks,)
            Task weights; they also scale each head's gradient, unless
            :attr:`head_weights` is set.
        shared_gradient : Tensor of shape (n_shared,) or None
            A direction chosen by the strategy for the trunk (gradient surgery);
            needs :attr:`shared_gradients` to have been computed.

        Notes
        -----
        No backward pass is repeated: with :attr:`jacobian` computed, the
        update is assembled from it; with only :attr:`representation_gradients`
        computed, one backward pass runs through the trunk alone; with neither,
        one ordinary backward pass of the weighted loss. After
        :meth:`backward_weighted_at_representation` the gradients are already
        written and this does nothing.
        """
        if self._backward_done:
            return
        weights = weights.detach().to(self.losses)
        head_weights = weights if self.head_weights is None else (
            self.head_weights.detach().to(self.losses))
        computed = self.__dict__
        if self.head_weights is not None and "representation_gradients" not in computed:
            computed["jacobian"] = self.jacobian  # heads and trunk weighted apart
        if "jacobian" in computed:
            jacobian = self.jacobian
            trunk = weights @ jacobian[:, :self.n_shared] if shared_gradient is None else (
                shared_gradient.to(jacobian, copy=True))
            self._set_gradients(self._shared, trunk)
            self._set_gradients(self._heads, head_weights @ jacobian[:, self.n_shared:])
        elif shared_gradient is not None:
            raise RuntimeError("A shared_gradient needs the per-task gradients first.")
        elif "representation_gradients" in computed:
            representation = weights @ self.representation_gradients
            self.representation.backward(representation.view_as(self.representation))
            if self._heads_apart:
                per_head = head_weights.unbind()
                for parameter, grad, task in zip(self._heads, self._head_gradients,
                                                 self._head_tasks):
                    parameter.grad = (grad if grad is not None
                                      else torch.zeros_like(parameter)) * per_head[task]
            else:
                self._set_gradients(self._heads, head_weights @ self._head_gradients)
        else:
            (weights * self.losses).sum().backward()

    @staticmethod
    def _set_gradients(parameters, gradient):
        # Views of one fresh vector: no copy (each parameter owns its slice).
        offset = 0
        for parameter in parameters:
            size = parameter.numel()
            parameter.grad = gradient[offset:offset + size].view_as(parameter)
            offset += size

    # ------------------------------------------------------- sample weighting
    def sample_gradient_products(self, direction):
        """Inner product of every sample's task gradient with a trunk direction.

        Entry ``[i, k]`` is ``<d l_k(x_i) / d theta, direction>``: the
        derivative of sample i's loss on task k along ``direction`` in the
        shared parameters (heads fixed), 0 where the sample has no label for
        task k. It equals the per-sample gradients (``vmap(grad(...))``) times
        ``direction``, without materialising them: by the chain rule it is
        ``<d l_k(x_i) / d h_i, J_i direction>``, ``h_i`` the sample's
        representation, so one batched forward-mode pass through the trunk
        (``torch.func.jvp`` with ``functional_call``) gives every
        ``J_i direction``, and one batched backward pass through the heads
        every ``d l_k(x_i) / d h_i``.

        Parameters
        ----------
        direction : Tensor of shape (n_shared,)

        Returns
        -------
        Tensor of shape (batch_size, n_tasks)
            Evaluated without dropout, as :meth:`main_loss_after_steps`.
        """
        trunk = self.module.trunk
        names = [name for name, p in trunk.named_parameters() if p.requires_grad]
        primals, tangents, offset = {}, {}, 0
        for name, parameter in zip(names, self._shared):
            size = parameter.numel()
            primals[name] = parameter.detach()
            tangents[name] = direction[offset:offset + size].detach().view_as(parameter)
            offset += size

        def representation_of(parameters):
            return functional_call(trunk, parameters, (self.X,))

        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad(), warnings.catch_warnings():
                # torch compiles its forward-mode rules with the deprecated
                # torch.jit.script on first use; the warning is torch's own.
                warnings.filterwarnings("ignore", message=".*torch.jit.script.*",
                                        category=DeprecationWarning)
                representation, moved = torch.func.jvp(representation_of, (primals,), (tangents,))
            representation.requires_grad_(True)
            with torch.enable_grad():
                sample_losses = self._sample_losses(self.module.forward_heads(representation))
                (per_sample,) = torch.autograd.grad(
                    sample_losses.sum(dim=0), representation, grad_outputs=self._identity(),
                    is_grads_batched=True)
        finally:
            self.module.train(was_training)
        # Sample i's losses depend on h_i only, so row i of each task's gradient is its own.
        return torch.einsum("kbw,bw->bk", per_sample, moved)

    def weigh_samples(self, sample_weights):
        """Count every sample's loss ``sample_weights[i, k]`` times in its task's loss.

        Replaces :attr:`losses` by ``losses[k] = sum_i s[i, k] l_k(x_i) / n_k``,
        ``n_k`` the number of samples labelled for task k (all ones gives the
        losses back). :meth:`apply` then differentiates these; per-task
        gradients computed before are dropped. For sample-level strategies.

        Parameters
        ----------
        sample_weights : Tensor of shape (batch_size, n_tasks)
            Non-negative; entries of unlabelled samples are ignored.
        """
        outputs = self.module.forward_heads(self.representation)
        sample_losses = self._sample_losses(outputs) * sample_weights.detach().to(self.losses)
        self.losses = sample_losses.sum(dim=0) / self.labelled.clamp(min=1).to(self.losses)
        for name in ("jacobian", "gramian", "representation_gradients"):
            self.__dict__.pop(name, None)

    def _sample_losses(self, outputs):
        """Loss of every sample on every task, shape (batch_size, n_tasks); 0 if unlabelled."""
        labelled = ~torch.isnan(self.y)
        targets = torch.where(labelled, self.y, torch.zeros_like(self.y))
        return torch.stack([
            per_sample_loss(kind, output, targets[:, k]) * labelled[:, k]
            for k, (kind, output) in enumerate(zip(self.criterion.task_kinds, outputs))
        ], dim=1)
