"""How an exercise is declared: plain data that the engine reads (see graders/exercises/)."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Example:
    """A worked example: fixed inputs and the exact expected output, shown to learners."""

    args: tuple[np.ndarray, ...]
    expected: np.ndarray
    label: str = ""


@dataclass(frozen=True)
class Form:
    """One concrete way of making a mistake: parameter overrides of the exercise's model."""

    name: str
    overrides: Mapping[str, Any]
    detail: str


@dataclass(frozen=True)
class Mistake:
    """A catalogued misconception: a stable code, a hint for the learner, and its forms."""

    code: str
    hint: str
    forms: tuple[Form, ...]


def mistake(code: str, hint: str, *, detail: str | None = None, forms: tuple[Form, ...] = (), **overrides) -> Mistake:
    """A mistake with a single form given by ``overrides``, or with explicit ``forms``."""
    if forms and overrides:
        raise ValueError(f"mistake {code!r}: give either overrides or forms, not both")
    if not forms:
        if not overrides:
            raise ValueError(f"mistake {code!r}: needs overrides or forms")
        forms = (Form(code, dict(overrides), detail or hint),)
    return Mistake(code, hint, tuple(forms))


@dataclass(frozen=True)
class CaseSet:
    """A named group of generated inputs: a Hypothesis strategy of argument tuples."""

    name: str
    strategy: Any
    count: int
    description: str


@dataclass(frozen=True)
class Check:
    """A graded check. Its label (the function's docstring) is what learners read."""

    name: str
    label: str
    points: int
    run: Callable[..., None]


def check(*, points: int) -> Callable[[Callable[..., None]], Check]:
    """Declare a check; the decorated function receives a CheckContext and raises Failure to fail."""
    if not isinstance(points, int) or points < 0:
        raise ValueError(f"points must be a non-negative int, not {points!r}")

    def wrap(fn: Callable[..., None]) -> Check:
        label = inspect.getdoc(fn)
        if not label:
            raise ValueError(f"check {fn.__name__!r} needs a docstring: it is the learner-facing label")
        return Check(fn.__name__, label.splitlines()[0], points, fn)

    return wrap


@dataclass(frozen=True, eq=False)  # identity hash: exercises key the per-version caches
class Exercise:
    """Everything the engine needs to grade one exercise."""

    name: str
    title: str
    version: str
    function: str
    parameters: tuple[str, ...]
    dims: Mapping[str, tuple[str, ...]]  # symbolic shape of each parameter, e.g. x: ("n",)
    output_dims: tuple[str, ...]  # symbolic shape of the returned array (single-array exercises)
    examples: tuple[Example, ...]
    case_sets: tuple[CaseSet, ...]
    checks: tuple[Check, ...]
    catalog: tuple[Mistake, ...]
    model: Callable[..., np.ndarray]  # the reference, parametrized so catalog overrides make variants
    seed: int
    tolerance_scale: Callable[..., np.ndarray] | None = None  # per-element magnitude of the terms summed
    rtol: float = 1e-4
    atol: float = 1e-9
    max_combination: int = 3
    stub: str = ""
    reference: str = ""
    readme: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    # For a function returning a tuple of arrays: (name, symbolic shape) of each element, in order.
    output_parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    expected_errors: tuple[str, ...] = ()  # exception types the reference raises by design (e.g. ValueError)
    fixed_dims: frozenset[str] = frozenset()  # symbols shrinking must not change (e.g. a fixed depth)
    # Inputs shrinking may move to, e.g. away from a ReLU's kink (None: any the reference accepts).
    admissible: Callable[..., bool] | None = None
    # An exercise that is not "call a function on generated inputs" (a quiz) grades itself:
    # grade_hook(exercise, source, *, sandbox, submission) -> GradeReport.
    grade_hook: Callable[..., Any] | None = None
    # How a source file declares this exercise (for `grade` without --exercise): `def <function>(`
    # unless given, e.g. r"^ANSWERS\s*=" for a quiz.
    marker: str = ""

    def declared_in(self, source: str) -> bool:
        pattern = self.marker or rf"^\s*def\s+{re.escape(self.function)}\s*\("
        return re.search(pattern, source, re.M) is not None

    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.checks)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.catalog)

    def grader_files(self) -> list[Path]:
        """The source files of this exercise's grader package (where its model is defined)."""
        module = sys.modules.get(self.model.__module__)
        if module is None or not getattr(module, "__file__", None):
            return []
        return sorted(Path(module.__file__).parent.glob("*.py"))

    @cached_property
    def fingerprint(self) -> str:
        """Digest of everything that decides a grade: the grader package, the reference and the engine.
        A batch rerun regrades when it changes (an answer key fixed, a check added), not only on new files."""
        files = [*self.grader_files(), *sorted((REPO_ROOT / "graders" / "engine").glob("*.py"))]
        if self.reference:
            files.append(REPO_ROOT / self.reference)
        h = hashlib.sha256(f"{self.name}|{self.version}|{self.seed}".encode())
        for path in files:
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(f"missing:{path.name}".encode())
        return h.hexdigest()[:20]

    @cached_property
    def reference_function(self) -> Callable[..., Any]:
        """The hidden reference, loaded from solutions/ into the grader process only."""
        path = REPO_ROOT / self.reference
        spec = importlib.util.spec_from_file_location(f"_gradekit_reference_{self.name}", path)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(f"reference for {self.name!r} not found at {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, self.function)

    @property
    def part_names(self) -> tuple[str, ...]:
        """Names of the returned tuple's elements; () when the function returns one array."""
        return tuple(name for name, _ in self.output_parts)

    def sizes(self, args) -> dict[str, int]:
        """Symbol -> size, read from the array arguments' shapes."""
        sizes: dict[str, int] = {}
        for name, arr in zip(self.parameters, args):
            if isinstance(arr, np.ndarray):
                for symbol, size in zip(self.dims.get(name, ()), arr.shape):
                    sizes.setdefault(symbol, size)
        return sizes

    def output_shape(self, args) -> tuple[int, ...]:
        sizes = self.sizes(args)
        return tuple(sizes[s] for s in self.output_dims)

    def output_shapes(self, args) -> tuple[tuple[int, ...], ...]:
        """The shape of each returned part (one part for a single-array exercise)."""
        if not self.output_parts:
            return (self.output_shape(args),)
        sizes = self.sizes(args)
        return tuple(tuple(sizes[s] for s in dims) for _, dims in self.output_parts)

    def call_text(self, args) -> str:
        from graders.engine.values import format_arg

        inner = ", ".join(f"{p}={format_arg(a)}" for p, a in zip(self.parameters, args))
        return f"{self.function}({inner})"
