"""Comparing what the learner returned with what was expected, with a scale-aware tolerance.

The tolerance of each element is ``rtol * scale + atol`` where ``scale`` is the magnitude of the terms
summed to produce it (the exercise's ``tolerance_scale``), so a float32 or loop-based computation of a
large sum is judged by its own rounding, not by a fixed absolute bar.

Every case's expectation is laid out as one flat float vector (its "slot"): a single returned array,
the concatenation of a returned tuple's arrays, or, where the reference raises by design, NaNs the
size of the output it would have had. Whole submissions, and every catalog variant, are then judged
with a few vectorized operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

import numpy as np

from graders.engine.cases import case_book
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.values import Outcome, Value, format_array


@dataclass(frozen=True)
class Verdict:
    ok: bool
    # ok | raised | not_run | not_an_array | wrong_shape | wrong_dtype | non_finite | values
    # | should_raise (returned where an error was expected) | wrong_error (raised the wrong kind)
    reason: str
    part: str = ""  # which element of a returned tuple has the wrong type, shape or dtype
    # The numbers were judged, but they came in the wrong container: "not_an_array" (a list, a tuple, an
    # np.matrix of the expected shape) or "wrong_dtype" (integers where floats are expected). Only the
    # structure check deducts for it (unless the exercise declares its container strict).
    container: str = ""


STRUCTURAL_REASONS = ("not_an_array", "wrong_shape", "wrong_dtype")


@dataclass(frozen=True, eq=False)
class Expected:
    """What the reference did on one case: returned these arrays (``parts``), or raised ``raises``."""

    shapes: tuple[tuple[int, ...], ...]
    parts: tuple[np.ndarray, ...] = ()
    raises: str | None = None
    message: str = ""

    @cached_property  # read for every comparison of this case
    def size(self) -> int:
        return max(1, sum(math.prod(s) for s in self.shapes))

    @cached_property  # read for every comparison of this case
    def flat(self) -> np.ndarray:
        if self.raises is not None:
            return np.full(self.size, np.nan)
        return np.concatenate([p.ravel() for p in self.parts]) if self.parts else np.zeros(0)

    def show(self, names: tuple[str, ...] = ()) -> str:
        if self.raises is not None:
            return f"a {self.raises} to be raised"
        return show_parts(self.parts, names)


def show_parts(parts, names: tuple[str, ...]) -> str:
    if not names:
        return format_array(parts[0])
    return "(" + ", ".join(f"{n}={format_array(p)}" for n, p in zip(names, parts)) + ")"


def split_output(exercise: Exercise, out) -> tuple[np.ndarray, ...]:
    """The reference's (or a model variant's) return value as float arrays, one per part."""
    if exercise.output_parts:
        if not isinstance(out, (tuple, list)) or len(out) != len(exercise.output_parts):
            raise TypeError(f"{exercise.name}: expected a tuple of {len(exercise.output_parts)} arrays")
        return tuple(np.asarray(p, dtype=float) for p in out)
    return (np.asarray(out, dtype=float),)


def expected_of(exercise: Exercise, args, function=None) -> Expected:
    """Run the reference (grader process only). Errors it raises by design become expectations."""
    function = function or exercise.reference_function
    try:
        with np.errstate(all="ignore"):
            out = function(*args)
    except Exception as exc:
        if type(exc).__name__ not in exercise.expected_errors:
            raise
        return Expected(exercise.output_shapes(args), raises=type(exc).__name__, message=str(exc))
    parts = split_output(exercise, out)
    return Expected(tuple(p.shape for p in parts), parts)


def tolerance(exercise: Exercise, args, expected: Expected) -> np.ndarray:
    if expected.raises is not None:
        return np.zeros(expected.size)
    magnitude = np.abs(expected.flat)
    if exercise.tolerance_scale is not None:
        scale = exercise.tolerance_scale(*args)
        parts = scale if exercise.output_parts else (scale,)
        scale = np.concatenate([np.broadcast_to(np.asarray(s, dtype=float), p.shape).ravel()
                                for s, p in zip(parts, expected.parts)])
    else:
        scale = magnitude
    return exercise.rtol * np.maximum(scale, magnitude) + exercise.atol


def _is_float_array(value: Value | None) -> bool:
    if value is None or value.kind != "ndarray" or value.array is None or value.dtype is None:
        return False
    return _is_float_dtype(value.dtype)


@lru_cache(maxsize=64)
def _is_float_dtype(name: str) -> bool:
    try:
        return np.dtype(name).kind == "f"
    except TypeError:  # a dtype name numpy does not know (the learner's process sent it)
        return False


def returned_parts(exercise: Exercise, value: Value | None) -> tuple[Value, ...] | None:
    """The learner's returned value split like the reference's output; None if it is not a tuple of
    the right length (for a tuple-returning exercise)."""
    if not exercise.output_parts:
        return (value,) if value is not None else None
    if value is None or value.kind != "sequence" or len(value.items) != len(exercise.output_parts):
        return None
    return value.items


def structure_verdict(exercise: Exercise, value: Value | None, expected: Expected
                      ) -> tuple[np.ndarray | None, Verdict | None, str]:
    """(the learner's numbers as a flat vector, None, container problem) when they can be judged against
    the expected ones; else (None, the verdict, ""). A list, tuple or np.matrix of the expected shape, or an
    integer array, is judged on its numbers and flagged as a container problem, unless the exercise's
    container is strict."""
    parts = returned_parts(exercise, value)
    if parts is None:
        return None, Verdict(False, "not_an_array"), ""
    names = exercise.part_names or ("",)
    flags = []
    for name, part, shape in zip(names, parts, expected.shapes):
        problem = _container_problem(part, shape)
        if not problem:
            continue
        if problem == "wrong_shape" or exercise.strict_container or not _judgeable(part, shape):
            return None, Verdict(False, problem, part=name), ""
        flags.append(problem)
    vector = parts[0].array.ravel() if len(parts) == 1 else np.concatenate([p.array.ravel() for p in parts])
    return vector, None, flags[0] if flags else ""


def _container_problem(part: Value, shape: tuple[int, ...]) -> str:
    """"" when the part is a float numpy array of the expected shape; else what is wrong with it."""
    if part.kind == "ndarray" and part.type_name in ("numpy.ndarray", "ndarray"):
        if part.shape != shape:
            return "wrong_shape"
        return "" if _is_float_array(part) else "wrong_dtype"
    return "not_an_array"


def _judgeable(part: Value, shape: tuple[int, ...]) -> bool:
    """Its numbers can be judged: plain numbers laid out in exactly the expected shape."""
    return part.array is not None and part.array.shape == shape and part.kind in ("ndarray", "sequence")


def coerce(exercise: Exercise, value: Value | None, expected: Expected) -> np.ndarray | None:
    """The returned numbers as a flat vector in the expected layout, whatever their container or shape,
    if every part holds exactly the expected number of numbers (so a (3, 1) result is still compared)."""
    parts = returned_parts(exercise, value)
    if parts is None:
        return None
    flats = []
    for part, shape in zip(parts, expected.shapes):
        if part is None or part.array is None or part.array.size != math.prod(shape):
            return None
        flats.append(part.array.ravel())
    return flats[0] if len(flats) == 1 else np.concatenate(flats)


def judge(exercise: Exercise, args, expected: Expected, outcome: Outcome) -> Verdict:
    if outcome.kind == "not_run":
        return Verdict(False, "not_run")
    if expected.raises is not None:
        if outcome.kind == "raised":
            return Verdict(outcome.error.is_a(expected.raises), "ok" if outcome.error.is_a(expected.raises) else "wrong_error")
        return Verdict(False, "should_raise")
    if outcome.kind == "raised":
        return Verdict(False, "raised")
    got, bad, container = structure_verdict(exercise, outcome.value, expected)
    if bad is not None:
        return bad
    if not np.all(np.isfinite(got)):
        return Verdict(False, "non_finite", container=container)
    ok = np.all(np.abs(got - expected.flat) <= tolerance(exercise, args, expected))
    return Verdict(True, "ok", container=container) if ok else Verdict(False, "values", container=container)


def where_in_parts(exercise: Exercise, expected: Expected, flat_index: int) -> tuple[str, tuple[int, ...]]:
    """(part name, index within that part) of an element of the flat layout."""
    names = exercise.part_names or ("",)
    for name, shape in zip(names, expected.shapes):
        size = math.prod(shape)
        if flat_index < size:
            return name, tuple(int(i) for i in np.unravel_index(flat_index, shape)) if shape else ()
        flat_index -= size
    return "", ()


@dataclass(frozen=True, eq=False)
class ReferenceData:
    """The reference's outputs on the shared cases, laid end to end so that a whole submission (and
    every catalog variant) is judged with a few vectorized operations."""

    expected: tuple[Expected, ...]
    starts: np.ndarray  # where each case's elements begin in the flat layout
    flat_expected: np.ndarray
    flat_tol: np.ndarray
    complexity: tuple[tuple, ...]
    # Generated cases whose expected output no input-ignoring answer reproduces: not constant (zeros, a
    # constant, NaN) and not one of the inputs itself. Agreeing on one earns the property checks' points.
    informative: tuple[bool, ...] = ()

    @property
    def size(self) -> int:
        return int(self.flat_expected.size)

    def flatten(self, vectors: list[np.ndarray | None]) -> np.ndarray:
        """Per-case flat vectors (None where there is none) as one vector (NaN for None)."""
        flat = np.full(self.size, np.nan)
        for start, exp, vec in zip(self.starts, self.expected, vectors):
            if vec is not None:
                flat[start:start + exp.size] = vec
        return flat


@cache
def reference_data(exercise: Exercise) -> ReferenceData:
    book = case_book(exercise)
    expected = tuple(expected_of(exercise, c.args) for c in book.cases)
    sizes = np.array([e.size for e in expected])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    tols = [tolerance(exercise, c.args, e) for c, e in zip(book.cases, expected)]
    informative = tuple(c.set_name != "examples" and is_informative(c.args, e) for c, e in zip(book.cases, expected))
    return ReferenceData(expected, starts, np.concatenate([e.flat for e in expected]), np.concatenate(tols),
                         tuple(c.complexity for c in book.cases), informative)


def is_informative(args, expected: Expected) -> bool:
    """No answer that ignores its inputs (a constant, zeros, NaN, one of the inputs) reproduces it."""
    if expected.raises is not None:
        return False
    flat = expected.flat
    if flat.size < 2 or not np.all(np.isfinite(flat)) or np.all(flat == flat[0]):
        return False
    return not any(isinstance(a, np.ndarray) and a.size == flat.size and np.allclose(a.ravel(), flat) for a in args)


@cache
def _judged(ok: bool, reason: str, container: str) -> Verdict:
    """The verdict on a case whose numbers were compared (a handful of distinct ones, shared)."""
    return Verdict(ok, reason, container=container)


def judge_book(exercise: Exercise, outcomes: list[Outcome]) -> list[Verdict]:
    """judge() for every shared case at once; only the odd ones (errors, wrong type or shape) go one by one."""
    data = reference_data(exercise)
    book = case_book(exercise)
    verdicts: list[Verdict | None] = [None] * len(outcomes)
    vectors: list[np.ndarray | None] = [None] * len(outcomes)
    containers = [""] * len(outcomes)
    for i, (outcome, exp) in enumerate(zip(outcomes, data.expected)):
        if outcome.kind == "returned" and exp.raises is None:
            vectors[i], verdicts[i], containers[i] = structure_verdict(exercise, outcome.value, exp)
        else:
            verdicts[i] = judge(exercise, book.cases[i].args, exp, outcome)
    got = data.flatten(vectors)
    with np.errstate(invalid="ignore"):
        elem_ok = np.abs(got - data.flat_expected) <= data.flat_tol
    case_ok = np.logical_and.reduceat(elem_ok, data.starts)
    case_finite = np.logical_and.reduceat(np.isfinite(got), data.starts)
    for i, vec in enumerate(vectors):
        if vec is not None:
            verdicts[i] = (_judged(True, "ok", containers[i]) if case_ok[i] else
                           _judged(False, "values" if case_finite[i] else "non_finite", containers[i]))
    return verdicts  # type: ignore[return-value]
