"""hydasklearn: multi-task learning with auxiliary tasks and HydaLearn task weighting.

Scikit-learn estimators whose ``y`` may carry auxiliary targets next to the
main one, trained with PyTorch through skorch.
"""

from ._backend.divergence import DivergenceWarning
from ._sklearn.estimators import HydaMultiTaskClassifier, HydaMultiTaskRegressor
from ._tasks.task import DegenerateTaskWarning

__version__ = "0.1.0"

__all__ = ["DegenerateTaskWarning", "DivergenceWarning", "HydaMultiTaskClassifier",
           "HydaMultiTaskRegressor", "__version__"]
