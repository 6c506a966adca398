"""HydaLearn: task weights from main-task gains, anew on every mini-batch."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import Decision, WeightingStrategy
from ._gain_rules import (
    NORMALIZATIONS,
    as_vector,
    bound_main_weight,
    evidence_weights,
    gains_to_weights,
    moving_average_and_error,
    moving_moments,
    relative_gains,
    smooth,
)
from ._hydalearn_gains import GainEstimation

APPROXIMATIONS = ("first_order", "last_layer", "exact", "representation")
GAIN_DATA = ("auto", "previous", "running", "crossfit", "heldout", "batch")
RULES = ("proportional", "evidence")


class HydaLearn(GainEstimation, WeightingStrategy):
    """Highly dynamic task weighting from main-task gains (HydaLearn).

    For each task k the strategy estimates the *gain* ``delta_k``: how much
    the main-task loss would drop after a look-ahead step of size ``eta``
    along task k's gradient of the shared (trunk) parameters, heads fixed
    [1]_. The weights follow the gains; the trunk is updated along
    ``sum_k w_k g_k``, assembled from the per-task gradients already
    computed, every head along its own task's gradient, and one optimiser
    step follows.

    The paper's rule is kept as :meth:`HydaLearn.paper_rule`, that is
    ``HydaLearn(gain_data="batch", rule="proportional", unit_length=False,
    smoothing=0, gain_every=1)``: weights set anew on every mini-batch,
    proportional to the positive gains (``w_i / w_j = delta_i / delta_j``),
    the gains measured on that same batch. The defaults differ, chosen on
    the benchmark grid of ``benchmarks/bench_hydalearn_grid.py`` (auxiliary
    tasks that help, tasks that only hurt, both mixed, three real sets; 20
    seeds; all variants' figures in ``benchmarks/README.md``):

    1. The gain of a step is measured against the *previous* mini-batch's
       main-task gradient (``gain_data="previous"``): on the current batch the
       main task's own gain ``eta |g_0|^2`` also counts that batch's label
       noise, which its step fits; the previous batch's gradient has no such
       bias and costs no extra pass.
    2. Gains are taken per unit step length (``unit_length=True``), so that a
       task's weight does not grow with the size of its gradient.
    3. An evidence rule instead of one batch's gains (``rule="evidence"``):
       every auxiliary task starts on and stays on until the moving average
       of its gain (over about 100 steps, ``smoothing=0.99``) is more than
       three standard errors *below* 0 (``hysteresis=True, release=3``); a
       task that is off is switched on again once its average is two
       standard errors above 0. The average is unbiased and its standard
       error counts how few measurements it holds, so early measurements
       switch nothing by chance. A task that is on weighs as much as the main
       task (``auxiliary_weight=1``), then the weights are scaled to sum to
       the number of tasks: while every task is on, this is equal weighting.
       Late in training the gains on training batches shrink to noise (the
       main task's own gain turns negative as it overfits), so a rule that
       needs evidence *for* a task switched helpful tasks off when they
       regularise most; a rule that needs evidence *against* it keeps them,
       and drops tasks that clearly hurt. For the same reason no task is
       switched, on or off, while the main task's own average gain is not two
       standard errors above 0 (``main_evidence=2``): once the main task's
       steps no longer help it on other batches (it fits its noise), no gain
       tells which task helps it generalise. The weight of a task switched
       off goes to the tasks with evidence of help (average gain two
       standard errors above 0; ``keep_auxiliary_share=True``), so that the
       main task keeps its equal-weighting share and a task that regularises
       the trunk is replaced by the one that clearly helps, not by the main
       task (scarce main labels, 20 seeds: -0.0010 to -0.0003 ROC AUC
       against equal weighting). Weighing every task that is on at twice the
       main task (``auxiliary_weight=2``) gained up to 0.003 where auxiliary
       tasks help but lost 0.002 on SUPPORT2, where equal weighting is best.
       No task is switched during the first five epochs (``warm_up=5``):
       the first gains measure the transient from the random initialisation
       (heads at random, a trunk still forming), and on SUPPORT2 most tasks
       switched off within the first epoch, losing 0.0014 ± 0.0006 ROC AUC
       against equal weighting; the averages fill during the warm-up, so the
       evidence counts from its end.
    4. The gains are measured on every second step (``gain_every=2``); in
       between the last weights are used again, at the cost of an ordinary
       backward pass.

    Measured (20 seeds, paired differences to the better of single-task
    learning and equal weighting, mean ± standard error): -0.0000 ± 0.0000,
    -0.0000 ± 0.0001 and +0.0005 ± 0.0003 ROC AUC where the auxiliary tasks
    help, -0.0001 ± 0.0008 and -0.0004 ± 0.0006 where they only hurt,
    +0.0056 ± 0.0013 where helpful and harmful tasks are mixed; on real data
    +0.0001 ± 0.0001 and +0.0003 ± 0.0004 (Lending Club) and
    -0.0001 ± 0.0001 (SUPPORT2): within one standard error of the better
    baseline on all nine set-ups, and 0.0056 above both where mixed. A fit
    costs about 1.5 times an equal-weighting fit (3 tasks, MLP 2 x 128,
    batch 256, 2 CPU threads); ``gain_every=1`` about 1.8 times. All figures
    and the variants that lost are in ``benchmarks/README.md``.

    Parameters
    ----------
    approximation : {"first_order", "last_layer", "exact", "representation"}, \
            default="first_order"
        How gains are computed, with the cost per measured step of a network
        with K auxiliary tasks, in trunk-forward units F (equal weighting:
        about 3F):

        - ``"exact"``: real look-ahead evaluations,
          ``delta_k = M(theta) - M(theta - eta g_k)``, all K + 1 look-ahead
          forwards batched in one ``torch.func.vmap`` call, without dropout
          (about (3K + 4)F). Needs ``gain_data`` "batch" or "heldout".
        - ``"first_order"``: ``delta_k ~= eta <grad M, g_k>`` from the
          per-task gradients of all trunk parameters (about (2K + 3)F).
        - ``"last_layer"``: the same inner products restricted to the trunk's
          last linear layer, obtained from the gradients at the trunk's
          output by a batched backward pass through that layer. Measured no
          faster than ``"first_order"`` on small networks, where a step's
          cost is per-operation overhead.
        - ``"representation"``: inner products of gradients with respect to
          the trunk's output (as LibMTL's ``rep_grad``), chosen inside the
          step's one backward pass (about 3F). Compares the same samples'
          gradients, so needs ``gain_data="batch"``.

        Measured times against equal weighting (3 tasks, MLP 2 x 128,
        batch 256, 2 CPU threads) are in ``benchmarks/README.md``.
    gain_data : {"auto", "previous", "running", "crossfit", "heldout", "batch"}, \
            default="auto"
        The main-task gradient each task's gradient is measured against
        (the data ``D`` the main loss ``M`` is measured on):

        - ``"previous"``: the main-task gradient of the previous measured
          mini-batch (other samples, no extra pass; the first step uses its
          own batch);
        - ``"running"``: a moving average of the previous batches' main-task
          gradients (momentum ``reference_momentum``);
        - ``"crossfit"``: each half of the batch against the other half's
          main-task gradient (:func:`~hydasklearn.weighting.crossfit_gains`);
        - ``"heldout"``: a random batch of the same size drawn from the
          training data (one extra forward and backward pass);
        - ``"batch"``: the current mini-batch, as in the paper: the main
          task's own gain is then biased upwards by the batch's noise;
        - ``"auto"``: ``"previous"``; ``"heldout"`` for ``"exact"``,
          ``"batch"`` for ``"representation"``.
    step_size : float or None, default=None
        Look-ahead step ``eta``; ``None`` uses the optimiser's learning rate.
        Except with ``"exact"`` it only scales the recorded gains.
    normalization : {"sum", "max"}, default="sum"
        ``"sum"``: weights sum to the number of tasks, so that all ones is
        equal weighting; ``"max"``: the largest weight is 1.
    smoothing : float in [0, 1), default=0.99
        Momentum of the exponential moving average of the gains the weights
        are computed from (per step; with ``gain_every=m`` the average moves
        by ``smoothing ** m`` per measurement). 0: every batch's own gains.
    min_main_weight : float, default=0.0
        Floor on the main task's weight, in units of the ``"sum"``
        normalisation (1: never less than under equal weighting); the
        auxiliary weights are rescaled to keep the sum
        (:func:`~hydasklearn.weighting.bound_main_weight`).
    max_main_weight : float or None, default=None
        Ceiling on the main task's weight, in the same units.
    gain_every : int, default=2
        Measure the gains on every ``gain_every``-th step; in between the
        last weights are used again, with no per-task gradients of the trunk
        (heads still at weight 1). 1: on every step.
    unit_length : bool, default=True
        Divide each gain by the length of the task's gradient
        (:func:`~hydasklearn.weighting.per_unit_length`).
    rule : {"evidence", "proportional"}, default="evidence"
        ``"proportional"``: the paper's rule, weights proportional to the
        positive (smoothed) gains
        (:func:`~hydasklearn.weighting.gains_to_weights`). ``"evidence"``:
        the main task at weight 1 and every auxiliary task at
        ``auxiliary_weight`` while the moving average of its score (see
        ``gain_ratio``) is more than ``evidence`` standard errors above 0,
        else 0, then the ``normalization``
        (:func:`~hydasklearn.weighting.evidence_weights`); needs
        ``smoothing > 0``.
    evidence : float, default=2.0
        Standard errors the moving average of an auxiliary task's gain must
        clear under ``rule="evidence"``.
    reference_momentum : float in [0, 1), default=0.9
        Momentum of the moving average of ``gain_data="running"``.
    hysteresis : bool, default=True
        Under ``rule="evidence"``: every auxiliary task starts on, and a task
        that is on stays on until its average gain is more than ``release``
        standard errors below 0 (evidence is needed to switch it back on).
        ``False``: a task is on exactly while its average gain is more than
        ``evidence`` standard errors above 0.
    release : float, default=3.0
        Under ``hysteresis``: standard errors below 0 at which a task that is
        on is switched off (0: as soon as its average gain is not positive).
    auxiliary_weight : float, default=1.0
        Under ``rule="evidence"``: the weight of an auxiliary task that is on,
        in units of the main task's (before the ``normalization``). 1: the
        same as the main task.
    main_evidence : float or None, default=2.0
        Under ``rule="evidence"``: the gates hold (no auxiliary task is
        switched on or off) while the moving average of the main task's own
        gain is not more than ``main_evidence`` standard errors above 0.
        ``None``: the gates follow the evidence at every measurement. Without
        early stopping, once the main task overfits, the auxiliary tasks'
        gains turn negative with it, and the hold keeps the tasks that
        regularise it (the main job's "aux tasks help" scenario with 200
        epochs: -0.0224 to -0.0037 ROC AUC against equal weighting).
    keep_auxiliary_share : bool, default=True
        Under ``rule="evidence"``: the weight of the auxiliary tasks that are
        off is shared among the tasks that are on with evidence of help
        (average gain more than ``evidence`` standard errors above 0), so
        that the auxiliary tasks keep their equal-weighting share. With no
        such task, or ``False``, the weights of the tasks that are on are
        scaled up with the main task's.
    gain_ratio : float, default=0.0
        Under ``rule="evidence"``: the evidence is weighed on each auxiliary
        task's gain less ``gain_ratio`` times the main task's own gain
        (:func:`~hydasklearn.weighting.relative_gains`), so that a task must
        help the main task at least that share as much as the main task's
        own step does. 0: on its gain alone. 0.2 switches off tasks that are
        nearly orthogonal to a clean main task and compete with it for a
        small trunk (the main job's "aux tasks hurt" scenario), but also
        related tasks that help as regularisers (on the real data sets, whose
        auxiliary gains are under 0.05 of the main task's); see
        ``benchmarks/README.md``.
    warm_up : int, default=5
        Under ``rule="evidence"``: the number of epochs during which no task
        is switched on or off (every task on); the gains are measured and
        averaged all the same. A fit of at most ``warm_up`` epochs is then
        equal weighting. On the benchmark grid 3 epochs missed on SUPPORT2
        and 10 on the mixed set-up (``benchmarks/README.md``).
    weigh_heads : bool, default=False
        Whether the weights also scale each head's own gradient (the gradient
        of ``sum_k w_k L_k`` taken literally). By default every head learns
        its task at weight 1 and the weights act on the shared trunk only:
        heads do not touch the main task, and a head frozen by weight 0 keeps
        its random initialisation, whose trunk gradient may then stay
        misaligned with the main task's, so that a related task can stay
        locked out for many epochs.

    Attributes
    ----------
    smoothed_gains_ : ndarray of shape (n_tasks,) or None
        The moving average of the gains after the last measurement.
    n_epochs_ : int
        The epochs ended since :meth:`start` (for ``warm_up``).

    Notes
    -----
    Degenerate cases: a task with no label in the batch has a zero gradient,
    hence a zero gain and weight 0. Non-finite gains count as 0. When no gain
    is positive (every step would hurt the main task on ``D``, or all
    gradients are zero), the whole weight goes to the main task. With a single
    task the weight is 1 and no gradient is computed. Under
    ``rule="evidence"`` the spread of a task's scores is not known at the
    first measurement, so the first measurement switches nothing (under
    ``hysteresis`` every task stays on, otherwise off); the standard error accounts for how few
    measurements the moving average holds, so the evidence tightens as it
    fills (:func:`~hydasklearn.weighting.moving_average_and_error`). With
    ``gain_data="previous"`` the first step, which has no previous batch,
    measures against its own batch. Gains are recorded in
    ``gain_history_`` as computed (before smoothing and clipping); on the
    steps between two measurements the last ones are repeated.

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
    >>> model = HydaMultiTaskClassifier(weighting=HydaLearn(), max_iter=5,
    ...                                 random_state=0).fit(X, y)
    >>> model.weight_history_.shape, model.gain_history_.shape
    ((5, 2), (5, 2))
    >>> bool(np.allclose(model.weight_history_.sum(axis=1), 2.0))
    True

    The paper's rule:

    >>> paper = HydaLearn.paper_rule()
    >>> (paper.gain_data, paper.rule, paper.gain_every)
    ('batch', 'proportional', 1)
    """

    _parameter_constraints = {
        "approximation": [StrOptions(set(APPROXIMATIONS))],
        "gain_data": [StrOptions(set(GAIN_DATA))],
        "step_size": [Interval(Real, 0, None, closed="neither"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "smoothing": [Interval(Real, 0, 1, closed="left")],
        "min_main_weight": [Interval(Real, 0, None, closed="left")],
        "max_main_weight": [Interval(Real, 0, None, closed="left"), None],
        "gain_every": [Interval(Integral, 1, None, closed="left")],
        "unit_length": ["boolean"],
        "rule": [StrOptions(set(RULES))],
        "evidence": [Interval(Real, 0, None, closed="left")],
        "reference_momentum": [Interval(Real, 0, 1, closed="left")],
        "hysteresis": ["boolean"],
        "release": [Interval(Real, 0, None, closed="left")],
        "auxiliary_weight": [Interval(Real, 0, None, closed="neither")],
        "main_evidence": [Interval(Real, 0, None, closed="left"), None],
        "keep_auxiliary_share": ["boolean"],
        "gain_ratio": [Interval(Real, 0, None, closed="left")],
        "weigh_heads": ["boolean"],
        "warm_up": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, approximation="first_order", gain_data="auto", step_size=None,
                 normalization="sum", smoothing=0.99, min_main_weight=0.0, max_main_weight=None,
                 gain_every=2, unit_length=True, rule="evidence", evidence=2.0,
                 reference_momentum=0.9, hysteresis=True, release=3.0, auxiliary_weight=1.0,
                 main_evidence=2.0, keep_auxiliary_share=True, gain_ratio=0.0,
                 weigh_heads=False, warm_up=5):
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
        self.hysteresis = hysteresis
        self.release = release
        self.auxiliary_weight = auxiliary_weight
        self.main_evidence = main_evidence
        self.keep_auxiliary_share = keep_auxiliary_share
        self.gain_ratio = gain_ratio
        self.weigh_heads = weigh_heads
        self.warm_up = warm_up

    @classmethod
    def paper_rule(cls, **options):
        """HydaLearn with the weight rule as the paper states it.

        Weights proportional to the positive gains, measured on the current
        mini-batch and set anew on every step, with no smoothing and no
        per-length scaling. Measured on the benchmark grid it leans towards
        single-task learning (figures in ``benchmarks/README.md``).

        Parameters
        ----------
        **options
            Further options on top (for example ``approximation="exact"``).

        Returns
        -------
        HydaLearn
        """
        return cls(**{"gain_data": "batch", "rule": "proportional", "unit_length": False,
                      "smoothing": 0.0, "gain_every": 1, **options})

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        source = self._source()
        if self.approximation == "representation" and source != "batch":
            raise ValueError(
                "HydaLearn(approximation='representation') compares gradients of the same "
                "samples' representation, so it needs gain_data='batch'."
            )
        if self.approximation == "exact" and source not in ("batch", "heldout"):
            raise ValueError(
                "HydaLearn(approximation='exact') evaluates the main loss on data, so it needs "
                f"gain_data='batch' or 'heldout', got {source!r}."
            )
        if self.rule == "evidence" and not self.smoothing > 0:
            raise ValueError("HydaLearn(rule='evidence') weighs the evidence of moving "
                             "averages, so it needs smoothing > 0.")
        if self.max_main_weight is not None and self.max_main_weight < self.min_main_weight:
            raise ValueError(
                "HydaLearn max_main_weight must be None or >= min_main_weight, got "
                f"{self.max_main_weight!r}.")
        self.reference_ = None  # the main-task gradient of the last batch gains were measured on
        self.smoothed_gains_ = None
        self._moments = None  # the evidence rule's moving moments of the scores
        self.n_steps_ = 0
        self._held = None  # (weights, gains) of the last measurement
        self._gates = None  # the evidence rule's last 0/1 weights
        self._helpers = None  # the tasks on with evidence of help at the last update
        self.n_epochs_ = 0

    def end_epoch(self, task_losses):
        """Count the epochs, for the warm-up of the evidence rule.

        Parameters
        ----------
        task_losses : ndarray of shape (n_tasks,)
        """
        self.n_epochs_ = getattr(self, "n_epochs_", 0) + 1

    def _source(self):
        if self.gain_data != "auto":
            return self.gain_data
        return {"representation": "batch", "exact": "heldout"}.get(self.approximation, "previous")

    def weigh(self, step):
        count = getattr(self, "n_steps_", 0)
        self.n_steps_ = count + 1
        held = getattr(self, "_held", None)
        if held is not None and count % self.gain_every != 0:
            weights, gains = held  # between two measurements: the last weights again
            return Decision(weights, gains=gains, head_weights=self._head_weights(weights))
        if self.approximation == "representation" and not self.weigh_heads:
            # The weights are chosen inside the step's one backward pass, when
            # the gradient reaches the trunk's output.
            def rule(representation_gradients):
                gains = self._representation_gains(step, representation_gradients)
                weights = self.weights_from_gains(gains)
                self._held = (weights.detach(), gains)
                return weights, gains

            return Decision(weights_at_representation=rule)
        gains = self.gains(step).detach()
        weights = self.weights_from_gains(gains)
        self._held = (weights.detach(), gains)
        return Decision(weights, gains=gains, head_weights=self._head_weights(weights))

    def _head_weights(self, weights):
        # By default the weights steer the trunk only: every head learns its task at 1.
        return None if self.weigh_heads else torch.ones_like(weights)

    def weights_from_gains(self, gains):
        """This step's weights: the gains smoothed, the weight rule, the main task's bounds.

        Updates the moving average of the gains (``smoothed_gains_``). The
        arithmetic is on NumPy vectors of n_tasks entries (see
        ``_gain_rules``); only the result is a tensor again.

        Parameters
        ----------
        gains : Tensor of shape (n_tasks,)

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        momentum = self.smoothing ** self.gain_every  # the same time constant in steps
        values = as_vector(gains)
        self.smoothed_gains_ = smooth(getattr(self, "smoothed_gains_", None), values, momentum)
        if self.rule == "evidence":
            weights = self._evidence_rule(values, momentum)
        else:
            weights = gains_to_weights(self.smoothed_gains_, "sum")
        weights = bound_main_weight(weights, self.min_main_weight, self.max_main_weight)
        if self.normalization == "max":
            weights = weights / weights.max()
        return torch.as_tensor(weights, dtype=gains.dtype, device=gains.device)

    def _evidence_rule(self, gains, momentum):
        """The evidence rule's weights (NumPy), updating its moving moments and gates."""
        scores = relative_gains(gains, self.gain_ratio)
        self._moments = moving_moments(getattr(self, "_moments", None), scores, momentum)
        mean, error = moving_average_and_error(self._moments)
        gates = getattr(self, "_gates", None)
        first = gates is None
        if first:  # every task starts on, as under equal weighting, none yet known to help
            gates = self._gates = np.ones_like(mean)
            self._helpers = np.zeros_like(mean)
        if self._warming_up() or (not first and self._main_stalls(mean, error)):
            # the gains say nothing yet (or now): hold; the averages still fill
            return self._gated_weights(gates, self._helpers)
        gates = evidence_weights(mean, error, self.evidence,
                                 gates if self.hysteresis else None, self.release)
        self._gates = gates
        # tasks with evidence of help now, not only kept on by the hysteresis
        self._helpers = gates * evidence_weights(mean, error, self.evidence)
        return self._gated_weights(gates, self._helpers)

    def _warming_up(self):
        """Whether fewer than ``warm_up`` epochs have ended."""
        return getattr(self, "n_epochs_", 0) < self.warm_up

    def _main_stalls(self, mean, error):
        """Whether the main task's own average gain is not clearly positive."""
        if self.main_evidence is None:
            return False
        return not mean[0] > self.main_evidence * error[0]

    def _gated_weights(self, gates, helpers):
        """Main task 1, tasks that are on ``auxiliary_weight``, off 0; scaled to sum to n_tasks.

        With ``keep_auxiliary_share``, the tasks in ``helpers`` also share
        the weight of the tasks that are off.
        """
        weights = gates.copy()
        if self.keep_auxiliary_share and helpers[1:].sum() > 0:
            n_off = len(gates) - 1 - gates[1:].sum()
            weights[1:] += helpers[1:] * (n_off / helpers[1:].sum())
        weights[1:] *= self.auxiliary_weight
        return weights * (len(weights) / weights.sum())
