"""HydaLearn configurations written as keyword options, for the benchmarks' recorded names.

The benchmarks' labels (``hydalearn:warm_up=0,gain_ratio=0.2``) and the
registry's named variants describe a HydaLearn configuration by keyword
options (:data:`OPTION_DEFAULTS`); :func:`hydalearn_from_options` composes
the strategy each label was measured as, from the package's gain and rule
parts. Options that lost on the grid are not part of the package; the small
parts below, subclasses of the package's parts, reproduce them:

- :class:`ReferenceGain`: first-order gains against a running average of
  the previous main-task gradients, cross-fitted halves of the batch or a
  held-out batch, of all trunk parameters or of its last layer only;
- :class:`ScaledRepresentationGain`: representation-level gains with a
  look-ahead step other than the learning rate (it scales the gains only);
- :class:`GridEvidenceRule`: the evidence rule without the hold, without
  the release threshold (``hysteresis=False``), with auxiliary weights
  other than the main task's, without handing a task's weight to the tasks
  that help, or weighing each gain less a share of the main task's;
- :class:`MainWeightBounds`: any rule with a floor and a ceiling on the main
  task's weight, or with the largest weight scaled to 1.

What each variant scored is in ``results/`` and on the documentation's
benchmark results page.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions

from hydasklearn.weighting import (
    EvidenceRule,
    ExactGain,
    FirstOrderGain,
    HydaLearn,
    LastLayerGain,
    ProportionalRule,
    RepresentationGain,
    WeightRule,
)
from hydasklearn.weighting._hydalearn._arithmetic import (
    as_vector,
    evidence_weights,
    finite,
    per_unit_length,
)

#: The keyword options of a HydaLearn configuration, with the value each takes when a
#: label leaves it out: the terms every recorded label is read in, so they never change
#: (they are the package default of release 0.1: first-order gains of the whole trunk
#: per unit length, on every second step).
OPTION_DEFAULTS = dict(
    approximation="first_order", gain_data="auto", step_size=None, normalization="sum",
    smoothing=0.99, min_main_weight=0.0, max_main_weight=None, gain_every=2, unit_length=True,
    rule="evidence", evidence=2.0, reference_momentum=0.9, hysteresis=True, release=3.0,
    auxiliary_weight=1.0, main_evidence=2.0, keep_auxiliary_share=True, gain_ratio=0.0,
    weigh_heads=False, warm_up=5, start_on=True, unproven_weight=None)

#: The package's default in those terms: ``hydalearn_from_options(**PACKAGE_DEFAULT)``
#: is ``HydaLearn()``.
PACKAGE_DEFAULT = {**OPTION_DEFAULTS, "approximation": "last_layer", "unit_length": False,
                   "gain_every": 3}

_POSITIVE_OR_NONE = [Interval(Real, 0, None, closed="neither"), None]


def hydalearn_from_options(**options):
    """The HydaLearn strategy that the given keyword options describe.

    Parameters
    ----------
    **options
        Any of :data:`OPTION_DEFAULTS`' keys; the others take its values.

    Returns
    -------
    HydaLearn

    Examples
    --------
    >>> paper = hydalearn_from_options(gain_data="batch", rule="proportional",
    ...                                unit_length=False, smoothing=0.0, gain_every=1)
    >>> repr(paper) == repr(HydaLearn.paper_rule())
    True
    >>> hydalearn_from_options(gain_data="crossfit", min_main_weight=1.0).rule
    MainWeightBounds(min_main_weight=1.0, rule=EvidenceRule())
    """
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        raise TypeError(f"Unknown HydaLearn options {unknown}; expected some of "
                        f"{sorted(OPTION_DEFAULTS)}.")
    o = {**OPTION_DEFAULTS, **options}
    return HydaLearn(gain=_gain(o), rule=_rule(o), gain_every=o["gain_every"],
                     weigh_heads=o["weigh_heads"])


def _gain(o):
    approximation = o["approximation"]
    if approximation not in ("first_order", "last_layer", "exact", "representation"):
        raise ValueError(f"Unknown approximation {approximation!r}.")
    source = o["gain_data"]
    if source == "auto":
        source = {"representation": "batch", "exact": "heldout"}.get(approximation, "previous")
    if approximation == "exact":
        if source not in ("batch", "heldout"):
            raise ValueError("approximation='exact' evaluates the main loss on data, so it "
                             f"needs gain_data='batch' or 'heldout', got {source!r}.")
        return ExactGain(data=source, step_size=o["step_size"])  # per unit length: not used
    if approximation == "representation":
        if source != "batch":
            raise ValueError("approximation='representation' compares gradients of the same "
                             "samples' representation, so it needs gain_data='batch'.")
        if o["step_size"] is None:
            return RepresentationGain(per_unit_length=o["unit_length"])
        return ScaledRepresentationGain(per_unit_length=o["unit_length"],
                                        step_size=o["step_size"])
    if approximation == "first_order" and source in ("previous", "batch") and (
            o["step_size"] is None):
        return FirstOrderGain(reference=source, per_unit_length=o["unit_length"])
    if approximation == "last_layer" and source in ("previous", "batch") and (
            o["step_size"] is None and not o["unit_length"]):
        return LastLayerGain(reference=source)
    return ReferenceGain(reference=source, per_unit_length=o["unit_length"],
                         layers="last" if approximation == "last_layer" else "all",
                         reference_momentum=o["reference_momentum"], step_size=o["step_size"])


def _rule(o):
    if o["rule"] == "proportional":
        rule = ProportionalRule(smoothing=o["smoothing"])
    elif o["rule"] == "evidence":
        if not o["smoothing"] > 0:
            raise ValueError("rule='evidence' weighs the evidence of moving averages, so it "
                             "needs smoothing > 0.")
        common = dict(evidence=o["evidence"], release=o["release"],
                      main_evidence=o["main_evidence"], warm_up=o["warm_up"],
                      smoothing=o["smoothing"])
        extra = dict(hysteresis=o["hysteresis"], auxiliary_weight=o["auxiliary_weight"],
                     keep_auxiliary_share=o["keep_auxiliary_share"],
                     gain_ratio=o["gain_ratio"], start_on=o["start_on"],
                     unproven_weight=o["unproven_weight"])
        # the options the package's rule lacks all at their defaults: the package's rule
        if extra == {key: OPTION_DEFAULTS[key] for key in extra} and (
                o["main_evidence"] is not None):
            rule = EvidenceRule(**common)
        else:
            rule = GridEvidenceRule(**common, **extra)
    else:
        raise ValueError(f"Unknown rule {o['rule']!r}.")
    if (o["min_main_weight"], o["max_main_weight"], o["normalization"]) == (0.0, None, "sum"):
        return rule
    return MainWeightBounds(rule, min_main_weight=o["min_main_weight"],
                            max_main_weight=o["max_main_weight"],
                            normalization=o["normalization"])


def crossfit_gains(first_half, second_half, step_size=1.0):
    """First-order main-task gains cross-fitted over the two halves of a batch.

    ``gain_k = 2 eta (<a_k, b_0> + <b_k, a_0>)``, ``a_k`` and ``b_k`` the two
    halves' shares of task k's batch gradient: no sample's label noise
    rewards its own fit; halves that agree give ``eta <g_k, g_0>``.

    Examples
    --------
    >>> a = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    >>> b = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    >>> crossfit_gains(a, b)
    tensor([0., 2.])
    """
    return 2 * step_size * (first_half @ second_half[0] + second_half @ first_half[0])


def relative_gains(gains, ratio):
    """Each auxiliary task's gain less ``ratio`` times the main task's own gain.

    Examples
    --------
    >>> relative_gains([2.0, 1.5, 0.2], ratio=0.25)
    array([ 2. ,  1. , -0.3])
    """
    relative = finite(gains)
    relative[1:] -= ratio * relative[0]
    return relative


def bound_main_weight(weights, floor=0.0, ceiling=None):
    """The main task's weight within ``[floor, ceiling]``, the auxiliary ones rescaled.

    The total is kept; with no auxiliary weight the weights are returned
    unchanged.

    Examples
    --------
    >>> bound_main_weight([0.5, 2.0, 0.5], floor=1.0)
    array([1. , 1.6, 0.4])
    >>> bound_main_weight([2.5, 0.5, 0.0], ceiling=2.0)
    array([2., 1., 0.])
    """
    bounded = as_vector(weights)
    total, auxiliary = bounded.sum(), bounded[1:].sum()
    if not auxiliary > 0 or (floor <= 0 and ceiling is None):
        return bounded
    high = total if ceiling is None else min(float(ceiling), total)
    main = min(max(bounded[0], min(float(floor), total)), high)
    bounded[1:] *= (total - main) / auxiliary
    bounded[0] = main
    return bounded


class ReferenceGain(FirstOrderGain):
    """First-order gains against any reference the grid measured, of all or the last layers.

    Parameters
    ----------
    reference : {"previous", "batch", "running", "crossfit", "heldout"}, default="previous"
        ``"running"``: a moving average of the previous measured batches'
        main-task gradients; ``"crossfit"``: each half of the batch against
        the other half's main-task gradient; ``"heldout"``: a random
        training batch of the same size (one extra pass).
    per_unit_length : bool, default=True
    layers : {"all", "last"}, default="all"
        The trunk parameters the gradients are taken of: all, or the last
        linear layer only (by a batched backward pass through that layer).
    reference_momentum : float in [0, 1), default=0.9
        Momentum of ``reference="running"``.
    step_size : float or None, default=None
        The look-ahead step (scales the gains only); None: the learning rate.
    """

    _parameter_constraints = {
        "reference": [StrOptions({"previous", "batch", "running", "crossfit", "heldout"})],
        "per_unit_length": ["boolean"],
        "layers": [StrOptions({"all", "last"})],
        "reference_momentum": [Interval(Real, 0, 1, closed="left")],
        "step_size": _POSITIVE_OR_NONE,
    }

    def __init__(self, reference="previous", per_unit_length=True, layers="all",
                 reference_momentum=0.9, step_size=None):
        super().__init__(reference=reference, per_unit_length=per_unit_length)
        self.layers = layers
        self.reference_momentum = reference_momentum
        self.step_size = step_size

    def measure(self, step):
        eta = self._look_ahead_step(step)
        if self.reference == "crossfit":
            first, second = step.gradients_through_representation(self.layers, True)
            gains = crossfit_gains(first, second, step_size=eta)
            return per_unit_length(gains, first + second) if self.per_unit_length else gains
        if self.layers == "all":
            return super().measure(step)
        return self._gains_against_reference(step, self._task_gradients(step), eta)

    def _look_ahead_step(self, step):
        return self.step_size if self.step_size is not None else step.learning_rate

    def _task_gradients(self, step):
        if self.layers == "all":
            return step.shared_gradients
        return step.gradients_through_representation("last", False)

    def _reference_gradient(self, step, gradients):
        if self.reference == "heldout":
            reference = step.main_gradient("heldout")
            return reference[step.last_shared_layer_slice] if self.layers == "last" else reference
        if self.reference != "running":
            return super()._reference_gradient(step, gradients)
        reference = self.reference_gradient_
        current = torch.nan_to_num(gradients[0].detach(), nan=0.0, posinf=0.0, neginf=0.0)
        if reference is not None:
            current = torch.lerp(current, reference, self.reference_momentum)
        self.reference_gradient_ = current  # a new tensor: nan_to_num and lerp copy
        return gradients[0] if reference is None else reference


class ScaledRepresentationGain(RepresentationGain):
    """Representation-level gains with a look-ahead step of their own (it scales the gains).

    Parameters
    ----------
    per_unit_length : bool, default=True
    step_size : float or None, default=None
    """

    _parameter_constraints = {"per_unit_length": ["boolean"], "step_size": _POSITIVE_OR_NONE}

    def __init__(self, per_unit_length=True, step_size=None):
        super().__init__(per_unit_length=per_unit_length)
        self.step_size = step_size

    def _look_ahead_step(self, step):
        return self.step_size if self.step_size is not None else step.learning_rate


class GridEvidenceRule(EvidenceRule):
    """The evidence rule with every option the grid measured.

    Parameters
    ----------
    evidence, release, warm_up, smoothing
        As :class:`~hydasklearn.weighting.EvidenceRule`.
    main_evidence : float or None, default=2.0
        None: no hold, the gates follow the evidence at every measurement.
    hysteresis : bool, default=True
        False: a task is on exactly while its average score is more than
        ``evidence`` standard errors above 0 (``release`` is not used).
    auxiliary_weight : float, default=1.0
        The weight of an auxiliary task that is on, in units of the main
        task's, before the weights are scaled to sum to the number of tasks.
    keep_auxiliary_share : bool, default=True
        False: the weight of the tasks that are off is not handed to the
        tasks with evidence of help.
    gain_ratio : float, default=0.0
        The evidence is weighed on each auxiliary gain less ``gain_ratio``
        times the main task's own gain.
    start_on : bool, default=True
        False: at the first switch after the warm-up only the tasks with
        evidence of help stay on (the burden of proof on help); after it,
        as with ``hysteresis``.
    unproven_weight : float in [0, 1] or None, default=None
        When given, no hysteresis: a task with evidence of help is on, one
        more than ``release`` standard errors below 0 is off, and every other
        task is on at this share of the main task's weight.
    """

    _parameter_constraints = {
        **EvidenceRule._parameter_constraints,
        "main_evidence": [Interval(Real, 0, None, closed="left"), None],
        "hysteresis": ["boolean"],
        "auxiliary_weight": [Interval(Real, 0, None, closed="neither")],
        "keep_auxiliary_share": ["boolean"],
        "gain_ratio": [Interval(Real, 0, None, closed="left")],
        "start_on": ["boolean"],
        "unproven_weight": [Interval(Real, 0, 1, closed="both"), None],
    }

    def __init__(self, evidence=2.0, release=3.0, main_evidence=2.0, warm_up=5, smoothing=0.99,
                 hysteresis=True, auxiliary_weight=1.0, keep_auxiliary_share=True,
                 gain_ratio=0.0, start_on=True, unproven_weight=None):
        super().__init__(evidence=evidence, release=release, main_evidence=main_evidence,
                         warm_up=warm_up, smoothing=smoothing)
        self.hysteresis = hysteresis
        self.auxiliary_weight = auxiliary_weight
        self.keep_auxiliary_share = keep_auxiliary_share
        self.gain_ratio = gain_ratio
        self.start_on = start_on
        self.unproven_weight = unproven_weight

    def _scores(self, gains):
        return relative_gains(gains, self.gain_ratio)

    def start(self, gain_every=1):
        super().start(gain_every)
        self.switched_before_ = self.start_on  # with start_on, the start counts as a switch
        return self

    def _switch(self, mean, error, gates):
        if self.unproven_weight is not None:
            helps = evidence_weights(mean, error, self.evidence)
            unproven = np.where(mean < -self.release * error, 0.0, self.unproven_weight)
            unproven[0] = 1.0
            return np.where(helps > 0, 1.0, unproven)
        previous = gates if self.hysteresis and self.switched_before_ else None
        self.switched_before_ = True
        return evidence_weights(mean, error, self.evidence, previous, self.release)

    def _main_stalls(self, mean, error):
        return self.main_evidence is not None and super()._main_stalls(mean, error)

    def _gated_weights(self, gates, helpers):
        weights = gates.copy()
        if self.keep_auxiliary_share and helpers[1:].sum() > 0:
            n_off = len(gates) - 1 - gates[1:].sum()
            weights[1:] += helpers[1:] * (n_off / helpers[1:].sum())
        weights[1:] *= self.auxiliary_weight
        return weights * (len(weights) / weights.sum())


class MainWeightBounds(WeightRule):
    """A rule's weights with a floor and a ceiling on the main task's, or the largest at 1.

    Parameters
    ----------
    rule : WeightRule
    min_main_weight : float, default=0.0
        Floor on the main task's weight (the total kept, auxiliary weights
        rescaled; :func:`bound_main_weight`).
    max_main_weight : float or None, default=None
        Ceiling on the main task's weight.
    normalization : {"sum", "max"}, default="sum"
        ``"max"``: the weights are then divided by the largest.
    """

    _parameter_constraints = {
        "rule": [WeightRule],
        "min_main_weight": [Interval(Real, 0, None, closed="left")],
        "max_main_weight": [Interval(Real, 0, None, closed="left"), None],
        "normalization": [StrOptions({"sum", "max"})],
    }

    def __init__(self, rule, min_main_weight=0.0, max_main_weight=None, normalization="sum"):
        self.rule = rule
        self.min_main_weight = min_main_weight
        self.max_main_weight = max_main_weight
        self.normalization = normalization

    def start(self, gain_every=1):
        super().start(gain_every)
        if self.max_main_weight is not None and self.max_main_weight < self.min_main_weight:
            raise ValueError("max_main_weight must be None or >= min_main_weight, got "
                             f"{self.max_main_weight!r}.")
        self.rule_ = clone(self.rule).start(gain_every)
        return self

    def weigh(self, gains):
        weights = bound_main_weight(self.rule_.weigh(gains), self.min_main_weight,
                                    self.max_main_weight)
        if self.normalization == "max":
            weights = weights / weights.max()
        return weights

    def end_epoch(self):
        self.rule_.end_epoch()
