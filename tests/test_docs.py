"""The documentation: user-guide code runs as written; generated pages are robust."""

import doctest
import importlib.util
import json
import os
import re
import textwrap
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE_PAGES = sorted((DOCS / "user_guide").glob("*.rst"))


def _docs_extension():
    spec = importlib.util.spec_from_file_location("hydasklearn_docs",
                                                  DOCS / "_ext" / "hydasklearn_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.name)
def test_user_guide_examples_run(page):
    pytest.importorskip("pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testfile(str(page), module_relative=False, verbose=False,
                                  optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} failing example(s) in {page.name}"


def test_user_guide_has_examples_to_run():
    with_examples = {p.name for p in GUIDE_PAGES
                     if doctest.DocTestParser().get_examples(p.read_text())}
    assert {"auxiliary_tasks.rst", "monitoring.rst", "reproducibility.rst"} <= with_examples


# Code blocks (``.. code-block:: python``) are shown, not doctested: run them
# here on small generated data, with the sizes below shrunk so that they take
# seconds. The cluster snippets (literalinclude) are not code blocks.
CODE_PAGES = [DOCS.parent / "README.rst", DOCS / "index.rst", *GUIDE_PAGES]
SHRINK = [
    (r"n_samples=\d+", "n_samples=150"),
    (r"max_iter=\d+", "max_iter=2"),
    (r"n_jobs=\d+", "n_jobs=1"),  # worker processes: tests/_sklearn/test_scaleout.py
    (r"StratifiedKFold\(\d+", "StratifiedKFold(2"),
]


def _code_blocks(page):
    """``(line, code)`` of every Python code block of an rst page."""
    lines = page.read_text().splitlines()
    blocks = []
    for start, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end].startswith(" ")):
            end += 1
        blocks.append((start + 1, textwrap.dedent("\n".join(lines[start + 1:end]))))
    return blocks


def _shrunk(code):
    for pattern, replacement in SHRINK:
        code = re.sub(pattern, replacement, code)
    if "max_iter=" not in code:
        code = re.sub(r"(HydaMultiTask(Classifier|Regressor)\()", r"\1max_iter=2, ", code)
    return code


CODE_BLOCKS = [pytest.param(page, code, id=f"{page.name}:{line}")
               for page in CODE_PAGES for line, code in _code_blocks(page)]


def test_code_blocks_are_found():
    pages = {param.values[0].name for param in CODE_BLOCKS}
    assert {"README.rst", "index.rst", "weighting.rst", "scaleout.rst"} <= pages


@pytest.mark.parametrize("page, code", CODE_BLOCKS)
def test_code_blocks_run(page, code):
    import torch

    from hydasklearn import HydaMultiTaskClassifier
    from hydasklearn.datasets import make_auxiliary_tasks

    if "cuda" in code and not torch.cuda.is_available():
        pytest.skip("needs a GPU")
    plots = "matplotlib" in code or "hydasklearn.plotting" in code
    if plots:
        pytest.importorskip("matplotlib").use("Agg")
    X, y, _ = make_auxiliary_tasks(n_samples=150, random_state=0)
    # What the blocks take from the text around them: data and a fitted model.
    namespace = {"X": X, "y": y,
                 "model": HydaMultiTaskClassifier(max_iter=2, random_state=0).fit(X, y)}
    cublas = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(_shrunk(code), f"{page.name} code block", "exec"), namespace)
    finally:  # the reproducibility page switches on deterministic algorithms
        torch.use_deterministic_algorithms(False)
        if cublas is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = cublas
        if plots:
            import matplotlib.pyplot as plt

            plt.close("all")


@pytest.mark.parametrize("snippet", sorted((DOCS / "snippets").glob("*.py")),
                         ids=lambda p: p.name)
def test_cluster_snippets_are_valid_python(snippet):
    # They need a cluster, so the docs show them without running them.
    compile(snippet.read_text(), str(snippet), "exec")


def test_api_reference_lists_every_public_name():
    docs = _docs_extension()
    text = docs.api_reference()
    modules = {m.__name__: m for m in docs.public_modules()}
    assert {"hydasklearn", "hydasklearn.plotting", "hydasklearn.weighting",
            "hydasklearn.metrics", "hydasklearn.datasets",
            "hydasklearn.model_selection"} <= set(modules)
    for name, module in modules.items():
        assert f".. automodule:: {name}" in text
        for public in docs.public_names(module):
            assert f"\n   {public}\n" in text, f"{name}.{public} missing from the API page"
    listed = set(docs.public_names(modules["hydasklearn.weighting"]))
    from hydasklearn.weighting import STRATEGIES

    assert {cls.__name__ for cls in STRATEGIES.values()} <= listed
    for name, cls in STRATEGIES.items():  # the table of weighting names
        assert f'   * - ``"{name}"``\n     - :class:`~hydasklearn.weighting.{cls.__name__}`' in text


