"""Task-weighting strategies: HydaLearn and the baselines it is compared with.

Every strategy is a :class:`WeightingStrategy`; the estimators accept one as
``weighting``, or its name (see :data:`STRATEGIES`), or a list of static
weights.
"""

from sklearn.base import clone

from ._base import Decision, WeightingStrategy
from ._dwa import DWA
from ._gain_rules import (
    bound_main_weight,
    crossfit_gains,
    evidence_weights,
    moving_average_and_error,
    moving_moments,
    per_unit_length,
    reference_gains,
    relative_gains,
    smooth,
)
from ._gcs import GradientCosineSimilarity
from ._gradnorm import GradNorm
from ._hydalearn import HydaLearn, gains_to_weights
from ._olaux import OLAux
from ._pcgrad import PCGrad
from ._slgrad import SLGrad
from ._static import EqualWeighting, StaticWeighting
from ._torchjd import TorchJDAggregator
from ._uncertainty import UncertaintyWeighting

#: Strategy names accepted by ``weighting=...``.
STRATEGIES = {
    "equal": EqualWeighting,
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
    "Decision",
    "STRATEGIES",
    "EqualWeighting",
    "GradNorm",
    "GradientCosineSimilarity",
    "HydaLearn",
    "OLAux",
    "PCGrad",
    "SLGrad",
    "StaticWeighting",
    "TorchJDAggregator",
    "UncertaintyWeighting",
    "WeightingStrategy",
    "bound_main_weight",
    "crossfit_gains",
    "evidence_weights",
    "gains_to_weights",
    "moving_average_and_error",
    "moving_moments",
    "per_unit_length",
    "reference_gains",
    "relative_gains",
    "resolve_weighting",
    "smooth",
]
