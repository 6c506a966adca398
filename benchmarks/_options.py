"""The command-line options every suite of ``run.py`` takes, and how a suite reads them.

A suite reads an option with :func:`pick`: the value given on the command
line, or else the suite's own default for the full or the quick mode.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def add_common_arguments(parser):
    """Options shared by the suites (each suite uses those that apply to it)."""
    parser.add_argument("--quick", action="store_true",
                        help="a small run (fewer seeds, rows, epochs, repeats), written to "
                             "benchmarks/results/quick unless --results is given")
    parser.add_argument("--results", type=Path, default=None,
                        help="folder of the results (default: benchmarks/results)")
    parser.add_argument("--seeds", type=int, help="seeds (scoring suites)")
    parser.add_argument("--repeats", type=int, help="repeats (timing suites)")
    parser.add_argument("--epochs", type=int, help="epochs per fit")
    parser.add_argument("--rows", type=int, help="rows of data (a cap, for real data)")
    parser.add_argument("--jobs", type=int, default=1, help="fits in parallel processes")
    parser.add_argument("--threads", type=int, help="torch (and BLAS) threads per fit")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="configurations or contenders to run (the suite's names)")
    parser.add_argument("--setups", nargs="+", metavar="PREFIX",
                        help="set-ups whose names start with one of these ('hurt', 'real')")


def pick(options, name, full, quick=None):
    """``options.<name>`` if given, else the suite's default for the mode."""
    value = getattr(options, name, None)
    if value is not None:
        return value
    return quick if options.quick and quick is not None else full
