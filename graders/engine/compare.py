"""Comparing what the learner returned with what was expected, with a scale-aware tolerance.

The tolerance of each element is ``rtol * scale + atol`` where ``scale`` is the magnitude of the terms
summed to produce it (the exercise's ``tolerance_scale``), so a float32 or loop-based computation of a
large sum is judged by its own rounding, not by a fixed absolute bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from graders.engine.cases import case_book, complexity
from graders.engine.exercise import Exercise
from graders.engine.values import Outcome, Value


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # ok | raised | not_run | not_an_array | wrong_shape | wrong_dtype | non_finite | values
    max_error: float = 0.0
    where: tuple[int, ...] | None = None


def tolerance(exercise: Exercise, args, expected: np.ndarray) -> np.ndarray:
    if exercise.tolerance_scale is not None:
        scale = np.asarray(exercise.tolerance_scale(*args), dtype=float)
    else:
        scale = np.abs(expected)
    return exercise.rtol * np.maximum(scale, np.abs(expected)) + exercise.atol


def values_close(got: np.ndarray, expected: np.ndarray, tol: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(got - expected) <= tol))


def coerce(value: Value | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """The returned numbers in the expected shape, if there are exactly that many."""
    if value is None or value.array is None:
        return None
    arr = value.array
    if arr.size != int(np.prod(shape)):
        return None
    return arr.reshape(shape)


def judge(exercise: Exercise, args, expected: np.ndarray, outcome: Outcome) -> Verdict:
    if outcome.kind == "not_run":
        return Verdict(False, "not_run")
    if outcome.kind == "raised":
        return Verdict(False, "raised")
    value = outcome.value
    if value is None or value.kind != "ndarray":
        return Verdict(False, "not_an_array")
    if value.shape != expected.shape:
        return Verdict(False, "wrong_shape")
    if value.dtype is None or np.dtype(value.dtype).kind != "f":
        return Verdict(False, "wrong_dtype")
    got = value.array
    if not np.all(np.isfinite(got)):
        return Verdict(False, "non_finite")
    err = np.abs(got - expected)
    tol = tolerance(exercise, args, expected)
    if np.all(err <= tol):
        return Verdict(True, "ok")
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(err - tol)), err.shape)) if err.ndim else ()
    return Verdict(False, "values", float(err.max()), where)


@dataclass(frozen=True, eq=False)
class ReferenceData:
    """The reference's outputs on the shared cases, laid end to end so that a whole submission (and
    every catalog variant) is judged with a few vectorized operations."""

    expected: tuple[np.ndarray, ...]
    starts: np.ndarray  # where each case's elements begin in the flat layout
    flat_expected: np.ndarray
    flat_tol: np.ndarray
    complexity: tuple[tuple, ...]

    @property
    def size(self) -> int:
        return int(self.flat_expected.size)

    def flatten(self, arrays: list[np.ndarray | None]) -> np.ndarray:
        """Arrays in the expected shapes (None where there is none) as one flat vector (NaN for None)."""
        flat = np.full(self.size, np.nan)
        for start, exp, arr in zip(self.starts, self.expected, arrays):
            if arr is not None:
                flat[start:start + exp.size] = arr.ravel()
        return flat


@cache
def reference_data(exercise: Exercise) -> ReferenceData:
    book = case_book(exercise)
    ref = exercise.reference_function
    expected = tuple(np.asarray(ref(*c.args), dtype=float) for c in book.cases)
    if any(e.size == 0 for e in expected):
        raise ValueError(f"{exercise.name}: every case must have a non-empty expected output")
    sizes = np.array([e.size for e in expected])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    tols = [np.broadcast_to(tolerance(exercise, c.args, e), e.shape).ravel() for c, e in zip(book.cases, expected)]
    return ReferenceData(expected, starts, np.concatenate([e.ravel() for e in expected]), np.concatenate(tols),
                         tuple(complexity(c.args) for c in book.cases))


def judge_book(exercise: Exercise, outcomes: list[Outcome]) -> list[Verdict]:
    """judge() for every shared case at once; only the odd ones (wrong type or shape) go one by one."""
    data = reference_data(exercise)
    book = case_book(exercise)
    verdicts: list[Verdict | None] = [None] * len(outcomes)
    arrays: list[np.ndarray | None] = [None] * len(outcomes)
    for i, (outcome, exp) in enumerate(zip(outcomes, data.expected)):
        value = outcome.value
        if (outcome.kind == "returned" and value is not None and value.kind == "ndarray" and value.shape == exp.shape
                and value.dtype is not None and np.dtype(value.dtype).kind == "f"):
            arrays[i] = value.array
        else:
            verdicts[i] = judge(exercise, book.cases[i].args, exp, outcome)
    got = data.flatten(arrays)
    with np.errstate(invalid="ignore"):
        elem_ok = np.abs(got - data.flat_expected) <= data.flat_tol
    case_ok = np.logical_and.reduceat(elem_ok, data.starts)
    case_finite = np.logical_and.reduceat(np.isfinite(got), data.starts)
    for i, arr in enumerate(arrays):
        if arr is not None:
            verdicts[i] = (Verdict(True, "ok") if case_ok[i] else
                           Verdict(False, "values") if case_finite[i] else Verdict(False, "non_finite"))
    return verdicts  # type: ignore[return-value]
