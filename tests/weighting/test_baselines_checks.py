"""scikit-learn's estimator checks for every baseline strategy, one configuration each."""

from _checks import expected_failures
from sklearn.utils.estimator_checks import parametrize_with_checks

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.weighting import (
    GradientCosineSimilarity,
    OLAux,
    PCGrad,
    TorchJDAggregator,
)

try:
    import torchjd  # noqa: F401
    HAVE_TORCHJD = True
except ImportError:
    HAVE_TORCHJD = False

# Classifiers learn the checks' small data sets in fewer epochs with a higher learning
# rate than the default, which keeps this file fast.
FAST = {"learning_rate_init": 0.01, "random_state": 0}
ESTIMATORS = [
    HydaMultiTaskClassifier(weighting="gcs", **FAST),
    HydaMultiTaskRegressor(weighting=GradientCosineSimilarity(weighted=True), random_state=0),
    HydaMultiTaskClassifier(weighting=OLAux(update_every=2), **FAST),
    HydaMultiTaskRegressor(weighting="gradnorm", random_state=0),
    HydaMultiTaskClassifier(weighting="uncertainty", **FAST),
    HydaMultiTaskRegressor(weighting="dwa", random_state=0),
    HydaMultiTaskClassifier(weighting=PCGrad(random_state=0), **FAST),
    HydaMultiTaskRegressor(weighting="slgrad", random_state=0),
]
if HAVE_TORCHJD:
    ESTIMATORS.append(HydaMultiTaskClassifier(weighting=TorchJDAggregator("mgda"), **FAST))


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