def test_benchmark_section_without_results(tmp_path):
    docs = _docs_extension()
    text = docs.benchmark_results(tmp_path / "docs", tmp_path / "benchmarks", tmp_path / "out")
    assert "No benchmark results" in text
    assert (tmp_path / "out").is_dir()


def test_benchmark_section_shows_raw_results_and_readme(tmp_path):
    docs = _docs_extension()
    results = tmp_path / "benchmarks" / "results"
    (results / "speed").mkdir(parents=True)
    (tmp_path / "benchmarks" / "README.md").write_text("# Benchmarks\n\nRun `run.py`.\n")
    rows = ["method,roc_auc,note"] + [f"m_{i},0.123456789,ok_" for i in range(45)]
    (results / "summary.csv").write_text("\n".join(rows) + "\n")
    (results / "speed" / "fit_time.png").write_bytes(b"\x89PNG")
    (results / "notes.json").write_text("{}")
    text = docs.benchmark_results(tmp_path / "docs", tmp_path / "benchmarks", tmp_path / "out",
                                  link_prefix="gen")
    assert ".. figure:: gen/speed/fit_time.png" in text
    assert ".. list-table:: ``results/summary.csv`` (first 40 of 45 rows)" in text
    assert "   * - method\n     - roc\\_auc\n     - note" in text
    assert "   * - m\\_0\n     - 0.1235\n     - ok\\_" in text
    assert ":download:`Download summary.csv <gen/summary.csv>`" in text
    assert ".. literalinclude:: gen/README.md" in text
    assert "notes.json" not in text
    assert (tmp_path / "out" / "speed" / "fit_time.png").is_file()
    assert (tmp_path / "out" / "README.md").is_file()
    assert "No benchmark results" not in text


def test_benchmark_section_links_the_runner_page(tmp_path):
    docs = _docs_extension()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "benchmark_results.rst").write_text("Results\n=======\n")
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "summary.csv").write_text("a,b\n1,2\n")
    text = docs.benchmark_results(tmp_path / "docs", tmp_path / "benchmarks", tmp_path / "out")
    assert ".. toctree::" in text and "   benchmark_results\n" in text
    assert "list-table" not in text  # the runner's page shows the tables


