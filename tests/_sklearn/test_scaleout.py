"""Grid search across processes with joblib gives the same results as in one process."""

import joblib
import numpy as np

from _fitting import auxiliary_data, grid_search

X, Y = auxiliary_data(n_samples=120, n_features=5, n_informative=3)


def _search(n_jobs):
    return grid_search(X, Y, n_jobs)


def test_grid_search_in_worker_processes_matches_one_process():
    serial = _search(n_jobs=1)
    # One torch thread per worker process, so that workers do not oversubscribe the cores.
    with joblib.parallel_backend("loky", inner_max_num_threads=1):
        parallel = _search(n_jobs=2)
    # Bit for bit, because both sides run one torch thread (conftest.py here,
    # inner_max_num_threads in the workers) on the same CPU and data order.
    np.testing.assert_array_equal(parallel.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    assert parallel.best_params_ == serial.best_params_
    np.testing.assert_array_equal(parallel.best_estimator_.weight_history_,
                                  serial.best_estimator_.weight_history_)
