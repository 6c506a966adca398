"""HydaLearn as parts: a gain estimator and a weight rule, composed by the strategy.

- ``_strategy.py``: :class:`HydaLearn`, the weighting strategy;
- ``_gains.py``: how the gains are measured (:class:`GainEstimator`, the base,
  :class:`FirstOrderGain`, :class:`ExactGain`, :class:`RepresentationGain`);
- ``_last_layer_gain.py``: the default's gain part, :class:`LastLayerGain`;
- ``_rules.py``: how the gains become weights (:class:`EvidenceRule`,
  :class:`ProportionalRule`);
- ``_arithmetic.py``: the pure functions both use.
"""

from ._gains import ExactGain, FirstOrderGain, GainEstimator, RepresentationGain
from ._last_layer_gain import LastLayerGain
from ._rules import EvidenceRule, ProportionalRule, WeightRule
from ._strategy import HydaLearn

__all__ = [
    "EvidenceRule",
    "ExactGain",
    "FirstOrderGain",
    "GainEstimator",
    "HydaLearn",
    "LastLayerGain",
    "ProportionalRule",
    "RepresentationGain",
    "WeightRule",
]
