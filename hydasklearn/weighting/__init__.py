"""Task-weighting strategies: HydaLearn and the baselines it is compared with.

Every strategy is a :class:`WeightingStrategy`; the estimators accept one as
``weighting``, or its name (see :data:`STRATEGIES`), or a list of static
weights. :class:`HydaLearn` is composed of a gain part
(:class:`LastLayerGain`, :class:`FirstOrderGain`, :class:`ExactGain`,
:class:`RepresentationGain`) and a rule part (:class:`EvidenceRule`, :class:`ProportionalRule`).
"""

from sklearn.base import clone

from ._base import Decision, WeightingStrategy
from ._dwa import DWA
from ._gcs import GradientCosineSimilarity
from ._gradnorm import GradNorm
from ._hydalearn import (
    EvidenceRule,
    ExactGain,
    FirstOrderGain,
    GainEstimator,
    HydaLearn,
    LastLayerGain,
    ProportionalRule,
    RepresentationGain,
    WeightRule,
)
from ._olaux import OLAux
from ._pcgrad import PCGrad
from ._slgrad import SLGrad
from ._static import EqualWeighting, MainTaskOnly, StaticWeighting
from ._torchjd import TorchJDAggregator
from ._uncertainty import UncertaintyWeighting

#: Strategy names accepted by ``weighting=...``.
STRATEGIES = {
    "equal": EqualWeighting,
    "main-only": MainTaskOnly,
    "hydalearn": HydaLearn,
    "gcs": GradientCosineSimilarity,
    "olaux": OLAux,
    "gradnorm": GradNorm,
    "uncertainty": UncertaintyWeighting,
    "dwa": DWA,
    "pcgrad": PCGrad,
    "slgrad": SLGrad,
    "torchjd": TorchJDAggregator,  # needs the optional extra: hydasklearn[torchjd]
}


def resolve_weighting(weighting):
    """Return a fresh (unfitted) strategy for a ``weighting`` parameter value.

    Parameters
    ----------
    weighting : str, sequence of float or WeightingStrategy
        A name from :data:`STRATEGIES`, static weights (one per task, main
        first) or a strategy object (cloned, so the parameter is not changed).

    Returns
    -------
    WeightingStrategy
    """
    if isinstance(weighting, WeightingStrategy):
        return clone(weighting)
    if isinstance(weighting, str):
        if weighting not in STRATEGIES:
            raise ValueError(
                f"Unknown weighting {weighting!r}; expected one of {sorted(STRATEGIES)}, "
                "a list of static weights or a WeightingStrategy."
            )
        return STRATEGIES[weighting]()
    try:
        weights = [float(w) for w in weighting]
    except (TypeError, ValueError):
        raise ValueError(
            f"weighting must be a strategy name, a list of static weights or a "
            f"WeightingStrategy, got {weighting!r}."
        ) from None
    return StaticWeighting(weights)


__all__ = [
    "DWA",
    "STRATEGIES",
    "Decision",
    "EqualWeighting",
    "EvidenceRule",
    "ExactGain",
    "FirstOrderGain",
    "GainEstimator",
    "GradNorm",
    "GradientCosineSimilarity",
    "HydaLearn",
    "LastLayerGain",
    "MainTaskOnly",
    "OLAux",
    "PCGrad",
    "ProportionalRule",
    "RepresentationGain",
    "SLGrad",
    "StaticWeighting",
    "TorchJDAggregator",
    "UncertaintyWeighting",
    "WeightRule",
    "WeightingStrategy",
    "resolve_weighting",
]
