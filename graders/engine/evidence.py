"""Evidence for a named mistake: the smallest input on which that mistake alone changes the result, the
correct computation on it step by step (the exercise's declared trace, never the reference's source), the
step the mistake changes marked, and what the learner's function returned there.

The input depends only on the exercise and the form, so it is found once per exercise version, in the
grader (the model with the form's overrides against the reference: trusted code), and shared by every
learner; only the learner's own result on it is asked of the sandbox."""

from __future__ import annotations

from functools import cache

import numpy as np

from graders.engine.cases import case_book, complexity, shrink_candidates
from graders.engine.compare import expected_of, reference_data, split_output, tolerance
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.results import Diagnosis, Evidence, TraceStep
from graders.engine.values import Outcome, format_array

MAX_ROUNDS = 30


def form_of(exercise: Exercise, code: str, name: str):
    for mistake in exercise.catalog:
        if mistake.code == code:
            for form in mistake.forms:
                if form.name == name:
                    return form
    return None


def changes_result(exercise: Exercise, overrides: dict, args) -> str:
    """How the form, alone, changes the reference's result on these inputs: "values" (other numbers, or
    another shape), "raises" (it raises where the reference returns, or returns where it raises), or ""."""
    try:
        expected = expected_of(exercise, args)
    except Exception:  # noqa: BLE001 - an input the reference does not accept is no evidence
        return ""
    try:
        with np.errstate(all="ignore"):
            parts = split_output(exercise, exercise.model(*args, **overrides))
    except Exception:  # noqa: BLE001 - the form raises here
        return "raises" if expected.raises is None else ""
    if expected.raises is not None:
        return "raises"
    if tuple(p.shape for p in parts) != expected.shapes:
        return "values"
    got = np.concatenate([p.ravel() for p in parts])
    with np.errstate(invalid="ignore"):
        same = bool(np.all(np.abs(got - expected.flat) <= tolerance(exercise, args, expected)))
    return "" if same else "values"


@cache
def evidence_input(exercise: Exercise, code: str, name: str) -> tuple | None:
    """The simplest input on which this form alone changes the result, preferring one where it gives other
    numbers to one where it raises (a wrong value shows the mistake; an error often shows only a shape):
    the simplest shared case that shows it, shrunk further (fewer elements, zeros, integers) while it
    still does, in the same way."""
    form = form_of(exercise, code, name)
    if form is None:
        return None
    book, data = case_book(exercise), reference_data(exercise)
    order = sorted(range(len(book.cases)), key=lambda i: data.complexity[i])
    for kind in ("values", "raises"):
        current = next((book.cases[i].args for i in order
                        if changes_result(exercise, form.overrides, book.cases[i].args) == kind), None)
        if current is not None:
            return _shrunk(exercise, form.overrides, current, kind)
    return None


def _shrunk(exercise: Exercise, overrides: dict, current, kind: str):
    for _ in range(MAX_ROUNDS):
        limit = complexity(current)
        simpler = next((c for c in shrink_candidates(exercise, current) if complexity(c) < limit
                        and (exercise.admissible is None or exercise.admissible(*c))
                        and changes_result(exercise, overrides, c) == kind), None)
        if simpler is None:
            break
        current = simpler
    return current


def trace_steps(exercise: Exercise, args, step: str) -> tuple[TraceStep, ...]:
    if exercise.trace is None:
        return ()
    with np.errstate(all="ignore"):
        steps = exercise.trace(*args)
    return tuple(TraceStep(label, value if isinstance(value, str) else format_array(value), label == step)
                 for label, value in steps)


def with_evidence(exercise: Exercise, diagnoses: list[Diagnosis], run_learner) -> list[Diagnosis]:
    """The diagnoses, each named catalog mistake with its evidence. ``run_learner(inputs)`` returns the
    learner's outcome on each input (fewer when its process ended)."""
    wanted = [(i, d, evidence_input(exercise, d.code, d.form)) for i, d in enumerate(diagnoses)
              if d.code in exercise.codes and d.form]
    wanted = [(i, d, args) for i, d, args in wanted if args is not None]
    if not wanted:
        return diagnoses
    outcomes = run_learner([args for _, _, args in wanted])
    out = list(diagnoses)
    for (i, d, args), outcome in zip(wanted, outcomes):
        form = form_of(exercise, d.code, d.form)
        expected = expected_of(exercise, args)
        out[i] = Diagnosis(d.code, d.message, d.detail, d.form, Evidence(
            call=exercise.call_text(args), expected=expected.raises and f"a {expected.raises} to be raised"
            or expected.show(exercise.part_names), actual=outcome_text(exercise, outcome),
            trace=trace_steps(exercise, args, form.step if form else "")))
    return out


def outcome_text(exercise: Exercise, outcome: Outcome) -> str:
    from graders.engine.context import show_value

    if outcome.kind == "raised":
        return f"raised {outcome.error.short()}"
    if outcome.kind == "returned":
        return show_value(exercise, outcome.value)
    return "no result"
