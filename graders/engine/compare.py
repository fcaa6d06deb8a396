"""Comparing what the learner returned with what was expected, with a scale-aware tolerance.

The tolerance of each element is ``rtol * scale + atol`` where ``scale`` is the magnitude of the terms
summed to produce it (the exercise's ``tolerance_scale``), so a float32 or loop-based computation of a
large sum is judged by its own rounding, not by a fixed absolute bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
