"""HydaLearn: task weights from main-task gains, composed of a gain part and a rule part."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import Interval

from .._base import Decision, WeightingStrategy
from ._gains import FirstOrderGain, GainEstimator
from ._last_layer_gain import LastLayerGain
from ._rules import EvidenceRule, ProportionalRule, WeightRule

# The default parts. Shared by every HydaLearn() that keeps them, so never changed:
# HydaLearn.start starts clones, and set_params sets nested options on a copy.
_DEFAULT_GAIN = LastLayerGain(reference="previous")
_DEFAULT_RULE = EvidenceRule(evidence=2.0, release=3.0, main_evidence=2.0, warm_up=5,
                             smoothing=0.99)


class HydaLearn(WeightingStrategy):
    """Highly dynamic task weighting from main-task gains (HydaLearn).

    On every ``gain_every``-th mini-batch, the ``gain`` part measures each
    task's *gain*, how much the main-task loss would drop after a small
    step along that task's gradient of the shared trunk, and the ``rule``
    part turns the gains into task weights [1]_; in between, the last
    weights are used again. The trunk is updated along ``sum_k w_k g_k`` and
    every head along its own task's gradient (``weigh_heads=False``). The
    default, ``HydaLearn(gain=LastLayerGain(reference="previous"),
    rule=EvidenceRule(evidence=2.0, release=3.0, main_evidence=2.0,
    warm_up=5, smoothing=0.99), gain_every=3, weigh_heads=False)``,
    measures on every third step the first-order gains of the trunk's last
    linear layer against the previous measured mini-batch's main-task
    gradient, and keeps equal weighting except for auxiliary tasks whose
    average gain is clearly negative; :meth:`paper_rule` is the paper's
    configuration. How the default and its variants score and what they
    cost against single-task learning and equal weighting is on the
    benchmark results page (:doc:`/benchmark_results`).

    Parameters
    ----------
    gain : GainEstimator, default=LastLayerGain(reference="previous")
        How the gains are measured: :class:`LastLayerGain`,
        :class:`FirstOrderGain`, :class:`ExactGain` or
        :class:`RepresentationGain`.
    rule : WeightRule, default=EvidenceRule()
        How the gains become weights: :class:`EvidenceRule` or
        :class:`ProportionalRule`.
    gain_every : int, default=3
        Measure the gains on every ``gain_every``-th step; in between the
        last weights are used again, with no per-task gradients of the trunk
        (heads still at weight 1). 1: on every step.
    weigh_heads : bool, default=False
        Whether the weights also scale each head's own gradient (the gradient
        of ``sum_k w_k L_k`` taken literally). By default every head learns
        its task at weight 1 and the weights act on the shared trunk only, so
        that a head switched off does not keep its random initialization.

    Attributes
    ----------
    gain_ : GainEstimator
        The started clone of ``gain``.
    rule_ : WeightRule
        The started clone of ``rule``, with its moving averages.
    n_steps_ : int
        Steps weighed since :meth:`start`.

    See Also
    --------
    LastLayerGain, FirstOrderGain, ExactGain, RepresentationGain : The gain parts.
    EvidenceRule, ProportionalRule : The rule parts.

    Notes
    -----
    A task with no label in the batch has a zero gradient, hence a zero
    gain. With a single task the weight is 1 and no gradient is computed.
    ``gain_history_`` records the gains as measured (before any averaging);
    on the steps between two measurements the last ones are repeated. With
    a :class:`RepresentationGain` and ``weigh_heads=False`` the weights are
    chosen inside the step's one backward pass.

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
    >>> from hydasklearn.weighting import EvidenceRule, HydaLearn
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0] + 0.1 * X[:, 1]])
    >>> model = HydaMultiTaskClassifier(weighting=HydaLearn(), max_iter=5,
    ...                                 random_state=0).fit(X, y)
    >>> model.weight_history_.shape, model.gain_history_.shape
    ((5, 2), (5, 2))
    >>> bool(np.allclose(model.weight_history_.sum(axis=1), 2.0))
    True

    The parts' options are nested parameters, as in a scikit-learn pipeline:

    >>> strategy = HydaLearn(rule=EvidenceRule(warm_up=3))
    >>> strategy.set_params(rule__evidence=3.0).get_params()["rule__evidence"]
    3.0
    """

    _parameter_constraints = {
        "gain": [GainEstimator],
        "rule": [WeightRule],
        "gain_every": [Interval(Integral, 1, None, closed="left")],
        "weigh_heads": ["boolean"],
    }

    def __init__(self, gain=_DEFAULT_GAIN, rule=_DEFAULT_RULE, gain_every=3,
                 weigh_heads=False):
        self.gain = gain
        self.rule = rule
        self.gain_every = gain_every
        self.weigh_heads = weigh_heads

    @classmethod
    def paper_rule(cls, **params):
        """HydaLearn as the paper states it.

        Weights proportional to the positive gains, measured on the current
        mini-batch with first-order gains of the trunk's parameters and set
        anew on every step, with no averaging and no per-length scaling
        [1]_: ``HydaLearn(gain=FirstOrderGain(reference="batch",
        per_unit_length=False), rule=ProportionalRule(smoothing=0.0),
        gain_every=1)``. Its scores are on the benchmark results page
        (:doc:`/benchmark_results`).

        Parameters
        ----------
        **params
            Parameters on top, for example ``gain=ExactGain(data="batch")``
            for the paper's rule on exact look-ahead gains.

        Returns
        -------
        HydaLearn

        References
        ----------
        .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis,
           W. Verbeke, "HydaLearn: Highly Dynamic Task Weighting for
           Multi-task Learning with Auxiliary Tasks", Applied Intelligence
           53(5):5808-5822, 2023; arXiv:2008.11643.

        Examples
        --------
        >>> from hydasklearn.weighting import HydaLearn
        >>> paper = HydaLearn.paper_rule()
        >>> paper.gain, paper.rule, paper.gain_every
        (FirstOrderGain(per_unit_length=False, reference='batch'), ProportionalRule(), 1)
        """
        return cls(**{"gain": FirstOrderGain(reference="batch", per_unit_length=False),
                      "rule": ProportionalRule(smoothing=0.0), "gain_every": 1, **params})

    def set_params(self, **params):
        """Set parameters, nested ones of the parts included (``rule__evidence``).

        A part that is still the default is copied before its options are
        set, so that the defaults of other instances stay as they are.

        Parameters
        ----------
        **params
            Parameters of this strategy or of its parts.

        Returns
        -------
        self
        """
        for name, default in (("gain", _DEFAULT_GAIN), ("rule", _DEFAULT_RULE)):
            if getattr(self, name) is default and any(key.startswith(name + "__")
                                                      for key in params):
                setattr(self, name, clone(default))
        return super().set_params(**params)

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        self.gain_ = clone(self.gain).start()
        self.rule_ = clone(self.rule).start(self.gain_every)
        self.n_steps_ = 0
        self._held = None  # the decision of the last measurement
        self._chosen = None  # the rule's weights in it
        return self

    def end_epoch(self, task_losses):
        """Pass the end of an epoch on to the rule (for its warm-up).

        Parameters
        ----------
        task_losses : ndarray of shape (n_tasks,)
        """
        self.rule_.end_epoch()

    def weigh(self, step):
        count = self.n_steps_
        self.n_steps_ = count + 1
        if self._held is not None and count % self.gain_every != 0:
            return self._held  # between two measurements: the last decision again
        if not self.weigh_heads and self.gain_.reads_representation(step):
            # The weights are chosen inside the step's one backward pass, when
            # the gradient reaches the trunk's output.
            def choose(representation_gradients):
                gains = self.gain_.gains_from_representation(representation_gradients, step)
                return self._hold(gains).weights, gains

            return Decision(weights_at_representation=choose)
        return self._hold(self.gain_.measure(step).detach())

    def _hold(self, gains):
        """The decision of the rule's weights for these gains, kept for the steps in between."""
        chosen = np.asarray(self.rule_.weigh(gains), dtype=float)
        last = self._held
        if last is not None and np.array_equal(chosen, self._chosen):
            # The same tensors as before: the update reuses what it derived from them.
            weights, heads = last.weights, last.head_weights
        else:
            weights = torch.as_tensor(chosen, dtype=gains.dtype, device=gains.device)
            # By default the weights steer the trunk only: every head learns its task at 1.
            # Where the trunk's weights are all 1 as well, None says the same, and the
            # update skips comparing them on every step.
            heads = None if self.weigh_heads or (chosen == 1).all() else torch.ones_like(weights)
        self._chosen = chosen
        self._held = Decision(weights, gains=gains, head_weights=heads)
        return self._held