# The results page: hand-written text, numbers filled from benchmarks/results at build time.
def _benchmark_values():
    pytest.importorskip("docutils")  # the docs extra (run in CI's docs step)
    spec = importlib.util.spec_from_file_location("benchmark_values",
                                                  DOCS / "_ext" / "benchmark_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grid_csv(path, rows):
    lines = ["setup,variant,seed,roc_auc"]
    for setup, variant, scores in rows:
        lines += [f"{setup},{variant},{seed},{value}" for seed, value in enumerate(scores)]
    path.write_text("\n".join(lines) + "\n")


def test_benchmark_table_is_filled_from_the_results_csv(tmp_path):
    pytest.importorskip("pandas")
    values = _benchmark_values()
    report = values.report_module(DOCS.parent / "benchmarks")
    _grid_csv(tmp_path / "grid.csv", [
        ("hurt: noise", "single-task", [0.80, 0.81, 0.82]),
        ("hurt: noise", "equal", [0.70, 0.71, 0.72]),
        ("hurt: noise", "heldout", [0.80, 0.81, 0.82]),
        ("hurt: noise", "other", [0.5, 0.5, 0.5]),
        ("mixed: both", "single-task", [0.80, 0.80, 0.80]),
        ("mixed: both", "equal", [0.80, 0.80, 0.80]),
        ("mixed: both", "heldout", [0.801, 0.803, 0.805]),  # +0.003 over both: the bar
        ("mixed: both", "previous", [0.801, 0.802, 0.803]),  # +0.002: within error, yet short
    ])
    results = report.Results(tmp_path)
    lines = values.fill_table(results, report, "grid")
    text = "\n".join(lines)
    assert lines[0].startswith(".. csv-table:: HydaLearn variants")
    assert '"set-up", "better baseline (single-task / equal AUC)", "heldout"' in text
    assert "other" not in text  # only the default variants
    assert '"hurt: noise", "single-task (0.8100 / 0.7100)", "+0.0000 ± 0.0000 *"' in text
    assert '"mixed: both", "single-task (0.8000 / 0.8000)", "+0.0030 ± 0.0012 *"' in text
    both = "\n".join(values.fill_table(results, report, "grid heldout previous"))
    assert '"+0.0030 ± 0.0012 *", "+0.0020 ± 0.0006"' in both
    chosen = "\n".join(values.fill_table(results, report, "grid other"))
    assert '"-0.3100 ± 0.0058"' in chosen and "heldout" not in chosen


def test_main_job_table_shows_every_variant_of_its_file(tmp_path):
    pytest.importorskip("pandas")
    values = _benchmark_values()
    report = values.report_module(DOCS.parent / "benchmarks")
    _grid_csv(tmp_path / "main_job.csv", [
        ("main job: aux tasks hurt", "single-task", [0.80, 0.81, 0.82]),
        ("main job: aux tasks hurt", "equal", [0.70, 0.71, 0.72]),
        ("main job: aux tasks hurt", "hydalearn", [0.70, 0.72, 0.74]),
        ("main job: aux tasks hurt", "hydalearn:gain_every=4", [0.80, 0.81, 0.82]),
    ])
    lines = values.fill_table(report.Results(tmp_path), report, "main-job")
    text = "\n".join(lines)
    assert lines[0].startswith(".. csv-table:: The main job's scenarios")
    assert '"hydalearn", "hydalearn:gain_every=4"' in text
    assert ('"main job: aux tasks hurt", "single-task (0.8100 / 0.7100)", "-0.0900 ± 0.0058", '
            '"+0.0000 ± 0.0000 *"') in text


def test_evidence_table_summarizes_the_z_scores_per_set_up_and_relation(tmp_path):
    pytest.importorskip("pandas")
    values = _benchmark_values()
    report = values.report_module(DOCS.parent / "benchmarks")
    (tmp_path / "evidence.csv").write_text(
        "setup,kind,seed,task,relation,gain_z_score,switched_off\n"
        "hurt: a,hurt,0,aux_1,noise,-3.0,True\n"
        "hurt: a,hurt,1,aux_1,noise,-1.0,False\n"
        "help: b,help,0,aux_1,related,0.5,False\n")
    text = "\n".join(values.fill_table(report.Results(tmp_path), report, "evidence"))
    assert "(2 seeds)" in text
    assert '"hurt: a", "noise", "hurt", "2", "-2.5 / -2.0 / -1.5", "-3.0 to -1.0", "50%"' in text
    assert '"help: b", "related", "help", "1", "+0.5 / +0.5 / +0.5"' in text


def test_grid_misses_names_the_set_ups_below_the_bar(tmp_path):
    pytest.importorskip("pandas")
    report = _benchmark_values().report_module(DOCS.parent / "benchmarks")
    _grid_csv(tmp_path / "grid.csv", [
        ("hurt: noise", "single-task", [0.80, 0.81, 0.82]),
        ("hurt: noise", "equal", [0.70, 0.71, 0.72]),
        ("hurt: noise", "heldout", [0.79, 0.80, 0.81]),  # 0.01 below, no spread: a miss
        ("hurt: noise", "previous", [0.80, 0.81, 0.82]),
        ("hurt: noise", "both", [0.80, 0.81, 0.82]),
        ("mixed: both", "single-task", [0.80, 0.80, 0.80]),
        ("mixed: both", "equal", [0.80, 0.80, 0.80]),
        ("mixed: both", "heldout", [0.801, 0.803, 0.805]),
        ("mixed: both", "previous", [0.801, 0.802, 0.803]),  # short of +0.003
        ("mixed: both", "both", [0.801, 0.803, 0.805]),
    ])
    results = report.Results(tmp_path)
    assert report.grid_misses(results, "heldout") == "hurt: noise (-0.0100 ± 0.0000)"
    assert report.grid_misses(results, "previous") == "mixed: both (+0.0020 ± 0.0006)"
    assert report.grid_misses(results, "both") == "none"


def test_hydalearn_defaults_name_what_changed_since_the_run(tmp_path):
    pytest.importorskip("pandas")
    report = _benchmark_values().report_module(DOCS.parent / "benchmarks")
    current = {"rule": "evidence", "release": 3.0, "main_evidence": 2.0}
    info = tmp_path / "run_info_accuracy.json"
    info.write_text(json.dumps({"hydalearn_defaults": current}))
    text = report.hydalearn_defaults(report.Results(tmp_path), current)
    assert text.endswith("(the current defaults)")
    info.write_text(json.dumps({"hydalearn_defaults": {"rule": "evidence", "release": 2.0}}))
    text = report.hydalearn_defaults(report.Results(tmp_path), current)
    assert text.startswith("rule='evidence', release=2.0")
    assert text.endswith("the current defaults differ: release=3.0, main_evidence=2.0 (new option)")
    # today's defaults, in the terms of the recorded labels
    assert "warm_up" in report.hydalearn_defaults(report.Results(tmp_path))


def test_speed_table_reads_the_suite_csv_or_the_recorded_script_output(tmp_path):
    pytest.importorskip("pandas")
    values = _benchmark_values()
    report = values.report_module(DOCS.parent / "benchmarks")
    (tmp_path / "speed_bench_backend.txt").write_text("header\nhydasklearn 0.5 s\n")
    lines = values.fill_table(report.Results(tmp_path), report, "speed backend")
    assert "    hydasklearn 0.5 s" in lines
    assert values.fill_table(report.Results(tmp_path), report, "speed strategies") == [
        ".. note::", "", "   [no results: benchmarks/results/speed_strategies.csv is missing]"]
    (tmp_path / "speed_strategies.csv").write_text(
        "name,repeats,wall_median_s,wall_min_s,cpu_median_s,epoch_median_s,epoch_min_s,error,"
        "wall_ratio,cpu_ratio,epoch_ratio,device,rows,epochs,target\n"
        "equal,3,1.0,0.9,2.0,0.25,0.2,,1.0,1.0,1.0,cpu,16384,4,\n"
        "hydalearn,3,1.5,1.4,3.0,0.4,0.3,,1.5,1.5,1.6,cpu,16384,4,1.5\n")
    text = "\n".join(values.fill_table(report.Results(tmp_path), report, "speed strategies"))
    assert "16384 rows, device cpu); ratios to equal" in text
    assert '"hydalearn", "1.500", "3.000", "0.4000", "1.50", "1.60", "<= 1.5"' in text


def _section(text, title):
    """The text of an rst section, up to the next section of the same level."""
    start = text.index(f"\n{title}\n")
    rest = text[start + len(title) + 2:]
    following = re.search(r"\n[^\n]+\n-{3,}\n", rest[3:])
    return rest[:following.start() + 3] if following else rest


def test_benchmark_summaries_point_to_the_results_page_without_copying_figures():
    readme = (DOCS.parent / "README.rst").read_text()
    for text in (_section(readme, "Benchmarks"), (DOCS / "benchmarks.rst").read_text()):
        # measured figures (an AUC, a difference, a time ratio) live in benchmarks/results/
        assert not re.findall(r"\d\.\d{3,}|\d+(?:\.\d+)?x\b", text)
        assert "benchmark" in text and "results" in text


def test_benchmark_value_is_filled_and_a_missing_file_gives_a_placeholder(tmp_path):
    pytest.importorskip("pandas")
    values = _benchmark_values()
    report = values.report_module(DOCS.parent / "benchmarks")
    results = report.Results(tmp_path)
    assert values.fill_value(results, report, "setting accuracy budget") == (
        "[no results: benchmarks/results/run_info_accuracy.json is missing]")
    note = values.fill_table(results, report, "weights")
    assert note == [".. note::", "",
                    "   [no results: benchmarks/results/weight_means.csv is missing]"]
    (tmp_path / "run_info_accuracy.json").write_text('{"settings": {"budget": 7}}')
    assert values.fill_value(report.Results(tmp_path), report, "setting accuracy budget") == "7"
    with pytest.raises(KeyError, match="no benchmark value 'nonsense'"):
        values.fill_value(results, report, "nonsense")
    with pytest.raises(KeyError, match="no benchmark table 'nonsense'"):
        values.fill_table(results, report, "nonsense")


def test_results_page_uses_only_known_values_and_tables():
    pytest.importorskip("pandas")
    values = _benchmark_values()
    report = values.report_module(DOCS.parent / "benchmarks")
    page = (DOCS / "benchmark_results.rst").read_text()
    roles = re.findall(r":bench:`([^`]+)`", page)
    tables = re.findall(r"^\.\. bench-table:: (.+)$", page, flags=re.M)
    assert roles and tables
    assert {" ".join(r.split()).split()[0] for r in roles} <= set(report.VALUES)
    assert {t.split()[0] for t in tables} <= set(report.TABLES)
    assert ".. bench-table:: grid" in page


def test_figures_are_copied_from_the_results_folder(tmp_path):
    values = _benchmark_values()
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "accuracy.png").write_bytes(b"\x89PNG")
    (tmp_path / "results" / "runs.csv").write_text("a\n1\n")
    values.copy_figures(tmp_path / "results", tmp_path / "figures")
    assert [p.name for p in (tmp_path / "figures").iterdir()] == ["accuracy.png"]
    assert not list((DOCS / "_static").glob("benchmarks/*.png"))  # each image committed once
