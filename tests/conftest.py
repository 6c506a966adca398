"""Test set-up: one torch thread per process.

The suite runs in parallel processes (pytest-xdist); the networks under test
are tiny, and several threads per process only fight over the cores.
"""

import torch

torch.set_num_threads(1)
