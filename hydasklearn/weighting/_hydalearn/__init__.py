"""HydaLearn as parts: a gain estimator and a weight rule, composed by the strategy.

- ``_strategy.py``: :class:`HydaLearn`, the weighting strategy;
- ``_gains.py``: how the gains are measured (:class:`FirstOrderGain`,
  :class:`LastLayerGain`, :class:`ExactGain`, :class:`RepresentationGain`);
- ``_rules.py``: how the gains become weights (:class:`EvidenceRule`,
  :class:`ProportionalRule`);
- ``_arithmetic.py``: the pure functions both use.
"""

from ._gains import (ExactGain, FirstOrderGain, GainEstimator, LastLayerGain,
                     RepresentationGain)
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
