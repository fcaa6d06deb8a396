"""Checks of a function exercise's declaration that need the hidden reference: run once before the first
grading and by ``graders check``. Each failure is one ExerciseError line naming the exercise and field."""

from __future__ import annotations

import numpy as np

from graders.engine.cases import case_book
from graders.engine.compare import Expected, expected_of, reference_data, split_output, tolerance
from graders.engine.function import FunctionExercise
from graders.engine.kind import ExerciseError
from graders.engine.values import format_array
from graders.engine.variants import VALUE, variant_table


def validate_function_exercise(exercise: FunctionExercise) -> None:
    check_examples(exercise)
    check_forms_accepted(exercise)
    check_model_is_reference(exercise)
    check_trace_steps(exercise)


def check_trace_steps(exercise: FunctionExercise) -> None:
    """Every step a catalog form names is a step of the exercise's trace."""
    named = [(m.code, f) for m in exercise.catalog for f in m.forms if f.step]
    if not named:
        return
    if exercise.trace is None:
        code, form = named[0]
        raise ExerciseError(exercise.name, f"catalog[{code!r}].{form.name}.step", "names a step, but the exercise has no trace")
    with np.errstate(all="ignore"):
        labels = [label for label, _ in exercise.trace(*exercise.examples[0].args)] if exercise.examples else []
    for code, form in named:
        if labels and form.step not in labels:
            raise ExerciseError(exercise.name, f"catalog[{code!r}].{form.name}.step",
                                f"{form.step!r} is not a step of the trace ({', '.join(labels)})")


def check_examples(exercise: FunctionExercise) -> None:
    for i, example in enumerate(exercise.examples):
        where = f"examples[{i}].expected"
        try:
            expected = expected_of(exercise, example.args)
        except Exception as exc:  # noqa: BLE001 - the reference fails on its own worked example
            raise ExerciseError(exercise.name, where, f"the reference raises {type(exc).__name__}: {exc}") from None
        if example.expected is None:
            if expected.raises is None:
                raise ExerciseError(exercise.name, where, "is None (raises) but the reference returns "
                                    + expected.show(exercise.part_names))
            continue
        if expected.raises is not None:
            raise ExerciseError(exercise.name, where, f"states an output but the reference raises {expected.raises}")
        stated = split_output(exercise, example.expected)
        same_shapes = tuple(p.shape for p in stated) == expected.shapes
        if not same_shapes or not _close(exercise, example.args, expected, stated):
            shown = "(" + ", ".join(format_array(p) for p in stated) + ")" if exercise.output_parts else format_array(stated[0])
            raise ExerciseError(exercise.name, where,
                                f"states {shown} but the reference gives {expected.show(exercise.part_names)}")


def _close(exercise, args, expected: Expected, stated) -> bool:
    flat = np.concatenate([p.ravel() for p in stated])
    return bool(np.all(np.abs(flat - expected.flat) <= tolerance(exercise, args, expected)))


def check_forms_accepted(exercise: FunctionExercise) -> None:
    """Where the model takes **kwargs, its signature cannot say which keywords it knows: call it."""
    if exercise.model_keywords is not None or not exercise.examples:
        return
    args = exercise.examples[0].args
    for m in exercise.catalog:
        for form in m.forms:
            try:
                exercise.model(*args, **form.overrides)
            except TypeError as exc:
                if "keyword" in str(exc):
                    raise ExerciseError(exercise.name, f"catalog[{m.code!r}].{form.name}",
                                        f"the model does not accept these overrides ({exc})") from None
            except Exception:  # noqa: BLE001 - a variant may raise on an example by design
                pass


def check_model_is_reference(exercise: FunctionExercise) -> None:
    """Without overrides, the model must be the reference on every shared case (it stands for it when the
    catalog's variants are computed)."""
    data = reference_data(exercise)
    table = variant_table(exercise, 0)
    book = case_book(exercise)
    for c, (case, exp, start) in enumerate(zip(book.cases, data.expected, data.starts)):
        status = table.status[0, c]
        if exp.raises is not None:
            ok = status != VALUE
        else:
            got = table.values[0, start:start + exp.size]
            with np.errstate(invalid="ignore"):
                ok = status == VALUE and bool(np.all(np.abs(got - exp.flat) <= data.flat_tol[start:start + exp.size]))
        if not ok:
            raise ExerciseError(exercise.name, "model", f"without overrides it disagrees with the reference on "
                                f"{exercise.call_text(case.args)} (case {case.set_name}[{case.index}])")
