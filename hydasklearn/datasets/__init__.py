"""Data sets: generated multi-task problems with auxiliary tasks of known relevance."""

from ._generated import make_auxiliary_tasks
from ._lending_club import load_lending_club
from ._support2 import load_support2

__all__ = ["load_lending_club", "load_support2", "make_auxiliary_tasks"]
