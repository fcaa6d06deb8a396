"""Rubric scoring: the score a teaching assistant gives by hand on Gradescope, applying one rubric item per
named mistake. With rubric scoring on (an exercise's ``scoring="rubric"``, or ``--scoring rubric``), the
score is the maximum minus the deductions of the catalogued mistakes the engine named (never below 0).
When the failure is not a catalogued mistake (the file does not load, times out, returns the wrong shape,
or differs in a way no mistake explains), there is no rubric item to apply and the check scores stand."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace

from graders.engine import messages as M
from graders.engine.kind import ExerciseError
from graders.engine.results import GradeReport, RubricItem

SCORINGS = ("checks", "rubric")


def validate_rubric(exercise) -> None:
    """ExerciseError unless the rubric names catalogued codes with whole deductions between 1 and the
    maximum, and rubric scoring has a deduction for every catalogued mistake."""
    if exercise.scoring not in SCORINGS:
        raise ExerciseError(exercise.name, "scoring", f"must be one of {', '.join(SCORINGS)}, not {exercise.scoring!r}")
    if not isinstance(exercise.rubric, Mapping):
        raise ExerciseError(exercise.name, "rubric", "must map catalog codes to deductions, e.g. {'missing_skip': 5}")
    codes = set(exercise.codes)
    for code, deduction in exercise.rubric.items():
        if code not in codes:
            raise ExerciseError(exercise.name, f"rubric[{code!r}]", "is not a code of the mistake catalog")
        if isinstance(deduction, bool) or not isinstance(deduction, int) or not 1 <= deduction <= exercise.max_score:
            raise ExerciseError(exercise.name, f"rubric[{code!r}]",
                                f"must be a whole number of points from 1 to {exercise.max_score}, not {deduction!r}")
    if exercise.scoring == "rubric":
        missing = [c for c in exercise.codes if c not in exercise.rubric]
        if missing:
            raise ExerciseError(exercise.name, "rubric", f"rubric scoring needs a deduction for every catalogued "
                                                          f"mistake; none for {', '.join(missing)}")


def validate_concepts(exercise) -> None:
    """The concepts name catalogued codes, each with an identifier (they are compared across exercises)."""
    if not isinstance(exercise.concepts, Mapping):
        raise ExerciseError(exercise.name, "concepts", "must map catalog codes to concepts, e.g. {'missing_skip': "
                                                        "'skip_connection'}")
    codes = set(exercise.codes)
    for code, concept in exercise.concepts.items():
        if code not in codes:
            raise ExerciseError(exercise.name, f"concepts[{code!r}]", "is not a code of the mistake catalog")
        if not isinstance(concept, str) or not concept.isidentifier():
            raise ExerciseError(exercise.name, f"concepts[{code!r}]", f"must be an identifier, not {concept!r}")


def with_scoring(exercise, scoring: str | None):
    """The exercise scored as asked (``None``: as declared). ExerciseError when it cannot be."""
    if scoring is None or scoring == exercise.scoring:
        return exercise
    twin = copy.copy(exercise)
    object.__setattr__(twin, "scoring", scoring)
    twin.__dict__.pop("fingerprint", None)  # a cached_property: the scoring is part of it
    validate_rubric(twin)
    return twin


def apply_scoring(exercise, report: GradeReport) -> GradeReport:
    """The report scored by the exercise's scoring: unchanged for check scoring; for rubric scoring, the
    rubric items of the named mistakes, or the reason the check scores stand."""
    if exercise.scoring != "rubric":
        return report
    codes = list(dict.fromkeys(report.codes))
    if not codes:
        if report.check_score == report.max_score:
            return replace(report, scoring="rubric")
        return replace(report, scoring_note=M.RUBRIC_NOT_NAMED)
    outside = [c for c in codes if c not in exercise.rubric]
    if outside:
        return replace(report, scoring_note=M.RUBRIC_OUTSIDE.format(codes=", ".join(outside)))
    hints = {m.code: m.hint for m in exercise.catalog}
    items = tuple(RubricItem(c, exercise.rubric[c], hints.get(c, "")) for c in codes)
    return replace(report, scoring="rubric", rubric=items)
