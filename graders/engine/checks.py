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
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class CheckSpec:
    """A check as declared, before it is bound to its exercise. ``bind(exercise)`` gives the Check(s):
    a built-in derives its name and label from the exercise's data (a worked example gives one check per
    example), so a label never repeats a number that could drift from the data."""

    bind: Callable[..., Sequence[Check]]
    module: str
    depends: tuple[str, ...] = ()
    default_depends: bool = True  # depends on the exercise's first check (it loads) unless it is that check
    options: dict = field(default_factory=dict)


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


def check(*, points: int, depends=None, name: str | None = None):
    """Declare a custom check worth ``points``; the decorated function receives the check context and
    raises Failure (or Mismatch) to fail. Its docstring's first line is the learner's label. ``depends``:
    the checks (or their names) that must pass first; by default the exercise's first check."""
    validate_points(points, "check")

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        label = inspect.getdoc(fn)
        if not label:
            raise ValueError(f"check {fn.__name__!r}: needs a docstring: it is the learner-facing label")
        check_name = name or fn.__name__
        first_line = label.splitlines()[0]
        explicit = names_of(depends)
        register(CheckSpec(bind=lambda exercise: [Check(check_name, first_line, points, fn)],
                           module=fn.__module__, depends=explicit, default_depends=depends is None))
        return fn

    return wrap


def validate_points(points, where: str) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValueError(f"{where}: points must be a positive int, not {points!r}")


def bind_all(exercise, specs: Sequence[CheckSpec]) -> tuple[Check, ...]:
    """Concrete checks of an exercise, dependencies resolved (the first check: the one that loads)."""
    bound: list[Check] = []
    for spec in specs:
        for c in spec.bind(exercise):
            depends = spec.depends
            if spec.default_depends and bound:
                depends = (bound[0].name, *depends)
            bound.append(Check(c.name, c.label, c.points, c.run, tuple(dict.fromkeys(depends))))
    return tuple(bound)


# ------------------------------------------------------------------------------------------ running
def run_checks(checks: Sequence[Check], ctx) -> tuple[CheckResult, ...]:
    """Every check's result, in order. A check whose dependency did not pass is skipped, with its reason
    (the dependency's feedback when there is one, so a learner whose file did not load reads why)."""
    results: dict[str, CheckResult] = {}
    load = getattr(ctx, "load", None)
    if load is not None and not load.ok and checks:  # nothing to check: the first check says why
        first = run_check(checks[0], ctx)
        why = Feedback(load.detail)
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
