"""Sphinx configuration of the hydasklearn documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
``HYDASKLEARN_DOCS_FAST=1`` runs the gallery examples on smaller data and
fewer epochs (CI does); the code path is the same.
"""

import os
import sys
from pathlib import Path

import hydasklearn

sys.path.insert(0, str(Path(__file__).parent / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "hydasklearn"
author = "hydasklearn developers"
copyright = "hydasklearn developers, BSD-3-Clause"
version = release = hydasklearn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "hydasklearn_docs",  # api.rst and the benchmark results, generated
    "benchmark_values",  # the results page's numbers and tables, from benchmarks/results
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_generated", "snippets", "examples/GALLERY_HEADER.rst",
                    "**/*.rst.inc"]
root_doc = "index"
default_role = "literal"

# autodoc / autosummary
autosummary_generate = True
autodoc_typehints = "none"  # types are in the numpydoc sections
autodoc_member_order = "groupwise"

# numpydoc: the autosummary templates list members, numpydoc does not.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_show_inherited_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# sphinx-gallery: every plot_*.py in examples/ runs at build time.
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("hydasklearn",),
    "backreferences_dir": "gen_modules/backreferences",
    "abort_on_example_error": False,  # report every failing example, then fail the build
    "remove_config_comments": True,
    "capture_repr": (),  # show what examples print, not the repr of their last value
    "download_all_examples": False,
    "min_reported_time": 1,
    "show_memory": False,
    "matplotlib_animations": False,
}

# HTML
html_theme = "alabaster"
html_title = f"hydasklearn {release}"
html_static_path = []
html_theme_options = {
    "description": "Multi-task learning with auxiliary tasks for scikit-learn",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
