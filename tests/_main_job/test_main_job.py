"""The main job: ``python -m hydasklearn``."""

import numpy as np

from hydasklearn._main_job.cli import (
    METHODS,
    SCENARIOS,
    compare_weightings,
    conclusion,
    format_table,
    main,
)


def fake_results(hydalearn_shift):
    """Results with chosen numbers: equal beats single-task by 0.02; HydaLearn shifted."""
    base = np.array([0.70, 0.72, 0.74])
    aucs = {"single-task": base, "equal": base + 0.02, "hydalearn": base + 0.02 + hydalearn_shift}
    return {scenario: {m: {"auc": a, "fit_time": np.ones(3)} for m, a in aucs.items()}
            for scenario in ("help", "hurt")}


def test_main_job_prints_both_scenarios_every_method_and_a_conclusion(capsys):
    assert main(["--seeds", "2", "--max-iter", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for scenario in SCENARIOS:
        start = lines.index(f"{scenario}:")
        assert lines[start + 1].split()[:3] == ["method", "main", "ROC"]
        rows = [line.split() for line in lines[start + 2:start + 2 + len(METHODS)]]
        assert [row[0] for row in rows] == list(METHODS)
        for row in rows:
            auc, plus_minus, error, fit_time = row[-4:]
            assert plus_minus == "±" and 0.3 < float(auc) <= 1.0
            assert float(error) >= 0 and float(fit_time) > 0
    assert lines[-1].startswith("hydalearn is at least the better of")
    assert "2 seeds" in lines[-1]


def test_seeds_are_paired_across_methods():
    options = {"tiny": (dict(n_samples=200, aux_relations=("related",)), (8,))}
    results = compare_weightings(n_seeds=2, max_iter=2, methods=("single-task", "equal"),
                                 scenarios=options)
    equal = results["tiny"]["equal"]["auc"]
    assert equal.shape == (2,) and not np.array_equal(equal, results["tiny"]["single-task"]["auc"])
    again = compare_weightings(n_seeds=2, max_iter=2, methods=("equal",), scenarios=options)
    np.testing.assert_array_equal(again["tiny"]["equal"]["auc"], equal)  # same seeds, same data


def test_the_conclusion_is_computed_from_the_numbers():
    assert " in 2 of 2 scenarios" in conclusion(fake_results(+0.01))
    assert "+0.0100 ± 0.0000 vs equal" in conclusion(fake_results(+0.01))
    assert " in 0 of 2 scenarios" in conclusion(fake_results(-0.01))


def test_the_table_shows_mean_and_standard_error():
    table = format_table(fake_results(0.0))
    assert "0.7400 ± 0.0115" in table  # equal: mean of .72, .74, .76; sd .02 / sqrt(3)
