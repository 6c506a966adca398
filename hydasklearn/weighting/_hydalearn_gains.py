"""How HydaLearn measures the main-task gain of every task's gradient on one step.

The part of :class:`~hydasklearn.weighting.HydaLearn` that turns a training
step into gains; the strategy's options and its weight rule stay in
``_hydalearn.py``. The arithmetic lives in the pure functions of
``_gain_rules.py``; gradients come from the step.
"""

from __future__ import annotations

import torch

from ._gain_rules import crossfit_gains, per_unit_length, reference_gains


class GainEstimation:
    """``gains(step)`` for :class:`~hydasklearn.weighting.HydaLearn` (reads its options)."""

    def _representation_gains(self, step, representation_gradients):
        eta = self.step_size if self.step_size is not None else step.learning_rate
        gains = reference_gains(representation_gradients, representation_gradients[0], eta)
        if self.unit_length:
            gains = per_unit_length(gains, representation_gradients)
        return gains.detach()

    def gains(self, step):
        """Main-task gain of a look-ahead step along each task's gradient.

        With ``gain_data="previous"`` this also stores the current batch's
        main-task gradient as the next step's reference.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        eta = self.step_size if self.step_size is not None else step.learning_rate
        source = self._source()
        if self.approximation == "representation":
            return self._representation_gains(step, step.representation_gradients)
        if self.approximation == "exact":
            directions = eta * step.shared_gradients
            directions = torch.cat([torch.zeros_like(directions[:1]), directions])
            losses = step.main_loss_after_steps(directions, source=source)
            return losses[0] - losses[1:]
        if source == "crossfit":
            first, second = self.task_gradients(step, halves=True)
            gains = crossfit_gains(first, second, step_size=eta)
            return per_unit_length(gains, first + second) if self.unit_length else gains
        if source == "batch" and self.approximation == "first_order" and not self.unit_length:
            return eta * step.gramian[0]
        gradients = self.task_gradients(step)
        if source == "batch":
            reference = gradients[0]
        elif source == "heldout":
            reference = step.main_gradient("heldout")
            if self.approximation == "last_layer":
                reference = reference[step.last_shared_layer_slice]
        else:  # "previous" or "running": from earlier batches only
            reference = getattr(self, "reference_", None)
            current = torch.nan_to_num(gradients[0].detach(), nan=0.0, posinf=0.0, neginf=0.0)
            if source == "running" and reference is not None:
                current = torch.lerp(current, reference, self.reference_momentum)
            self.reference_ = current  # a new tensor: nan_to_num and lerp copy
            if reference is None:  # the first step: the batch's own main gradient
                reference = gradients[0]
        gains = reference_gains(gradients, reference, eta)
        return per_unit_length(gains, gradients) if self.unit_length else gains

    def task_gradients(self, step, halves=False):
        """Per-task gradients of the parameters the gains are measured on.

        ``approximation="first_order"``: all shared (trunk) parameters;
        ``"last_layer"``: the trunk's last linear layer only (see
        ``TrainingStep.gradients_through_representation``).

        Parameters
        ----------
        step : TrainingStep
        halves : bool, default=False
            Return each half of the batch's share of the gradients (first
            and second half of the rows; batches are shuffled), for
            cross-fitted gains.

        Returns
        -------
        Tensor of shape (n_tasks, n_values), or a pair of them when ``halves``.
        """
        if self.approximation == "first_order" and not halves:
            return step.shared_gradients
        layer = "last" if self.approximation == "last_layer" else "all"
        return step.gradients_through_representation(layer, halves)
