"""Built-in checks of a function exercise. Each registers in the module that declares it (like @check) and
derives its name and learner-facing label from the exercise's data, so a label never repeats a number
that could drift: a worked example's label shows that example's inputs and output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from graders.engine.checks import (
    Check,
    CheckSpec,
    caller_module,
    names_of,
    register,
    validate_points,
    validate_visibility,
)
from graders.engine.kind import ExerciseError
from graders.engine.values import format_number

MAX_CALL_IN_LABEL = 72  # longer calls are left to the README; the label keeps the example's output


def _spec(bind, points: int, depends, module: str, visibility: str = "all") -> CheckSpec:
    validate_points(points, "built-in check")
    validate_visibility(visibility, "built-in check")
    return register(CheckSpec(bind=bind, module=module, depends=names_of(depends), visibility=visibility))


def _earned(check: Callable[..., None]) -> Callable[..., None]:
    """A property check's points come with a first right result (an answer that ignores its inputs earns
    nothing): the property holds, and the function matches the reference on at least one generated input."""
    def run(ctx) -> None:
        check(ctx)
        ctx.require_some_agreement()

    return run


def loads(*, points: int = 1) -> CheckSpec:
    """The file loads, the function returns, and it is right at least once (declare it first)."""
    def bind(exercise):
        label = (f"{Path(exercise.stub).name} loads, {exercise.signature} returns, and it matches the reference "
                 "on some generated input")
        return [Check("loads", label, points, _earned(lambda ctx: ctx.require_callable()))]

    return _spec(bind, points, None, caller_module())


def worked_examples(*, points: int = 1, depends=None) -> CheckSpec:
    """One check per worked example, each worth ``points``."""
    def bind(exercise):
        out = []
        for i in range(len(exercise.examples)):
            out.append(Check(f"worked_example_{i + 1}", example_label(exercise, i), points,
                             lambda ctx, i=i: ctx.expect_example(i)))
        return out

    return _spec(bind, points, depends, caller_module())


def output_structure(*, points: int = 1, name: str = "returns_expected_structure", depends=None) -> CheckSpec:
    """The result has the expected type, shape and dtype on every input."""
    def bind(exercise):
        return [Check(name, structure_label(exercise), points, _earned(lambda ctx: ctx.expect_array_of_output_shape()),
                      judges="structure")]

    return _spec(bind, points, depends, caller_module())


def inputs_unmodified(*, points: int = 1, depends=None) -> CheckSpec:
    """No call changes its array arguments in place."""
    def bind(exercise):
        arrays = [p for p in exercise.parameters if p in exercise.dims]
        return [Check("leaves_inputs_unmodified", f"leaves {_and(arrays)} unmodified", points,
                      _earned(lambda ctx: ctx.expect_inputs_unmodified()))]

    return _spec(bind, points, depends, caller_module())


def agreement(*case_sets: str, points: int, name: str | None = None, topic: str = "", label: str = "",
              depends=None, visibility: str = "all") -> CheckSpec:
    """Agrees with the reference on every case of the named case sets. The label lists the sets'
    descriptions (after ``topic``, e.g. "edge cases", when given), unless ``label`` says it in words.
    ``visibility``: what learners see before the due date ("all", "result" or "after_due")."""
    if not case_sets:
        raise ValueError("agreement(): name at least one case set")
    check_name = name or f"matches_reference_{case_sets[0]}"
    if name is None and len(case_sets) > 1:
        raise ValueError(f"agreement{case_sets}: give the check a name= (it covers several case sets)")

    def bind(exercise):
        known = {c.name: c for c in exercise.case_sets}
        unknown = [s for s in case_sets if s not in known]
        if unknown:
            raise ExerciseError(exercise.name, f"checks[{check_name!r}]",
                                f"unknown case set {unknown[0]!r} (known: {', '.join(known) or 'none'})")
        described = ", ".join(known[s].description for s in case_sets)
        text = label or (f"matches the reference on {topic}: {described}" if topic
                         else f"matches the reference on {described}")
        return [Check(check_name, text, points, lambda ctx: ctx.expect_agreement(*case_sets))]

    return _spec(bind, points, depends, caller_module(), visibility)


# ------------------------------------------------------------------------------------------ labels
def example_label(exercise, index: int) -> str:
    example = exercise.examples[index]
    head = f"worked example {index + 1}" + (f" ({example.note})" if example.note else "")
    call = compact_call(exercise, example.args)
    outcome = (f"raises {' or '.join(exercise.expected_errors)}" if example.expected is None
               else f"gives {compact_output(exercise, example.expected)}")
    return f"{head}: {call} {outcome}" if len(call) <= MAX_CALL_IN_LABEL else f"{head}: {outcome}"


def structure_label(exercise) -> str:
    if exercise.output_parts:
        parts = ", ".join(f"{name} {_shape(dims)}" for name, dims in exercise.output_parts)
        return f"returns a tuple of {len(exercise.output_parts)} float numpy arrays: {parts}"
    return f"returns a float numpy array of shape {_shape(exercise.output_dims)}"


def compact_call(exercise, args) -> str:
    inner = ", ".join(f"{p}={compact(a)}" for p, a in zip(exercise.parameters, args))
    return f"{exercise.function}({inner})"


def compact_output(exercise, expected) -> str:
    if exercise.output_parts:
        return "(" + ", ".join(f"{n}={compact(np.asarray(e))}" for n, e in zip(exercise.part_names, expected)) + ")"
    return compact(np.asarray(expected))


def compact(value) -> str:
    """An argument as a person would write it: 3 not 3.0, I and 0.5·I for (scaled) identities."""
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return _number(float(arr))
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1] > 1:
        scale = arr[0, 0]
        if scale != 0 and np.array_equal(arr, scale * np.eye(arr.shape[0])):
            return "I" if scale == 1 else f"{_number(float(scale))}·I"
    if arr.size > 12:
        return f"<array of shape {arr.shape}>"
    return _nested(arr)


def _nested(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return _number(float(arr))
    return "[" + ", ".join(_nested(a) for a in arr) + "]"


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else format_number(v)


def _shape(dims) -> str:
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
