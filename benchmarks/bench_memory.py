"""Peak memory of one fit on large data, beyond the data itself.

Each measurement runs in a fresh process, because a process's peak resident
set size (``resource.getrusage``) only ever grows and ``tracemalloc`` does not
see PyTorch's allocations. The child imports everything and fits once on a
few rows, loads ``X`` and ``y`` from ``.npy`` files (no temporaries), notes
its resident set size, fits, and reports how far the peak rose above it::

    python benchmarks/bench_memory.py                      # 10**6 x 40, float32 and float64
    python benchmarks/bench_memory.py --rows 100000 --features 20 --dtype float32
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_CHILD = """
import json, resource, sys, warnings
import numpy as np
import torch
from hydasklearn import HydaMultiTaskClassifier

def rss():
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:  # Linux without psutil
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

torch.set_num_threads(1)
x_path, y_path, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
warnings.simplefilter("ignore")
def model():
    return HydaMultiTaskClassifier(random_state=0, **options)
warm = np.random.RandomState(0).normal(size=(64, 3))
model().fit(warm, np.column_stack([warm[:, 0] > 0, warm[:, 1]]))
X, y = np.load(x_path), np.load(y_path)
before = rss()
model().fit(X, y)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
print(json.dumps({"before": before, "peak": peak}))
"""


def peak_fit_memory(X, y, **options):
    """Peak memory of ``HydaMultiTaskClassifier(**options).fit(X, y)`` beyond ``X`` and ``y``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_tasks)
    **options
        Parameters of the classifier (JSON-serialisable), ``random_state=0``
        added.

    Returns
    -------
    dict
        ``extra_mb``: the peak resident set size minus the size before the fit,
        in MB (10**6 bytes); ``x_mb``: ``X.nbytes`` in MB; ``copies_of_x``:
        their ratio.
    """
    with tempfile.TemporaryDirectory() as folder:
        x_path, y_path = Path(folder) / "X.npy", Path(folder) / "y.npy"
        np.save(x_path, X)
        np.save(y_path, y)
        done = subprocess.run([sys.executable, "-c", _CHILD, str(x_path), str(y_path),
                               json.dumps(options)],
                              capture_output=True, text=True, check=True)
    sizes = json.loads(done.stdout.strip().splitlines()[-1])
    extra = max(sizes["peak"] - sizes["before"], 0) / 1e6
    return {"extra_mb": extra, "x_mb": X.nbytes / 1e6, "copies_of_x": extra * 1e6 / X.nbytes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10**6)
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--dtype", choices=["float32", "float64"], nargs="+",
                        default=["float32", "float64"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--early-stopping", action="store_true")
    args = parser.parse_args(argv)
    # Random data suffice: memory does not depend on what is learnt.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.features))
    y = np.column_stack([X[:, 0] > 0, X[:, 1] + rng.standard_normal(args.rows)])
    options = {"hidden_layer_sizes": [64, 64], "batch_size": 200, "max_iter": args.epochs,
               "early_stopping": args.early_stopping}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"fit on {args.rows} x {args.features}, {options}")
    for dtype in args.dtype:
        result = peak_fit_memory(X.astype(dtype), y, **options)
        print(f"  X {dtype}: {result['x_mb']:.0f} MB; peak beyond X and y during fit "
              f"{result['extra_mb']:.0f} MB = {result['copies_of_x']:.2f} copies of X")


if __name__ == "__main__":
    main()
