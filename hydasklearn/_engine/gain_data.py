"""What a training step computes on other data or other parameters than its own batch.

:class:`GainData` is the part of :class:`~hydasklearn._engine.step.TrainingStep`
that main-task gains and sample-level weights read: a held-out batch, the
main-task gradient on it, the main-task loss after look-ahead steps of the
trunk, and every sample's gradient along a trunk direction. All of it is
evaluated with a pure forward pass (:func:`~hydasklearn._model.network.evaluate`),
so the module is never changed.
"""

from __future__ import annotations

import warnings
from functools import cached_property

import torch

from .._model.network import evaluate


class GainData:
    """Held-out and look-ahead quantities of a :class:`~hydasklearn._engine.step.TrainingStep`."""

    # --------------------------------------------------------------- gain data
    @cached_property
    def heldout_batch(self):
        """A random batch of training data (``(X, y, sample_weight)``), drawn once per step."""
        if self._sample_batch is None:
            raise RuntimeError("No held-out data source was given to this training step.")
        return self._sample_batch(len(self.X))

    def gain_data(self, source):
        """``(X, y, sample_weight)`` on which main-task gains are measured.

        Parameters
        ----------
        source : {"batch", "heldout"}
        """
        if source == "batch":
            return self.X, self.y, self.sample_weight
        if source == "heldout":
            return self.heldout_batch
        raise ValueError(f"Unknown gain data {source!r}; expected 'batch' or 'heldout'.")

    def main_gradient(self, source="heldout"):
        """Gradient of the main-task loss on the gain data w.r.t. the shared parameters."""
        if source == "batch":
            return self.shared_gradients[0]
        X, y, weight = self.gain_data(source)
        outputs = self.module.heads[0](self.module.trunk(X))
        loss = self.criterion.task_losses((outputs,), y[:, :1], weight)[0]
        gradients = torch.autograd.grad(loss, self.trunk_layout.parameters, allow_unused=True)
        return self.trunk_layout.flatten(gradients)

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
            (``torch.vmap``) forward pass; the model is not copied or changed.
        """
        X, y, weight = self.gain_data(source)
        layout, trunk, main_head = self.trunk_layout, self.module.trunk, self.module.heads[0]
        current = layout.values()
        shifted = {name: current[name].unsqueeze(0) - step
                   for name, step in layout.unflatten(directions).items()}

        def main_loss(parameters):
            representation = evaluate(trunk, parameters, X, "trunk.")
            return self.criterion.task_losses((main_head(representation),), y[:, :1], weight)[0]

        return torch.vmap(main_loss)(shifted)

    # ------------------------------------------------------- sample weighting
    def sample_gradient_products(self, direction):
        """Inner product of every sample's task gradient with a trunk direction.

        Entry ``[i, k]`` is ``<d l_k(x_i) / d theta, direction>``: the
        derivative of sample i's loss on task k along ``direction`` in the
        shared parameters (heads fixed), 0 where the sample has no label for
        task k. It equals the per-sample gradients (``vmap(grad(...))``) times
        ``direction``, without materialising them: by the chain rule it is
        ``<d l_k(x_i) / d h_i, J_i direction>``, ``h_i`` the sample's
        representation, so one forward-mode pass through the trunk
        (``torch.func.jvp``) gives every ``J_i direction``, and one batched
        backward pass through the heads every ``d l_k(x_i) / d h_i``.

        Parameters
        ----------
        direction : Tensor of shape (n_shared,)

        Returns
        -------
        Tensor of shape (batch_size, n_tasks)
            Evaluated without dropout, as :meth:`main_loss_after_steps`.
        """
        layout, trunk = self.trunk_layout, self.module.trunk
        tangents = layout.unflatten(direction.detach())

        def representation_of(parameters):
            return evaluate(trunk, parameters, self.X, "trunk.")

        with torch.no_grad(), warnings.catch_warnings():
            # torch compiles its forward-mode rules with the deprecated
            # torch.jit.script on first use; the warning is torch's own.
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*",
                                    category=DeprecationWarning)
            representation, moved = torch.func.jvp(representation_of, (layout.values(),),
                                                   (tangents,))
        representation.requires_grad_(True)
        with torch.enable_grad():
            heads = self.module.heads
            outputs = tuple(evaluate(head, dict(head.named_parameters()), representation)
                            for head in heads)
            (per_sample,) = torch.autograd.grad(
                self.sample_losses(outputs).sum(dim=0), representation,
                grad_outputs=self._identity(), is_grads_batched=True)
        # Sample i's losses depend on h_i only, so row i of each task's gradient is its own.
        return torch.einsum("kbw,bw->bk", per_sample, moved)
