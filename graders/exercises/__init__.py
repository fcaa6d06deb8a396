"""The exercise registry: one grader package per exercise under graders/exercises/, each exposing
``EXERCISE``. Packages are found on disk, so adding an exercise never edits this file; the course
order below only decides how they are listed."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from graders.engine.exercise import Exercise

COURSE_ORDER = ("residual_unit", "projection_shortcut", "residual_backward", "gradient_flow", "resnet_concepts")


@cache
def module_names() -> tuple[str, ...]:
    here = Path(__file__).parent
    found = {p.parent.name for p in here.glob("*/__init__.py") if not p.parent.name.startswith("_")}
    return tuple(sorted(found, key=lambda n: (COURSE_ORDER.index(n) if n in COURSE_ORDER else len(COURSE_ORDER), n)))


class UnknownExercise(LookupError):
    pass


def all_exercises() -> list[Exercise]:
    return [importlib.import_module(f"graders.exercises.{m}").EXERCISE for m in module_names()]


def get(name: str) -> Exercise:
    for exercise in all_exercises():
        if exercise.name == name:
            return exercise
    known = ", ".join(e.name for e in all_exercises())
    raise UnknownExercise(f"unknown exercise {name!r} (known: {known})")


def identify(source: str) -> Exercise | None:
    """The exercise whose function the source defines, when exactly one matches."""
    found = [e for e in all_exercises() if e.declared_in(source)]
    return found[0] if len(found) == 1 else None
