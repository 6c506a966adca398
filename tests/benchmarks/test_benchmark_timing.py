"""The benchmarks' timing harness (``benchmarks/_timing.py``), on trivial callables."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

TIMING = Path(__file__).resolve().parents[2] / "benchmarks" / "_timing.py"


@pytest.fixture(scope="module")
def timing():
    spec = importlib.util.spec_from_file_location("benchmarks_timing", TIMING)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_round_robin_alternates_configurations_within_each_repeat(timing):
    calls = []
    runs = {name: (lambda repeat, name=name: calls.append((repeat, name))) for name in "abc"}
    warm_up = {"a": lambda: calls.append(("warm", "a")), "c": lambda: calls.append(("warm", "c"))}
    timings = timing.round_robin(runs, 2, warm_up=warm_up)
    assert calls == [("warm", "a"), ("warm", "c"),
                     (0, "a"), (0, "b"), (0, "c"), (1, "a"), (1, "b"), (1, "c")]
    assert timings.order == calls[2:]
    assert all(len(timings.wall[n]) == len(timings.cpu[n]) == 2 for n in "abc")
    assert all(w >= 0 for values in timings.wall.values() for w in values)


def test_round_robin_collects_epoch_durations_and_return_values(timing):
    runs = {"fit": lambda repeat: [0.1 * repeat, 1.0], "none": lambda repeat: None}
    timings = timing.round_robin(runs, 3)
    assert timings.epochs["fit"] == [0.0, 1.0, 0.1, 1.0, 0.2, 1.0]
    assert timings.epochs["none"] == []
    assert timings.returned["none"] == [None, None, None]
    assert timing.medians(timings.epochs)["fit"] == pytest.approx(0.6)
    assert math.isnan(timing.medians(timings.epochs)["none"])


def test_round_robin_skips_a_failing_configuration_when_asked(timing):
    def broken(repeat):
        raise ValueError("no")

    messages = []
    timings = timing.round_robin({"ok": lambda r: None, "broken": broken}, 2,
                                 skip_failures=True, log=messages.append)
    assert timings.failed == {"broken": "ValueError: no"}
    assert messages == ["  broken failed: ValueError: no"]
    assert len(timings.wall["ok"]) == 2 and timings.wall["broken"] == []
    assert math.isnan(timing.medians(timings.wall)["broken"])
    with pytest.raises(ValueError):
        timing.round_robin({"broken": broken}, 1)


def test_medians_and_ratios_to_a_named_reference(timing):
    summary = timing.medians({"equal": [3.0, 1.0, 2.0], "slow": [4.0, 6.0, 5.0, 100.0]})
    assert summary == {"equal": 2.0, "slow": 5.5}
    assert timing.ratios(summary, "equal") == {"equal": 1.0, "slow": 2.75}
    assert all(math.isnan(v) for v in timing.ratios(summary, "missing").values())


def test_stopwatch_measures_wall_and_cpu_time(timing):
    with timing.stopwatch() as watch:
        sum(range(10000))
    assert watch.wall >= 0 and watch.cpu >= 0


def test_epoch_durations_leave_out_the_first_epoch(timing):
    class History:
        def __getitem__(self, key):
            rows, column = key
            assert column == "dur"
            return [1.0, 2.0, 3.0][rows]

    class Model:
        class net_:
            history = History()

    assert timing.epoch_durations(Model()) == [2.0, 3.0]
    assert timing.epoch_durations(Model(), skip_first=False) == [1.0, 2.0, 3.0]


def test_table_gives_medians_and_ratios_per_configuration(timing):
    timings = timing.Timings(wall={"equal": [2.0, 1.0, 3.0], "slow": [4.0, 6.0], "broken": []},
                             cpu={"equal": [1.0], "slow": [3.0], "broken": []},
                             epochs={"equal": [0.5, 0.25], "slow": [1.0], "broken": []},
                             failed={"broken": "ValueError: no"})
    rows = {row["name"]: row for row in timing.table(timings, "equal")}
    assert rows["equal"]["wall_median_s"] == 2.0 and rows["equal"]["wall_min_s"] == 1.0
    assert rows["slow"]["wall_ratio"] == 2.5 and rows["slow"]["cpu_ratio"] == 3.0
    assert rows["slow"]["epoch_ratio"] == pytest.approx(1.0 / 0.375)
    assert rows["slow"]["repeats"] == 2 and rows["broken"]["error"] == "ValueError: no"
    assert math.isnan(rows["broken"]["wall_median_s"])
    assert "wall_ratio" not in timing.table(timings)[0]


def test_machine_info_says_where_and_with_what(timing):
    info = timing.machine_info(TIMING.parents[1])
    assert {"machine", "cpu_count", "python", "torch", "sklearn", "hydasklearn", "date",
            "git_commit", "package_modified"} <= set(info)
    assert "git_commit" not in timing.machine_info()
