"""The cluster examples of the docs run, each on a local cluster (needs its extra)."""

import subprocess
import sys
from pathlib import Path

import pytest

SNIPPETS = Path(__file__).resolve().parents[1] / "docs" / "snippets"


@pytest.mark.parametrize(("snippet", "module", "extra"), [
    ("dask_grid_search.py", "distributed", "dask"), ("ray_grid_search.py", "ray", "ray")])
def test_cluster_example_runs_on_a_local_cluster(snippet, module, extra):
    pytest.importorskip(module, reason=f"needs the '{extra}' extra")
    done = subprocess.run([sys.executable, str(SNIPPETS / snippet), "--quick"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # The last line is the best candidate and its score.
    assert "'weighting': " in done.stdout.strip().splitlines()[-1]
