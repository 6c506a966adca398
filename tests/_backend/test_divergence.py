"""The divergence guard: a fit that diverges stops with a warning and keeps finite parameters."""

import numpy as np
import pytest

from _fitting import auxiliary_data
from hydasklearn import DivergenceWarning, HydaMultiTaskRegressor


def test_diverging_training_stops_with_a_warning_and_finite_predictions():
    X, y = auxiliary_data()
    # Learned log-variances at a learning rate of 100 drive the weights to infinity.
    model = HydaMultiTaskRegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0,
                                   learning_rate_init=100.0, weighting="uncertainty")
    with pytest.warns(DivergenceWarning, match="diverged"):
        model.fit(X, y[:, 1:].astype(float))
    assert model.n_iter_ < 20
    assert np.all(np.isfinite(model.net_.module_.trunk[0].weight.detach().numpy()))
    assert np.all(np.isfinite(model.predict(X)))

