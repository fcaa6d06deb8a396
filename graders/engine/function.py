"""The function-exercise kind: the learner writes one function, which the sandbox runs on the worked
examples and on Hypothesis-drawn cases; the grader compares every result with the hidden reference and
names the simplest combination of catalogued mistakes that reproduces them all."""

from __future__ import annotations

import importlib.util
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from graders.engine import checks as checks_api
from graders.engine.kind import Exercise, ExerciseError, Mistake, check_name, default_paths
from graders.engine.messages import STRUCTURAL
from graders.engine.scoring import validate_concepts, validate_rubric

# Codes the engine gives itself: a catalogued mistake may not take one of them.
RESERVED_CODES = frozenset({*STRUCTURAL, "too_large", "grader_error", "unreadable", "not_a_regular_file",
                            "ambiguous_submission", "sandbox_unavailable"})


@dataclass(frozen=True)
class Example:
    """A worked example: fixed inputs and the exact expected output, shown to learners. ``expected`` is None
    where the reference raises by design (one of the exercise's expected_errors). ``note`` says, in words,
    what the example shows (its numbers come from the data)."""

    args: tuple
    expected: Any
    note: str = ""


@dataclass(frozen=True)
class CaseSet:
    """A named group of generated inputs: a Hypothesis strategy of argument tuples."""

    name: str
    strategy: Any
    count: int
    description: str


