"""The main job: ``python -m hydasklearn``."""

import numpy as np

from sklearn.model_selection import GridSearchCV

from hydasklearn import HydaMultiTaskClassifier
from hydasklearn._main_job.cli import (
    CHECKED,
    METHODS,
    SCENARIOS,
    checked,
    compare_weightings,
    conclusion,
    format_table,
    main,
)
from hydasklearn.datasets import make_auxiliary_tasks
from hydasklearn.weighting import MainTaskOnly


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
    assert lines[-2].startswith("hydalearn is at least the better of")
    assert lines[-1].startswith(f"{CHECKED} is at least the better of")
    assert "2 seeds" in lines[-2] and "2 seeds" in lines[-1]


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


def test_a_tie_with_one_standard_error_counts_as_held():
    results = fake_results(0.0)
    for scenario in results.values():  # one seed 0.03 below equal: mean -0.01, error 0.01
        scenario["hydalearn"]["auc"] = scenario["equal"]["auc"] - np.array([0.0, 0.0, 0.03])
    assert " in 2 of 2 scenarios" in conclusion(results)


def test_the_check_keeps_whichever_of_the_model_and_its_main_task_scores_better():
    X, y, _ = make_auxiliary_tasks(n_samples=300, aux_relations=("noise", "noise"),
                                   random_state=0)
    model = HydaMultiTaskClassifier(weighting="hydalearn", max_iter=3, random_state=0)
    search = checked(model, seed=0)
    assert isinstance(search, GridSearchCV)
    assert search.param_grid == {"weighting": ["hydalearn", "main-only"]}
    search.fit(X, y)
    tested = search.cv_results_["param_weighting"]
    scores = search.cv_results_["mean_test_score"]
    assert list(tested) == ["hydalearn", "main-only"]
    assert search.best_params_["weighting"] == tested[int(np.argmax(scores))]
    refitted = search.best_estimator_.net_.weighting_
    assert isinstance(refitted, MainTaskOnly) == (search.best_params_["weighting"] == "main-only")
    assert search.predict_proba(X).shape == (300, 2)
