"""The contract every registered exercise keeps, proved by the same code as `python -m graders check`
(graders/lint.py): the declaration agrees with the hidden reference, the reference gets full marks and the
stub zero without a crash, the cases are deterministic, every catalog form and pair is caught and named,
no two forms are indistinguishable, the public tests pass on the reference and fail on the stub and on
every form, the README states the reference's outputs, and the release leaks no line of a reference.

One test per exercise and step (each exercise kind says which steps apply); per-exercise test files keep
only what is specific to their exercise."""

from __future__ import annotations

import pytest

from graders.exercises import all_exercises
from graders.lint import lint

STEPS = [(e, step.name) for e in all_exercises() for step in e.lint_steps()]
_REPORTS: dict = {}


def report_of(exercise, sandbox):
    if exercise.name not in _REPORTS:
        _REPORTS[exercise.name] = {s.step: s for s in lint(exercise, sandbox=sandbox).steps}
    return _REPORTS[exercise.name]


def test_every_exercise_is_checked_with_every_step_of_its_kind():
    assert {e.name for e, _ in STEPS} == {e.name for e in all_exercises()}
    for exercise in all_exercises():
        names = [s.name for s in exercise.lint_steps()]
        assert names[:3] == ["declaration", "reference full marks", "stub zero, no crash"]
        assert "public tests" in names and "release leaks nothing" in names


@pytest.mark.parametrize(("exercise", "step"), STEPS, ids=[f"{e.name}-{s}" for e, s in STEPS])
def test_exercise_keeps_its_contract(exercise, step, sandbox):
    result = report_of(exercise, sandbox).get(step)
    assert result is not None, "an earlier step failed, so this one did not run"
    assert result.ok, result.detail
