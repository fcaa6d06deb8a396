"""Checks: small functions worth points, whose docstring is the learner's label (as in check50).

A grader module declares its checks in the order learners read them, with no second list to keep in sync:
``@check(points=2, depends=...)`` on a custom check, or a built-in (see graders/engine/builtins.py), both
register in the module that declares them, and the exercise declared in that module takes them in
definition order. A check whose dependency did not pass is skipped and says which one. Checks never print:
they pass by returning and fail by raising Failure or Mismatch (data the reporters render).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from graders.engine import messages as M
from graders.engine.results import ERROR, FAILED, PASSED, SKIPPED, CheckResult, Failure, Feedback, Mismatch


@dataclass(frozen=True)
class Check:
    """A graded check of one exercise: ``run(ctx)`` raises Failure to fail."""

    name: str
    label: str
    points: int
    run: Callable[..., None]
    depends: tuple[str, ...] = ()
    judges: str = "values"  # "structure": it judges the result's container, type and shape, not its values
    visibility: str = "all"  # what learners see before the due date (VISIBILITY_LEVELS)


@dataclass(frozen=True)
class CheckSpec:
    """A check as declared, before it is bound to its exercise. ``bind(exercise)`` gives the Check(s):
    a built-in derives its name and label from the exercise's data (a worked example gives one check per
    example), so a label never repeats a number that could drift from the data."""

    bind: Callable[..., Sequence[Check]]
    module: str
    depends: tuple[str, ...] = ()
    visibility: str = "all"


# What learners see of a check before the due date: everything, the result without the failing case, or
# nothing until after the due date (graders/report/visibility.py applies it to learner outputs).
VISIBILITY_LEVELS = ("all", "result", "after_due")


def validate_visibility(level, where: str) -> None:
    if level not in VISIBILITY_LEVELS:
        raise ValueError(f"{where}: visibility must be one of {', '.join(VISIBILITY_LEVELS)}, not {level!r}")


_DECLARED: dict[str, list[CheckSpec]] = {}  # module -> its checks, in definition order


def register(spec: CheckSpec) -> CheckSpec:
    _DECLARED.setdefault(spec.module, []).append(spec)
    return spec


def declared_in(module: str) -> list[CheckSpec]:
    """The checks declared in ``module``, in order; they are taken (a reloaded module declares afresh)."""
    return _DECLARED.pop(module, [])


def caller_module(depth: int = 2) -> str:
    """The module ``depth`` frames up (2: the caller of the function that calls this)."""
    return sys._getframe(depth).f_globals.get("__name__", "?")


def names_of(depends) -> tuple[str, ...]:
    if depends is None:
        return ()
    items = depends if isinstance(depends, (tuple, list)) else (depends,)
    out = []
    for item in items:
        name = item if isinstance(item, str) else getattr(item, "__name__", None) or getattr(item, "name", None)
        if not isinstance(name, str):
            raise ValueError(f"depends: {item!r} is not a check or a check's name")
        out.append(name)
    return tuple(out)


def check(*, points: int, depends=None, name: str | None = None, visibility: str = "all"):
    """Declare a custom check worth ``points``; the decorated function receives the check context and
    raises Failure (or Mismatch) to fail. Its docstring's first line is the learner's label. ``depends``:
    the checks (or their names) that must pass first. Whatever it depends on, no check runs when the file
    did not load or the function never returned (the first check then says why). ``visibility``: what
    learners see before the due date (VISIBILITY_LEVELS)."""
    validate_points(points, "check")
    validate_visibility(visibility, "check")

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        label = inspect.getdoc(fn)
        if not label:
            raise ValueError(f"check {fn.__name__!r}: needs a docstring: it is the learner-facing label")
        check_name = name or fn.__name__
        first_line = label.splitlines()[0]
        explicit = names_of(depends)
        register(CheckSpec(bind=lambda exercise: [Check(check_name, first_line, points, fn)],
                           module=fn.__module__, depends=explicit, visibility=visibility))
        return fn

    return wrap


def validate_points(points, where: str) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValueError(f"{where}: points must be a positive int, not {points!r}")


def bind_all(exercise, specs: Sequence[CheckSpec]) -> tuple[Check, ...]:
    """Concrete checks of an exercise, in declaration order."""
    bound: list[Check] = []
    for spec in specs:
        for c in spec.bind(exercise):
            bound.append(replace(c, depends=tuple(dict.fromkeys(spec.depends)), visibility=spec.visibility))
    return tuple(bound)


# ------------------------------------------------------------------------------------------ running
def run_checks(checks: Sequence[Check], ctx) -> tuple[CheckResult, ...]:
    """Every check's result, in order. When nothing can be checked (the context's gate: the file did not
    load, or the function never returned) the first check fails saying why and the others are skipped with
    the same reason; a check whose dependency did not pass is skipped, naming it."""
    return tuple(replace(r, visibility=c.visibility) for r, c in zip(_results(checks, ctx), checks))


def _results(checks: Sequence[Check], ctx) -> tuple[CheckResult, ...]:
    results: dict[str, CheckResult] = {}
    gate = ctx.gate_failure()
    if gate is not None and checks:
        why = feedback_of(gate)
        first = CheckResult(checks[0].name, checks[0].label, checks[0].points, FAILED, why)
        return (first, *(CheckResult(c.name, c.label, c.points, SKIPPED, why) for c in checks[1:]))
    for c in checks:
        blocking = [results[d] for d in c.depends if d in results and not results[d].passed]
        if blocking:
            first = blocking[0]
            why = first.feedback.rationale if first.feedback else ""
            reason = M.SKIPPED_BECAUSE.format(label=first.label) + (f" {why}" if why else "")
            results[c.name] = CheckResult(c.name, c.label, c.points, SKIPPED, Feedback(reason))
            continue
        results[c.name] = run_check(c, ctx)
    return tuple(results[c.name] for c in checks)


def run_check(c: Check, ctx) -> CheckResult:
    try:
        c.run(ctx)
    except Failure as failure:
        return CheckResult(c.name, c.label, c.points, FAILED, feedback_of(failure))
    except Exception as exc:  # noqa: BLE001 - a crash inside a check is the grader's fault, reported as such
        return CheckResult(c.name, c.label, c.points, ERROR,
                           Feedback(M.CHECK_CRASHED.format(error=f"{type(exc).__name__}: {exc}")))
    return CheckResult(c.name, c.label, c.points, PASSED)


def feedback_of(failure: Failure) -> Feedback:
    if isinstance(failure, Mismatch):
        return Feedback(failure.rationale, failure.help, failure.call, failure.expected, failure.actual,
                        failure.counterexample)
    return Feedback(failure.rationale, failure.help, failure.call, counterexample=failure.counterexample)
