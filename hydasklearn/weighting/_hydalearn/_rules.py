"""How HydaLearn turns one measurement's gains into task weights: the rule parts.

A rule receives the gains of every measured step (main task first) and
returns the weights, which sum to the number of tasks (all ones is equal
weighting). It keeps its own moving averages across steps; its arithmetic
lives in ``_arithmetic.py``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from ._arithmetic import (
    as_vector,
    evidence_weights,
    finite,
    gains_to_weights,
    moving_average_and_error,
    moving_moments,
    smooth,
)


class WeightRule(BaseEstimator):
    """Base class of HydaLearn's weight rules.

    A rule is a parameter object in scikit-learn's style: ``__init__``
    stores its options, declared in ``_parameter_constraints``;
    :class:`~hydasklearn.weighting.HydaLearn` starts a clone of it before
    training (:meth:`start` checks the options and resets the state), calls
    :meth:`weigh` with every measurement's gains and :meth:`end_epoch` after
    every epoch. Subclasses implement :meth:`weigh` and extend :meth:`start`.

    Examples
    --------
    A rule that keeps only the auxiliary tasks whose gain is at least the
    main task's, each at weight 1 beside it:

    >>> import numpy as np
    >>> from hydasklearn.weighting import HydaLearn, WeightRule
    >>> class AtLeastMain(WeightRule):
    ...     def weigh(self, gains):
    ...         gains = np.asarray(gains, dtype=float)
    ...         kept = (gains >= gains[0]).astype(float)
    ...         return kept * len(kept) / kept.sum()
    >>> AtLeastMain().start().weigh([1.0, 2.0, 0.5])
    array([1.5, 1.5, 0. ])
    >>> strategy = HydaLearn(rule=AtLeastMain())
    """

    _parameter_constraints: dict = {}

    def start(self, gain_every=1):
        """Check the options and reset the state before training.

        Parameters
        ----------
        gain_every : int, default=1
            Steps between two measurements; a moving average then moves by
            ``smoothing ** gain_every`` per measurement, the same time
            constant in steps.

        Returns
        -------
        self
        """
        self._validate_params()
        return self

    def weigh(self, gains):
        """The weights of one measurement.

        Parameters
        ----------
        gains : Tensor or array-like of shape (n_tasks,)
            Main-task gain of a step along each task's gradient, main first.

        Returns
        -------
        ndarray of shape (n_tasks,)
            Non-negative weights (float64) that sum to ``n_tasks``.
        """
        raise NotImplementedError

    def end_epoch(self):
        """Count one ended epoch (rules that need it override this)."""


class ProportionalRule(WeightRule):
    """The paper's rule: weights proportional to the positive gains.

    HydaLearn's weight rule as published [1]_: ``w_i / w_j = delta_i /
    delta_j`` among tasks with a positive gain, scaled so that the weights
    sum to the number of tasks; a task whose step would hurt the main task
    (gain <= 0 or not finite) gets weight 0 on this batch. When no gain is
    positive, the whole weight goes to the main task.

    Parameters
    ----------
    smoothing : float in [0, 1), default=0.0
        Momentum of an exponential moving average of the gains the weights
        are computed from (per step). 0: every measurement's own gains, as
        in the paper.

    Attributes
    ----------
    smoothed_gains_ : ndarray of shape (n_tasks,) or None
        The moving average of the gains after the last measurement.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> from hydasklearn.weighting import ProportionalRule
    >>> rule = ProportionalRule().start()
    >>> rule.weigh([2.0, 1.0, -1.0])
    array([2., 1., 0.])
    """

    _parameter_constraints = {"smoothing": [Interval(Real, 0, 1, closed="left")]}

    def __init__(self, smoothing=0.0):
        self.smoothing = smoothing

    def start(self, gain_every=1):
        super().start(gain_every)
        self.momentum_ = self.smoothing ** gain_every
        self.smoothed_gains_ = None
        return self

    def weigh(self, gains):
        self.smoothed_gains_ = smooth(self.smoothed_gains_, as_vector(gains), self.momentum_)
        return gains_to_weights(self.smoothed_gains_)


class EvidenceRule(WeightRule):
    """Equal weighting, less the auxiliary tasks with clear evidence of harm.

    A rule built on HydaLearn's gains [1]_ that weighs their evidence over
    many mini-batches instead of one batch's values. Every auxiliary task
    starts on, at the main task's weight. The rule keeps an unbiased moving
    average of every task's gain with its standard error; a task that is on
    is switched off once its average is more than ``release`` standard
    errors below 0, and a task that is off is switched on again once its
    average is more than ``evidence`` standard errors above 0. The weight of
    the tasks that are off goes to the tasks with evidence of help (average
    more than ``evidence`` standard errors above 0), if any; the weights are
    then scaled to sum to the number of tasks. No task is switched during
    the first ``warm_up`` epochs, nor while the main task's own average gain
    is not ``main_evidence`` standard errors above 0 (then no gain tells
    which task helps it generalize); the averages fill all the same.

    Parameters
    ----------
    evidence : float, default=2.0
        Standard errors above 0 for evidence of help.
    release : float, default=3.0
        Standard errors below 0 at which a task that is on is switched off.
    main_evidence : float, default=2.0
        Standard errors above 0 the main task's own average gain needs for
        any task to be switched.
    warm_up : int, default=5
        Epochs during which no task is switched (a fit of at most
        ``warm_up`` epochs is equal weighting).
    smoothing : float in (0, 1), default=0.99
        Momentum of the moving averages (per step): about ``1 / (1 -
        smoothing)`` steps.

    Attributes
    ----------
    gates_ : ndarray of shape (n_tasks,) or None
        1 for every task that is on, 0 for every task that is off.
    n_epochs_ : int
        Epochs ended since :meth:`start` (for ``warm_up``).

    Notes
    -----
    The spread of a task's gains is not known at the first measurement (the
    standard error is infinite), so the evidence tightens as the average
    fills. Non-finite gains count as 0; a task with no label in the batch
    has gain 0.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> from hydasklearn.weighting import EvidenceRule
    >>> rule = EvidenceRule(warm_up=0, smoothing=0.9).start()
    >>> for step in range(20):  # the second task clearly helps, the third clearly hurts
    ...     weights = rule.weigh([1.0, 0.5 + 0.1 * (-1) ** step, -1.0 + 0.1 * (-1) ** step])
    >>> weights
    array([1., 2., 0.])
    """

    _parameter_constraints = {
        "evidence": [Interval(Real, 0, None, closed="left")],
        "release": [Interval(Real, 0, None, closed="left")],
        "main_evidence": [Interval(Real, 0, None, closed="left")],
        "warm_up": [Interval(Integral, 0, None, closed="left")],
        "smoothing": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, evidence=2.0, release=3.0, main_evidence=2.0, warm_up=5,
                 smoothing=0.99):
        self.evidence = evidence
        self.release = release
        self.main_evidence = main_evidence
        self.warm_up = warm_up
        self.smoothing = smoothing

    def start(self, gain_every=1):
        super().start(gain_every)
        self.momentum_ = self.smoothing ** gain_every
        self.moments_ = None  # the moving moments of the scores (see moving_moments)
        self.gates_ = None
        self.helpers_ = None  # the tasks on with evidence of help at the last switch
        self.n_epochs_ = 0
        return self

    def end_epoch(self):
        self.n_epochs_ += 1

    def weigh(self, gains):
        self.moments_ = moving_moments(self.moments_, self._scores(as_vector(gains)),
                                       self.momentum_)
        mean, error = moving_average_and_error(self.moments_)
        first = self.gates_ is None
        if first:  # every task starts on, as under equal weighting, none yet known to help
            self.gates_ = np.ones_like(mean)
            self.helpers_ = np.zeros_like(mean)
        if self.n_epochs_ < self.warm_up or (not first and self._main_stalls(mean, error)):
            # the gains say nothing yet (or now): hold; the averages still fill
            return self._gated_weights(self.gates_, self.helpers_)
        self.gates_ = self._switch(mean, error, self.gates_)
        # tasks with evidence of help now, not only kept on by the release threshold
        self.helpers_ = self.gates_ * evidence_weights(mean, error, self.evidence)
        return self._gated_weights(self.gates_, self.helpers_)

    def _scores(self, gains):
        """What the evidence is weighed on: the gains, non-finite ones as 0."""
        return finite(gains)

    def _switch(self, mean, error, gates):
        """The gates after this measurement: on with evidence of help, off with harm."""
        return evidence_weights(mean, error, self.evidence, gates, self.release)

    def _main_stalls(self, mean, error):
        """Whether the main task's own average gain is not clearly positive."""
        return not mean[0] > self.main_evidence * error[0]

    def _gated_weights(self, gates, helpers):
        """Main task 1, tasks on 1 plus their share of the tasks off; sum n_tasks."""
        weights = gates.copy()
        if helpers[1:].sum() > 0:
            n_off = len(gates) - 1 - gates[1:].sum()
            weights[1:] += helpers[1:] * (n_off / helpers[1:].sum())
        return weights * (len(weights) / weights.sum())
