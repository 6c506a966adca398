"""HydaLearn: task weights from main-task gains, anew on every mini-batch."""

from __future__ import annotations

import torch

from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import Decision, WeightingStrategy

APPROXIMATIONS = ("first_order", "exact", "representation")
GAIN_DATA = ("auto", "heldout", "batch")
NORMALIZATIONS = ("sum", "max")


def gains_to_weights(gains, normalization="sum"):
    """HydaLearn's weight rule: weights proportional to the positive gains.

    Parameters
    ----------
    gains : Tensor of shape (n_tasks,)
        Main-task gain of a step along each task's gradient, main task first.
    normalization : {"sum", "max"}
        ``"sum"``: the weights sum to ``n_tasks`` (so equal weighting is all
        ones); ``"max"``: the largest weight is 1.

    Returns
    -------
    Tensor of shape (n_tasks,)
        ``w_i / w_j = gain_i / gain_j`` among tasks with a positive gain; a
        task whose gain is <= 0 or not finite gets weight 0. When no gain is
        positive (every step would hurt the main task, gradients are zero, or
        gains are not finite), all the weight goes to the main task.

    Examples
    --------
    >>> import torch
    >>> gains_to_weights(torch.tensor([2.0, 1.0, -1.0]))
    tensor([2., 1., 0.])
    >>> gains_to_weights(torch.tensor([0.0, -1.0]), normalization="max")
    tensor([1., 0.])
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"Unknown normalization {normalization!r}; expected one of {NORMALIZATIONS}.")
    positive = torch.nan_to_num(gains, nan=0.0, posinf=0.0, neginf=0.0).clamp_(min=0)
    scale = positive.sum() / len(gains) if normalization == "sum" else positive.max()
    if not bool(scale > 0):
        positive = torch.zeros_like(gains)
        positive[0] = 1.0
        scale = 1.0 / len(gains) if normalization == "sum" else 1.0
    return positive / scale


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

    _parameter_constraints = {
        "approximation": [StrOptions(set(APPROXIMATIONS))],
        "gain_data": [StrOptions(set(GAIN_DATA))],
        "step_size": [Interval(Real, 0, None, closed="neither"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "weigh_heads": ["boolean"],
    }

    def __init__(self, approximation="first_order", gain_data="auto", step_size=None,
                 normalization="sum", weigh_heads=False):
        self.approximation = approximation
        self.gain_data = gain_data
        self.step_size = step_size
        self.normalization = normalization
        self.weigh_heads = weigh_heads

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        if self.approximation == "representation" and self.gain_data == "heldout":
            raise ValueError(
                "HydaLearn(approximation='representation') compares gradients of the same "
                "samples' representation, so it needs gain_data='batch'."
            )

    def weigh(self, step):
        if self.approximation == "representation" and not self.weigh_heads:
            # The weights are chosen inside the step's one backward pass, when
            # the gradient reaches the trunk's output.
            def rule(representation_gradients):
                gains = self._representation_gains(step, representation_gradients)
                return gains_to_weights(gains, self.normalization), gains

            return Decision(weights_at_representation=rule)
        gains = self.gains(step).detach()
        weights = gains_to_weights(gains, self.normalization)
        # By default the weights steer the trunk only: every head learns its task at 1.
        head_weights = None if self.weigh_heads else torch.ones_like(gains)
        return Decision(weights, gains=gains, head_weights=head_weights)

    def _representation_gains(self, step, representation_gradients):
        eta = self.step_size if self.step_size is not None else step.learning_rate
        return (eta * (representation_gradients @ representation_gradients[0])).detach()

    def gains(self, step):
        """Main-task gain of a look-ahead step along each task's gradient.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        eta = self.step_size if self.step_size is not None else step.learning_rate
        source = self.gain_data
        if source == "auto":
            source = "batch" if self.approximation == "representation" else "heldout"
        if self.approximation == "representation":
            return self._representation_gains(step, step.representation_gradients)
        if self.approximation == "first_order":
            if source == "batch":
                return eta * step.gramian[0]
            return eta * (step.shared_gradients @ step.main_gradient("heldout"))
        directions = eta * step.shared_gradients
        directions = torch.cat([torch.zeros_like(directions[:1]), directions])
        losses = step.main_loss_after_steps(directions, source=source)
        return losses[0] - losses[1:]
