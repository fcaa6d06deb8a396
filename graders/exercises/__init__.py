"""The exercise registry: one grader package per exercise under graders/exercises/, each exposing
``EXERCISE``. Packages are found on disk, so adding an exercise never edits this file; each exercise's
``order`` decides where it is listed (then its name)."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from graders.engine.kind import Exercise


@cache
def module_names() -> tuple[str, ...]:
    here = Path(__file__).parent
    return tuple(sorted(p.parent.name for p in here.glob("*/__init__.py") if not p.parent.name.startswith("_")))


class UnknownExercise(LookupError):
    pass


@cache
def all_exercises() -> tuple[Exercise, ...]:
    found = [importlib.import_module(f"graders.exercises.{m}").EXERCISE for m in module_names()]
    return tuple(sorted(found, key=lambda e: (e.order, e.name)))


def get(name: str) -> Exercise:
    for exercise in all_exercises():
        if exercise.name == name:
            return exercise
    known = ", ".join(e.name for e in all_exercises())
    raise UnknownExercise(f"unknown exercise {name!r} (known: {known})")


def identify(source: str) -> Exercise | None:
    """The exercise whose function (or answers) the source declares, when exactly one matches."""
    found = [e for e in all_exercises() if e.declared_in(source)]
    return found[0] if len(found) == 1 else None
