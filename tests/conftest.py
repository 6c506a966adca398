"""Test set-up (one torch thread per process) and the fixtures shared by the test modules.

The suite runs in parallel processes (pytest-xdist); the networks under test
are tiny, and several threads per process only fight over the cores. The data
behind the fixtures lives in ``tests/_fitting.py``.
"""

import warnings

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def mixed():
    """``_fitting.mixed_data()``: X and a 2-D object y of four tasks of mixed types."""
    from _fitting import mixed_data  # here: conftest.py itself imports no package code

    return mixed_data()


@pytest.fixture
def quiet():
    """Silence every warning in the test (use with ``pytest.mark.usefixtures``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
