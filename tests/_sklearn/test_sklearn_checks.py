"""scikit-learn's estimator checks; one expected failure: float32 rounding (tests/_checks.py)."""

from _checks import expected_failures
from sklearn.utils.estimator_checks import parametrize_with_checks

from hydasklearn import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from hydasklearn.weighting import ExactGain, HydaLearn

ESTIMATORS = [
    HydaMultiTaskClassifier(random_state=0),
    HydaMultiTaskRegressor(random_state=0),
    HydaMultiTaskClassifier(weighting="equal", hidden_layer_sizes=(32, 16), random_state=0),
    HydaMultiTaskRegressor(weighting=HydaLearn(gain=ExactGain()), dropout=0.1,
                           early_stopping=True, random_state=0),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
