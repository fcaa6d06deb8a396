"""Naming the mistake: the simplest combination of catalogued mistakes that reproduces every output.

A variant is the exercise's model run with the merged overrides of one form of each mistake in a
combination. Variants are evaluated once per exercise version on the shared cases (in the grader,
never in the learner's process) and cached; a learner's outputs are then matched against them,
fewest mistakes first, catalog order breaking ties.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np

from graders.engine.cases import case_book
from graders.engine.compare import tolerance
from graders.engine.exercise import Exercise, Form, Mistake

RAISED = "raised"


@dataclass(frozen=True)
class Variant:
    parts: tuple[tuple[Mistake, Form], ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m, _ in self.parts)

    @property
    def overrides(self) -> dict:
        merged: dict = {}
        for _, form in self.parts:
            merged.update(form.overrides)
        return merged

    @property
    def label(self) -> str:
        return " + ".join(f.name for _, f in self.parts) or "reference"


def compatible(parts) -> bool:
    merged: dict = {}
    for _, form in parts:
        for key, value in form.overrides.items():
            if key in merged and merged[key] != value:
                return False
            merged[key] = value
    return True


def variants_of_size(exercise: Exercise, size: int) -> list[Variant]:
    out = []
    for mistakes in itertools.combinations(exercise.catalog, size):
        for forms in itertools.product(*(m.forms for m in mistakes)):
            parts = tuple(zip(mistakes, forms))
            if compatible(parts):
                out.append(Variant(parts))
    return out


def run_model(exercise: Exercise, variant: Variant, args) -> np.ndarray | str:
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(exercise.model(*args, **variant.overrides), dtype=float)
    except (ValueError, IndexError, TypeError, ArithmeticError):
        return RAISED
    return out


@cache
def variant_outputs(exercise: Exercise, size: int) -> list[tuple[Variant, list]]:
    book = case_book(exercise)
    return [(v, [run_model(exercise, v, c.args) for c in book.cases]) for v in variants_of_size(exercise, size)]


@cache
def case_tolerances(exercise: Exercise) -> list[np.ndarray]:
    book = case_book(exercise)
    ref = exercise.reference_function
    return [tolerance(exercise, c.args, np.asarray(ref(*c.args), dtype=float)) for c in book.cases]


def matches(observed: list, outputs: list, tols: list, *, ignore_raised: bool) -> bool:
    """observed[i]: an array in the expected shape, RAISED, or None (not comparable: skip)."""
    compared = 0
    for got, want, tol in zip(observed, outputs, tols):
        if got is None:
            continue
        if isinstance(got, str):
            if ignore_raised:
                continue
            if not (isinstance(want, str) and want == RAISED):
                return False
        else:
            if isinstance(want, str) or want.shape != got.shape:
                return False
            with np.errstate(invalid="ignore"):
                if not np.all(np.abs(got - want) <= np.maximum(tol, exercise_rtol_floor(want, tol))):
                    return False
        compared += 1
    return compared > 0


def exercise_rtol_floor(want: np.ndarray, tol: np.ndarray) -> np.ndarray:
    # a variant can be larger than the reference; scale its tolerance by its own magnitude too
    return tol + 1e-4 * np.abs(np.nan_to_num(want, nan=0.0, posinf=0.0, neginf=0.0))


def explain(exercise: Exercise, observed: list) -> tuple[Variant | None, bool]:
    """The simplest variant matching ``observed`` (size 0 = the reference itself).

    Returns (variant, raised_unexplained): when no variant reproduces the exceptions too, the
    simplest one that reproduces all returned values is reported and the exceptions left to `raises`.
    """
    tols = case_tolerances(exercise)
    for ignore_raised in (False, True):
        for size in range(0, exercise.max_combination + 1):
            for variant, outputs in variant_outputs(exercise, size):
                if matches(observed, outputs, tols, ignore_raised=ignore_raised):
                    return variant, ignore_raised
    return None, False
