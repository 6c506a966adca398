"""HydaLearn: task weights from main-task gains, anew on every mini-batch."""

from __future__ import annotations

from numbers import Integral

import torch

from ._base import TaskWeights, WeightingStrategy
from ._gain_rules import (NORMALIZATIONS, bound_main_weight, crossfit_gains, evidence_weights,
                          gains_to_weights, per_unit_length, reference_gains, smooth)

APPROXIMATIONS = ("first_order", "last_layer", "exact", "representation")
GAIN_DATA = ("auto", "previous", "running", "crossfit", "heldout", "batch")
RULES = ("proportional", "evidence")


class HydaLearn(WeightingStrategy):
    """Highly dynamic task weighting from main-task gains (HydaLearn).

    On every mini-batch, for each task k the strategy estimates the *gain*
    ``delta_k``: how much the main-task loss would drop after a look-ahead
    step of size ``eta`` along task k's gradient of the shared (trunk)
    parameters, heads fixed. The task weights are proportional to the positive
    gains (``w_i / w_j = delta_i / delta_j``); a task whose step would raise
    the main loss gets weight 0 on that batch. The trunk is then updated along
    ``sum_k w_k g_k``, assembled from the per-task gradients already computed,
    and every head along its own task's gradient; one optimiser step follows.

    Parameters
    ----------
    approximation : {"first_order", "exact", "representation"}, default="first_order"
        How gains are computed, with the cost per step of a network with
        K auxiliary tasks, in trunk-forward units F (equal weighting: about 3F):

        - ``"exact"``: real look-ahead evaluations,
          ``delta_k = M(theta) - M(theta - eta g_k)``, all K + 1 look-ahead
          forwards batched in one ``torch.func.vmap`` call, without dropout
          (about (3K + 4)F).
        - ``"first_order"``: ``delta_k ~= eta <grad M, g_k>``; on the current
          batch this is a row of the Gramian of the task gradients and needs
          no extra forward pass (about (2K + 3)F).
        - ``"representation"``: the same inner products, taken on gradients
          with respect to the trunk's output (as LibMTL's ``rep_grad``). The
          weights are chosen inside the step's one backward pass, when the
          gradient reaches the trunk's output and every task's part is still
          apart (about 3F, as equal weighting). Needs the gains on the
          current batch.

        Measured epoch times against equal weighting (3 tasks, MLP 2 x 128,
        batch 256, 2 CPU threads) are in ``benchmarks/README.md``.
    gain_data : {"auto", "heldout", "batch"}, default="auto"
        Data ``D`` the main loss ``M`` is measured on. ``"heldout"``: a
        random batch of the same size drawn from the training data (one extra
        forward and backward pass of the main task); ``"batch"``: the current
        mini-batch; ``"auto"``: ``"heldout"``, except for
        ``approximation="representation"``, which compares the gradients of
        the same samples and uses ``"batch"``. On the current batch the main
        task's own gain ``eta |g_0|^2`` also rewards fitting that batch's
        noise, so the main task takes most of the weight (about 2.7 of 3
        with a related and a noise task): a cautious choice, close to
        single-task learning. Held-out gains leave helpful auxiliary tasks
        more room (about 0.9 of 3 for the related task) at the price of noisier
        weights (a pure-noise task still gets about 0.4). In
        ``benchmarks/bench_hydalearn_scores.py`` held-out gains gave the better
        main-task ROC AUC with helpful auxiliary tasks (20 seeds), batch gains
        with harmful ones; see ``benchmarks/README.md``.
    step_size : float or None, default=None
        Look-ahead step ``eta``; ``None`` uses the optimiser's learning rate.
        With ``"first_order"`` and ``"representation"`` it only scales the
        recorded gains, not the weights.
    normalization : {"sum", "max"}, default="sum"
        ``"sum"``: weights sum to the number of tasks, so that all ones is
        equal weighting; ``"max"``: the largest weight is 1.
    weigh_heads : bool, default=False
        Whether the weights also scale each head's own gradient (the gradient
        of ``sum_k w_k L_k`` taken literally). By default every head learns
        its task at weight 1 and the weights act on the shared trunk only:
        heads do not touch the main task, and a head frozen by weight 0 keeps
        its random initialisation, whose trunk gradient may then stay
        misaligned with the main task's, so that a related task can stay
        locked out for many epochs.

    Notes
    -----
    Degenerate cases: a task with no label in the batch has a zero gradient,
    hence a zero gain and weight 0. Non-finite gains count as 0. When no gain
    is positive (every step would hurt the main task on ``D``, or all
    gradients are zero), the whole weight goes to the main task. With a single
    task the weight is 1 and no gradient is computed. Gains are recorded in
    ``gain_history_`` as computed (before clipping).

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import HydaLearn
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0] + 0.1 * X[:, 1]])
    >>> model = HydaMultiTaskClassifier(weighting=HydaLearn(approximation="exact"),
    ...                                 max_iter=5, random_state=0).fit(X, y)
    >>> model.weight_history_.shape, model.gain_history_.shape
    ((5, 2), (5, 2))
    >>> bool(np.allclose(model.weight_history_.sum(axis=1), 2.0))
    True
    """

    def __init__(self, approximation="first_order", gain_data="auto", step_size=None,
                 normalization="sum", smoothing=0.0, min_main_weight=0.0, max_main_weight=None,
                 gain_every=1, unit_length=False, rule="proportional", evidence=2.0,
                 reference_momentum=0.9, weigh_heads=False):
        self.approximation = approximation
        self.gain_data = gain_data
        self.step_size = step_size
        self.normalization = normalization
        self.smoothing = smoothing
        self.min_main_weight = min_main_weight
        self.max_main_weight = max_main_weight
        self.gain_every = gain_every
        self.unit_length = unit_length
        self.rule = rule
        self.evidence = evidence
        self.reference_momentum = reference_momentum
        self.weigh_heads = weigh_heads

    def start(self, task_names, task_types):
        super().start(task_names, task_types)
        for name, value, allowed in (("approximation", self.approximation, APPROXIMATIONS),
                                     ("gain_data", self.gain_data, GAIN_DATA),
                                     ("normalization", self.normalization, NORMALIZATIONS),
                                     ("rule", self.rule, RULES)):
            if value not in allowed:
                raise ValueError(f"HydaLearn {name} must be one of {allowed}, got {value!r}.")
        source = self._source()
        if self.approximation == "representation" and source != "batch":
            raise ValueError(
                "HydaLearn(approximation='representation') compares gradients of the same "
                "samples' representation, so it needs gain_data='batch'."
            )
        if not 0 <= self.reference_momentum < 1:
            raise ValueError("HydaLearn reference_momentum must be in [0, 1), got "
                             f"{self.reference_momentum!r}.")
        if self.approximation == "exact" and source not in ("batch", "heldout"):
            raise ValueError(
                "HydaLearn(approximation='exact') evaluates the main loss on data, so it needs "
                f"gain_data='batch' or 'heldout', got {source!r}."
            )
        if self.step_size is not None and not self.step_size > 0:
            raise ValueError(f"HydaLearn step_size must be > 0 or None, got {self.step_size!r}.")
        if not 0 <= self.smoothing < 1:
            raise ValueError(f"HydaLearn smoothing must be in [0, 1), got {self.smoothing!r}.")
        if not self.min_main_weight >= 0:
            raise ValueError(
                f"HydaLearn min_main_weight must be >= 0, got {self.min_main_weight!r}.")
        if self.max_main_weight is not None and not self.max_main_weight >= self.min_main_weight:
            raise ValueError(
                "HydaLearn max_main_weight must be None or >= min_main_weight, got "
                f"{self.max_main_weight!r}.")
        if self.rule == "evidence" and not self.smoothing > 0:
            raise ValueError("HydaLearn(rule='evidence') weighs the evidence of moving "
                             "averages, so it needs smoothing > 0.")
        if not (isinstance(self.gain_every, Integral) and self.gain_every >= 1):
            raise ValueError(f"HydaLearn gain_every must be an integer >= 1, got "
                             f"{self.gain_every!r}.")
        self.reference_ = None  # the main-task gradient of the last batch gains were measured on
        self.smoothed_gains_ = None
        self.smoothed_squares_ = None
        self.n_steps_ = 0
        self._held = None  # (weights, gains) of the last measurement

    def _source(self):
        if self.gain_data != "auto":
            return self.gain_data
        return "batch" if self.approximation == "representation" else "previous"

    def weigh(self, step):
        if step.n_tasks == 1:
            return TaskWeights(torch.ones(1, device=step.losses.device))
        count = getattr(self, "n_steps_", 0)
        self.n_steps_ = count + 1
        held = getattr(self, "_held", None)
        if held is not None and count % self.gain_every != 0:
            return self._hold(step, *held)
        decision = self._measure(step)
        self._held = (decision.weights.detach(), decision.gains.detach())
        return decision

    def _hold(self, step, weights, gains):
        """A step between two measurements: the last weights again, heads at weight 1."""
        if not self.weigh_heads:
            backward_with_heads_at_one(step, weights)
        return TaskWeights(weights, gains=gains)

    def _measure(self, step):
        if self.approximation == "representation" and not self.weigh_heads:
            # The weights are chosen inside the one backward pass, when the
            # gradient reaches the trunk's output (TrainingStep).
            found = []

            def choose(representation_gradients):
                found.append(self._representation_gains(step, representation_gradients))
                return self.weights_from_gains(found[0])

            weights = step.backward_weighted_at_representation(choose)
            return TaskWeights(weights, gains=found[0])
        gains = self.gains(step).detach()
        weights = self.weights_from_gains(gains)
        if not self.weigh_heads:
            step.head_weights = torch.ones_like(gains)  # the weights steer the trunk only
        return TaskWeights(weights, gains=gains)

    def weights_from_gains(self, gains):
        """This step's weights: the gains smoothed, the weight rule, the main task's bounds.

        Updates the moving average of the gains (``smoothed_gains_``).

        Parameters
        ----------
        gains : Tensor of shape (n_tasks,)

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        momentum = self.smoothing ** self.gain_every  # the same time constant in steps
        gains = torch.nan_to_num(gains.detach(), nan=0.0, posinf=0.0, neginf=0.0)
        self.smoothed_gains_ = smooth(getattr(self, "smoothed_gains_", None), gains, momentum)
        if self.rule == "evidence":
            self.smoothed_squares_ = smooth(getattr(self, "smoothed_squares_", None),
                                            gains ** 2, momentum)
            chosen = evidence_weights(self.smoothed_gains_, self.smoothed_squares_, momentum,
                                      self.evidence)
            weights = chosen * (len(chosen) / chosen.sum())
        else:
            weights = gains_to_weights(self.smoothed_gains_, "sum")
        weights = bound_main_weight(weights, self.min_main_weight, self.max_main_weight)
        return weights / weights.max() if self.normalization == "max" else weights

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
            momentum = self.reference_momentum if source == "running" else 0.0
            self.reference_ = smooth(reference, gradients[0].detach(), momentum).clone()
            if reference is None:  # the first step: the batch's own main gradient
                reference = gradients[0]
        gains = reference_gains(gradients, reference, eta)
        return per_unit_length(gains, gradients) if self.unit_length else gains

    def task_gradients(self, step, halves=False):
        """Per-task gradients of the parameters the gains are measured on.

        ``approximation="first_order"``: all shared (trunk) parameters;
        ``"last_layer"``: the trunk's last linear layer only, obtained from
        the per-task gradients at the representation (one ordinary backward
        pass through the heads) by a batched backward pass through that one
        layer, a small fraction of a full per-task Jacobian.

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
        trunk = step.module.trunk
        if self.approximation == "last_layer":
            layer = [m for m in trunk if isinstance(m, torch.nn.Linear)][-1]
            parameters = [p for p in layer.parameters() if p.requires_grad]
        else:
            parameters = [p for p in trunk.parameters() if p.requires_grad]
        representation = step.representation
        outputs = step.representation_gradients.view((step.n_tasks,) + representation.shape)
        if halves:
            first = torch.arange(len(representation), device=outputs.device) < (
                len(representation) // 2)
            first = first.view((1, -1) + (1,) * (representation.dim() - 1))
            outputs = torch.cat([outputs * first, outputs * ~first])
        grads = torch.autograd.grad(representation, parameters, grad_outputs=outputs,
                                    is_grads_batched=True, retain_graph=True, allow_unused=True)
        flat = torch.cat([(g if g is not None else torch.zeros((len(outputs),) + p.shape))
                          .reshape(len(outputs), -1) for g, p in zip(grads, parameters)], dim=1)
        return (flat[:step.n_tasks], flat[step.n_tasks:]) if halves else flat


def backward_with_heads_at_one(step, weights, least=1e-4):
    """Write the update "trunk along ``sum_k w_k g_k``, every head at weight 1" in one backward pass.

    The backward pass of ``sum_k max(w_k, least) L_k`` gives the trunk its
    weighted gradient (a task at weight 0 adds ``least`` times its gradient)
    and head k ``max(w_k, least)`` times its own task's gradient, since head
    k reaches only ``L_k``; dividing head k's gradient by that factor gives it
    weight 1. So heads weighted apart from the trunk cost what equal
    weighting costs, instead of per-task gradients or hooks. Marks the step as
    done, so that ``step.apply`` adds nothing.

    Parameters
    ----------
    step : TrainingStep
    weights : Tensor of shape (n_tasks,)
    least : float, default=1e-4
    """
    factors = weights.detach().to(step.losses).clamp(min=least)
    (factors * step.losses).sum().backward()
    for head, factor in zip(step.module.heads, factors.tolist()):
        for parameter in head.parameters():
            if parameter.grad is not None:
                parameter.grad.div_(factor)
    step._backward_done = True  # the gradients are written (TrainingStep.apply skips)
