"""Grid search on a local Dask or Ray cluster gives the results of one process.

Each backend's test needs its extra (``pip install hydasklearn[dask]`` or
``[ray]``) and is skipped without it. The fitted estimators travel both ways:
``best_estimator_`` comes back from a worker, and an estimator fitted here is
sent to the workers and predicts there.
"""

import os

import joblib
import numpy as np
import pytest

from _fitting import auxiliary_data, grid_search

X, Y = auxiliary_data(n_samples=120, n_features=5, n_informative=3)


def _search(n_jobs, backend=None, **backend_options):
    return grid_search(X, Y, n_jobs, backend, **backend_options)


@pytest.fixture(scope="module")
def serial():
    return _search(n_jobs=1)


def _assert_same_search(parallel, serial):
    for key in ("mean_test_score", "split0_test_score", "split1_test_score", "rank_test_score"):
        np.testing.assert_array_equal(parallel.cv_results_[key], serial.cv_results_[key])
    assert parallel.best_params_ == serial.best_params_
    # best_estimator_ is refitted on a worker and unpickled here.
    np.testing.assert_array_equal(parallel.best_estimator_.weight_history_,
                                  serial.best_estimator_.weight_history_)
    np.testing.assert_array_equal(parallel.best_estimator_.predict_proba(X),
                                  serial.best_estimator_.predict_proba(X))


def _assert_predicts_on_workers(model, backend):
    """A fitted estimator pickled to the workers predicts there as it does here."""
    parts = np.array_split(X, 4)
    with joblib.parallel_backend(backend):
        # A lambda travels by value (cloudpickle), the estimator by pickle.
        results = joblib.Parallel(n_jobs=2)(
            joblib.delayed(lambda m, part: (os.getpid(), m.predict_proba(part)))(model, part)
            for part in parts)
    assert os.getpid() not in {pid for pid, _ in results}
    # Other batch sizes and thread counts there (one per worker): the same model, but BLAS may
    # round the last bit differently, so not bit for bit.
    np.testing.assert_allclose(np.vstack([p for _, p in results]), model.predict_proba(X),
                               rtol=1e-12, atol=1e-15)


def test_grid_search_on_a_dask_local_cluster_matches_one_process(serial):
    distributed = pytest.importorskip("distributed", reason="needs the 'dask' extra")
    # Worker processes with one thread each; dask's nanny sets OMP_NUM_THREADS=1
    # in them, so that torch starts one thread per worker.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        parallel = _search(n_jobs=-1, backend="dask", scatter=[X, Y])
        _assert_same_search(parallel, serial)
        _assert_predicts_on_workers(serial.best_estimator_, "dask")


def test_grid_search_on_a_local_ray_matches_one_process(serial):
    ray = pytest.importorskip("ray", reason="needs the 'ray' extra")
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        register_ray()
        parallel = _search(n_jobs=2, backend="ray")
        _assert_same_search(parallel, serial)
        _assert_predicts_on_workers(serial.best_estimator_, "ray")
    finally:
        ray.shutdown()
