"""Sphinx extension: numbers and tables of the benchmark results page, filled from the CSVs.

``docs/benchmark_results.rst`` is written by hand; what it reports is read
from ``benchmarks/results/`` when the docs are built, so that a rerun of the
benchmarks keeps the page true without touching its text:

* ``:bench:`name arguments``` is an inline value, ``.. bench-table:: name
  arguments`` a table or list (options are passed on as keywords), both from
  the registries of ``benchmarks/_report.py`` (``VALUES``, ``TABLES``);
* ``.. bench-figure:: accuracy.png`` shows a figure of the results folder
  (copied into the build's sources, so that each image is committed once).

A results file that is missing gives a visible placeholder, not a failed
build (a copy of the repository without results still has docs); a name that
is not in the registries is an error.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

#: Where the figures are copied, relative to the docs sources.
FIGURES = "_generated/benchmark_figures"
_loaded = {}


def report_module(benchmarks_dir):
    """``benchmarks/_report.py``, imported from ``benchmarks_dir``."""
    benchmarks_dir = str(Path(benchmarks_dir).resolve())
    if benchmarks_dir not in sys.path:
        sys.path.insert(0, benchmarks_dir)  # _report imports its neighbors
    import _report

    return _report


def results_of(folder, benchmarks_dir):
    """The ``_report.Results`` of a folder, one per folder and process (files read once)."""
    key = str(Path(folder).resolve())
    if key not in _loaded:
        _loaded[key] = report_module(benchmarks_dir).Results(folder)
    return _loaded[key]


def placeholder(missing):
    """What the page shows in place of a value whose results file is missing."""
    return f"[no results: benchmarks/results/{missing} is missing]"


def fill_value(results, report, text):
    """The text of ``:bench:`name arguments```; a placeholder if its file is missing."""
    name, *arguments = text.split()
    if name not in report.VALUES:
        raise KeyError(f"no benchmark value {name!r}; known: {', '.join(report.VALUES)}")
    try:
        return report.VALUES[name](results, *arguments)
    except report.MissingResults as missing:
        return placeholder(missing.args[0])


def fill_table(results, report, text, options=None):
    """The rst lines of ``.. bench-table:: name arguments``; a placeholder if a file is missing."""
    name, *arguments = text.split()
    if name not in report.TABLES:
        raise KeyError(f"no benchmark table {name!r}; known: {', '.join(report.TABLES)}")
    try:
        return list(report.TABLES[name](results, *arguments, **(options or {})))
    except report.MissingResults as missing:
        return [".. note::", "", f"   {placeholder(missing.args[0])}"]


def _context(env):
    benchmarks = Path(env.srcdir).parent / "benchmarks"
    folder = Path(env.config.benchmark_results_dir or benchmarks / "results")
    return results_of(folder, benchmarks), report_module(benchmarks)


def _note_results(env, results):
    """Rebuild the page when a results file changes."""
    if results.folder.is_dir():
        for path in results.folder.iterdir():
            if path.suffix in (".csv", ".json", ".txt"):
                env.note_dependency(str(path))


def bench_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    results, report = _context(env)
    try:
        value = fill_value(results, report, text)
    except (KeyError, TypeError, ValueError) as error:
        message = inliner.reporter.error(f"bench role: {error}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    _note_results(env, results)
    return [nodes.Text(value)], []


class BenchTable(Directive):
    """``.. bench-table:: name arguments``: a table or list of ``_report.TABLES``."""

    required_arguments = 1
    optional_arguments = 10

    def run(self):
        env = self.state.document.settings.env
        results, report = _context(env)
        try:
            lines = fill_table(results, report, " ".join(self.arguments), self.options)
        except (KeyError, TypeError, ValueError) as error:
            raise self.error(f"bench-table: {error}")
        _note_results(env, results)
        return self._parsed(lines)

    def _parsed(self, lines):
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="benchmarks/_report.py"),
                                self.content_offset, container)
        return container.children


class BenchFigure(BenchTable):
    """``.. bench-figure:: name.png``: a figure of the results folder, as an image."""

    required_arguments = 1
    optional_arguments = 0
    option_spec = {"width": directives.unchanged, "alt": directives.unchanged}

    def run(self):
        results, _ = _context(self.state.document.settings.env)
        name = self.arguments[0]
        if not (results.folder / name).is_file():
            return self._parsed([".. note::", "", f"   {placeholder(name)}"])
        lines = [f".. image:: /{FIGURES}/{name}"]
        lines += [f"   :{key}: {value}" for key, value in self.options.items()]
        return self._parsed(lines)


def copy_figures(results_folder, target):
    """Copy the PNG and SVG figures of the results folder into ``target`` (emptied first)."""
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    folder = Path(results_folder)
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix in (".png", ".svg"):
            shutil.copyfile(path, target / path.name)


def setup(app):
    app.add_config_value("benchmark_results_dir", None, "env")
    app.add_role("bench", bench_role)
    app.add_directive("bench-table", BenchTable)
    app.add_directive("bench-figure", BenchFigure)

    def copy(app):
        source = Path(app.srcdir)
        folder = app.config.benchmark_results_dir or source.parent / "benchmarks" / "results"
        copy_figures(folder, source / FIGURES)

    app.connect("builder-inited", copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