@dataclass(frozen=True, eq=False)  # identity hash: exercises key the per-version caches
class FunctionExercise(Exercise):
    """A function exercise, declared as data. Paths follow from the name unless given; checks are those
    declared (with graders.authoring's built-ins and @check) in the module that declares the exercise."""

    name: str
    title: str
    function: str
    parameters: tuple[str, ...]
    dims: Mapping[str, tuple[str, ...]]  # symbolic shape of each array parameter, e.g. x: ("n",)
    examples: tuple[Example, ...]
    case_sets: tuple[CaseSet, ...]
    catalog: tuple[Mistake, ...]
    model: Callable[..., Any]  # the reference with one keyword per misconception (no keywords: the reference)
    seed: int
    output_dims: tuple[str, ...] = ()  # symbolic shape of the returned array (single-array exercises)
    # For a function returning a tuple of arrays: (name, symbolic shape) of each element, in order.
    output_parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    version: str = "1"
    order: int = 100
    tolerance_scale: Callable[..., Any] | None = None  # per-element magnitude of the terms summed
    rtol: float = 1e-4
    atol: float = 1e-9
    max_combination: int = 3
    expected_errors: tuple[str, ...] = ()  # exception types the reference raises by design (e.g. ValueError)
    fixed_dims: frozenset[str] = frozenset()  # symbols shrinking must not change (e.g. a fixed depth)
    admissible: Callable[..., bool] | None = None  # inputs shrinking may move to (None: any)
    # The container is part of the learning goal: a list (or integers) holding the right numbers fails the
    # value checks too. By default only the structure check deducts for it.
    strict_container: bool = False
    # The correct computation step by step, for the evidence shown with a named mistake: trace(*args) ->
    # [(step label, value), ...]; a catalog form names the step it changes (Form.step / mistake(step=)).
    trace: Callable[..., list] | None = None
    # Rubric scoring (graders/engine/scoring.py): points each catalogued mistake deducts, and whether the
    # score is the rubric's ("rubric") or the sum of the check scores ("checks", the default).
    rubric: Mapping[str, int] = field(default_factory=dict)
    scoring: str = "checks"
    # The concept each catalogued mistake is about (catalog code -> concept, e.g. "weight_orientation"): the
    # course page follows a concept across exercises. A code not listed is its own concept.
    concepts: Mapping[str, str] = field(default_factory=dict)
    stub: str = ""
    reference: str = ""
    readme: str = ""
    checks: tuple = ()
    module: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    kind = "function"

    def __post_init__(self) -> None:
        check_name(self.name)
        module = self.module or checks_api.caller_module(3)
        stub, reference, readme = default_paths(self.name, self.stub or None, self.reference or None,
                                                self.readme or None)
        for key, value in (("module", module), ("stub", stub), ("reference", reference), ("readme", readme),
                           ("parameters", tuple(self.parameters)), ("case_sets", tuple(self.case_sets)),
                           ("examples", tuple(self.examples)), ("catalog", tuple(self.catalog)),
                           ("fixed_dims", frozenset(self.fixed_dims)), ("expected_errors", tuple(self.expected_errors))):
            object.__setattr__(self, key, value)
        specs = list(self.checks) if self.checks else checks_api.declared_in(module)
        if specs and all(isinstance(s, checks_api.Check) for s in specs):
            bound = tuple(specs)
        else:
            bound = checks_api.bind_all(self, specs)
        object.__setattr__(self, "checks", bound)
        self._validate_declaration()

    # ---------------------------------------------------------------------------- validation
    def _fail(self, where: str, problem: str) -> ExerciseError:
        return ExerciseError(self.name, where, problem)

    def _validate_declaration(self) -> None:
        """What can be checked without the hidden reference, when the exercise is declared."""
        if not self.title.strip():
            raise self._fail("title", "is empty")
        if not self.function.isidentifier():
            raise self._fail("function", f"{self.function!r} is not an identifier")
        if len(set(self.parameters)) != len(self.parameters) or not all(p.isidentifier() for p in self.parameters):
            raise self._fail("parameters", f"must be distinct identifiers, not {self.parameters}")
        unknown = set(self.dims) - set(self.parameters)
        if unknown:
            raise self._fail("dims", f"names no parameter {sorted(unknown)}")
        symbols = {s for dims in self.dims.values() for s in dims}
        wanted = set(self.output_dims) | {s for _, dims in self.output_parts for s in dims}
        if wanted - symbols:
            raise self._fail("output_dims", f"uses sizes no parameter has: {sorted(wanted - symbols)}")
        self._validate_examples()
        self._validate_case_sets()
        self._validate_catalog()
        self._validate_checks()
        validate_rubric(self)
        validate_concepts(self)

    def _validate_examples(self) -> None:
        for i, example in enumerate(self.examples):
            if len(example.args) != len(self.parameters):
                raise self._fail(f"examples[{i}]", f"has {len(example.args)} arguments for {len(self.parameters)} "
                                                   f"parameters ({', '.join(self.parameters)})")
            if example.expected is None and not self.expected_errors:
                raise self._fail(f"examples[{i}]", "expected is None but the exercise declares no expected_errors")

    def _validate_case_sets(self) -> None:
        names = [c.name for c in self.case_sets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise self._fail("case_sets", f"duplicate names {duplicates}")
        for c in self.case_sets:
            if c.name == "examples" or not c.name.isidentifier():
                raise self._fail(f"case_sets[{c.name!r}]", "needs an identifier name other than 'examples'")
            if isinstance(c.count, bool) or not isinstance(c.count, int) or c.count <= 0:
                raise self._fail(f"case_sets[{c.name!r}].count", f"must be a positive int, not {c.count!r}")

    def _validate_catalog(self) -> None:
        codes = [m.code for m in self.catalog]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise self._fail("catalog", f"duplicate codes {duplicates}")
        reserved = sorted(set(codes) & RESERVED_CODES)
        if reserved:
            raise self._fail("catalog", f"codes {reserved} are the engine's own")
        accepted = self.model_keywords
        for m in self.catalog:
            if not m.hint.strip() or not m.forms:
                raise self._fail(f"catalog[{m.code!r}]", "needs a hint and at least one form")
            forms = [f.name for f in m.forms]
            if len(set(forms)) != len(forms):
                raise self._fail(f"catalog[{m.code!r}]", f"duplicate form names {forms}")
            for form in m.forms:
                unknown = set(form.overrides) - accepted if accepted is not None else set()
                if unknown:
                    raise self._fail(f"catalog[{m.code!r}].{form.name}",
                                     f"the model accepts no keyword {sorted(unknown)} (it accepts {sorted(accepted)})")

    def _validate_checks(self) -> None:
        if not self.checks:
            raise self._fail("checks", "none declared (use the built-ins of graders.authoring, or @check)")
        names = [c.name for c in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise self._fail("checks", f"duplicate names {duplicates}")
        for position, c in enumerate(self.checks):
            checks_api.validate_points(c.points, f"exercise {self.name}: checks[{c.name!r}]")
            for dependency in c.depends:
                if dependency not in names[:position]:
                    raise self._fail(f"checks[{c.name!r}].depends", f"{dependency!r} is not a check declared before it")

    @cached_property
    def model_keywords(self) -> set[str] | None:
        """The keywords the model accepts; None when it takes **kwargs (checked by calling it instead)."""
        params = inspect.signature(self.model).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)} - set(self.parameters)

    def validate(self) -> None:
        """Deep validation with the hidden reference: worked examples state its outputs, the model without
        overrides is the reference on every case, every catalog form is accepted by the model."""
        from graders.engine.validation import validate_function_exercise

        validate_function_exercise(self)

    # ---------------------------------------------------------------------------- the reference
    @cached_property
    def reference_function(self) -> Callable[..., Any]:
        """The hidden reference, loaded from solutions/ into the grader process only."""
        path = self.path(self.reference)
        if not path.is_file():
            raise ExerciseError(self.name, "reference", f"{self.reference} is missing")
        spec = importlib.util.spec_from_file_location(f"_gradekit_reference_{self.name}", path)
        if spec is None or spec.loader is None:
            raise ExerciseError(self.name, "reference", f"{self.reference} cannot be loaded")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        function = getattr(module, self.function, None)
        if not callable(function):
            raise ExerciseError(self.name, "reference", f"{self.reference} defines no function {self.function}")
        return function

    # ---------------------------------------------------------------------------- shapes and text
    @cached_property  # read for every case judged
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

    def output_shapes(self, args) -> tuple[tuple[int, ...], ...]:
        """The shape of each returned part (one part for a single-array exercise)."""
        sizes = self.sizes(args)
        if not self.output_parts:
            return (tuple(sizes[s] for s in self.output_dims),)
        return tuple(tuple(sizes[s] for s in dims) for _, dims in self.output_parts)

    def call_text(self, args) -> str:
        from graders.engine.values import format_arg

        inner = ", ".join(f"{p}={format_arg(a)}" for p, a in zip(self.parameters, args))
        return f"{self.function}({inner})"

    @property
    def signature(self) -> str:
        return f"{self.function}({', '.join(self.parameters)})"

    # ---------------------------------------------------------------------------- the kind protocol
    def declared_in(self, source: str) -> bool:
        return re.search(rf"^\s*def\s+{re.escape(self.function)}\s*\(", source, re.M) is not None

    def grade(self, source: str, *, sandbox, submission: str = ""):
        from graders.engine.grading import grade_function

        return self.scored(grade_function(self, source, runner=sandbox, submission=submission))

    def prepare(self) -> None:
        from graders.engine.compare import reference_data
        from graders.engine.variants import variant_table

        reference_data(self)
        for size in range(min(2, self.max_combination) + 1):
            variant_table(self, size)

    def submission_hint(self) -> str:
        return f"a .py file or a notebook that defines {self.signature}"

    def task(self) -> str:
        return f"implement `{self.signature}`"

    def notebook_cells(self) -> list[dict]:
        from graders.report.notebook import function_cells

        return function_cells(self)

    def lint_steps(self) -> list:
        from graders.lint import function_steps

        return function_steps(self)
