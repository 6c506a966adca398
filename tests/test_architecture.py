"""The layers of ``docs/architecture.rst`` hold: every module is on the page, imports point down.

The package is cut into layer folders, top to bottom in :data:`LAYERS`. A
module may import its own layer and the layers below it, never one above.
The public modules at the top of the package (``__init__.py``,
``metrics.py``, ``plotting.py``, ``datasets/`` ...) and ``_main_job/`` sit
above every layer: they may import anything, and no layer imports them.

Imports are read with :mod:`ast`, relative ones and those inside functions
included, so the test needs neither the package's dependencies nor a working
tree that imports.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hydasklearn"
PAGE = ROOT / "docs" / "architecture.rst"

#: The layer folders of ``hydasklearn/``, top to bottom: each imports only those after it.
LAYERS = ("_sklearn", "_tasks", "_backend", "weighting", "_engine", "_model")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path):
    return path.name == "__init__.py"


def _modules():
    """Every ``.py`` file of the package, by dotted name."""
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))
            if "__pycache__" not in path.parts}


MODULES = _modules()


def _resolve(module, package, node):
    """The package modules an import statement names (``from a import b`` names ``a.b``
    where ``b`` is a module, else ``a``); ``package``: whether ``module`` is an ``__init__``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module if package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module
    names = [f"{base}.{alias.name}" for alias in node.names]
    return [name if name in MODULES else base for name in names]


def _imports_in(module, package, source):
    """``(line, imported module)`` for every import of a package module in ``source``:
    at the top, in functions, under ``if``, relative or absolute."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _resolve(module, package, node):
                if target == "hydasklearn" or target.startswith("hydasklearn."):
                    found.append((node.lineno, target))
    return found


def _imports():
    """``(module, line, imported module)`` for every import of a package module."""
    return [(module, line, target) for module, path in MODULES.items()
            for line, target in _imports_in(module, _is_package(path),
                                            path.read_text(encoding="utf-8"))]


IMPORTS = _imports()


def _unit(module):
    """The folder or top module a module belongs to: ``_backend``, ``metrics``, ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _rank(module):
    """The layer's position in :data:`LAYERS`, or None for the public top and ``_main_job``."""
    unit = _unit(module)
    return LAYERS.index(unit) if unit in LAYERS else None


def _where(module, line):
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


# ------------------------------------------------------------------- the page
def _page_entries():
    """The first cell of every row of the page's tables, where it is a path in backquotes."""
    return re.findall(r"^\s*\* - ``([^`]+)``\s*$", PAGE.read_text(encoding="utf-8"), re.M)


def _listed_files():
    """The files the page must list: every module, and every package ``__init__`` with code."""
    return {str(path.relative_to(PACKAGE)) for path in MODULES.values()
            if not _is_package(path) or path.read_text(encoding="utf-8").strip()}


#: Rooms of a few hundred lines at most: a module past this has more than one job.
MAX_MODULE_LINES = 360


def test_no_module_is_longer_than_a_room():
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by job): {long}"


def test_every_module_is_on_the_architecture_page():
    named = set(_page_entries())
    missing = sorted(_listed_files() - named)
    assert not missing, f"modules missing from docs/architecture.rst: {missing}"


def test_the_architecture_page_names_only_modules_and_folders_that_exist():
    gone = [entry for entry in _page_entries() if not (PACKAGE / entry).exists()]
    assert not gone, f"docs/architecture.rst names what hydasklearn/ does not hold: {gone}"


def test_the_page_lists_the_layers_in_the_tests_order():
    folders = [entry.rstrip("/") for entry in _page_entries()
               if entry.endswith("/") and entry.rstrip("/") in LAYERS]
    assert folders == list(LAYERS)


def test_every_package_folder_is_on_the_page():
    folders = {f"{path.parent.relative_to(PACKAGE)}/" for path in MODULES.values()
               if _is_package(path) and path.parent != PACKAGE}
    assert set(LAYERS) <= {folder.split("/")[0] for folder in folders}
    missing = sorted(folders - set(_page_entries()))
    assert not missing, f"package folders missing from docs/architecture.rst: {missing}"


# ----------------------------------------------------------------- the imports
def test_the_scan_finds_relative_absolute_and_function_level_imports():
    source = """
from .batches import BatchIterator
from .. import weighting
from .._engine.step import TrainingStep
import hydasklearn._model.losses


def late():
    from ..datasets import make_auxiliary_tasks
    import numpy
"""
    found = _imports_in("hydasklearn._backend.net", False, source)
    assert [target for _, target in found] == [
        "hydasklearn._backend.batches", "hydasklearn.weighting", "hydasklearn._engine.step",
        "hydasklearn._model.losses", "hydasklearn.datasets"]
    assert _imports_in("hydasklearn.weighting", True, "from ._base import X") == [
        (1, "hydasklearn.weighting._base")]


def test_every_import_points_down_a_layer():
    upward = []
    for module, line, target in IMPORTS:
        rank = _rank(module)
        if rank is None:  # the public top and _main_job may import anything
            continue
        target_rank = _rank(target)
        if target_rank is None or target_rank < rank:
            upward.append(f"{_where(module, line)}: {module} imports {target}")
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def _cycles(edges):
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in edges.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_folders():
    edges = {}
    for module, _, target in IMPORTS:
        if _unit(module) != _unit(target):
            edges.setdefault(_unit(module), set()).add(_unit(target))
    assert not _cycles(edges)


@pytest.mark.parametrize("edges, cycles", [
    ({"a": {"b"}, "b": {"c"}}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
])
def test_the_cycle_finder(edges, cycles):
    assert _cycles(edges) == cycles
