"""Grading one submission of a function exercise: the grader holds the reference and the cases, the
sandboxed runner runs the learner's function, and everything learner-supplied is judged here.

``grade_source`` is the entry point for every kind: it refuses what is too large to grade, makes sure the
exercise's declaration is sound (once), and asks the exercise to grade. A worker lost on the way (never the
learner's doing) is replaced and the submission graded again, so no learner gets a 0 it did not earn."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

from graders.engine import messages as M
from graders.engine.cases import case_book, generator_version
from graders.engine.checks import run_checks
from graders.engine.compare import judge_book, reference_data
from graders.engine.context import CheckContext, Trial
from graders.engine.diagnose import diagnose, ended_detail, load_status
from graders.engine.evidence import with_evidence
from graders.engine.function import FunctionExercise
from graders.engine.kind import Exercise
from graders.engine.results import FAILED, SKIPPED, CheckResult, Diagnosis, Feedback, GradeReport, Output
from graders.engine.runner import Runner, WorkerLost
from graders.engine.shrink import make_counterexample, shrink
from graders.engine.values import NOT_RUN, clean_text, decode_outcome
from graders.submission import MAX_SOURCE_BYTES

ATTEMPTS = 3


def grade_source(exercise: Exercise, source: str, *, sandbox: Runner | None = None, submission: str = "") -> GradeReport:
    """The report of one submission (``sandbox``: the runner its code runs in; a quiz needs none)."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        return too_large_report(exercise, size, submission)
    validated(exercise)
    for attempt in range(ATTEMPTS):
        try:
            return exercise.grade(source, sandbox=sandbox, submission=submission)
        except WorkerLost:
            if attempt == ATTEMPTS - 1 or sandbox is None:
                raise
            sandbox.restart()
    raise AssertionError("unreachable")


@cache
def validated(exercise: Exercise) -> Exercise:
    """The exercise, once its declaration has passed the checks that need the hidden reference."""
    exercise.validate()
    return exercise


@cache
def result_budgets(exercise: FunctionExercise) -> tuple[int, ...]:
    """How many numbers each shared case may send back: what the reference returns, with room for a
    wrong shape (a (n, n) broadcast instead of (n,) is still shown as such, never held in full)."""
    return tuple(4 * e.size + 64 for e in reference_data(exercise).expected)


def grade_function(exercise: FunctionExercise, source: str, *, runner: Runner, submission: str) -> GradeReport:
    started = time.monotonic()
    book = case_book(exercise)
    data = reference_data(exercise)
    module = Path(exercise.stub).stem or exercise.name
    shrunk = None
    budgets = result_budgets(exercise)
    runner.preload(book.digest, [c.args for c in book.cases], budgets)
    with runner.session(source=source, filename=f"{module}.py", module=module, function=exercise.function,
                        parameters=exercise.parameters) as session:
        raw = session.call_preloaded(book.digest)
        outcomes = [decode_outcome(r, exercise.parameters) for r in raw[: len(book.cases)]]
        outcomes += [NOT_RUN] * (len(book.cases) - len(outcomes))
        verdicts = judge_book(exercise, outcomes)
        trials = [Trial(c, e, o, v) for c, e, o, v in zip(book.cases, data.expected, outcomes, verdicts)]
        failing = [i for i, t in enumerate(trials) if not t.verdict.ok and t.verdict.reason != "not_run"]
        if failing and session.ended is None:
            start = trials[min(failing, key=lambda i: data.complexity[i])]
            shrunk = shrink(exercise, session, start, max(budgets))
        load = load_status(exercise, session, runner.limits)
        end_detail = ended_detail(exercise, session.ended, trials, book)
        diagnoses, worst = diagnose(exercise, load, session.ended, end_detail, trials,
                                    time_limit=runner.limits.time, memory_limit=runner.limits.memory)
        if session.ended is None:  # each named mistake, shown on the input where it alone changes the result
            diagnoses = with_evidence(exercise, diagnoses, lambda inputs: [
                decode_outcome(r, exercise.parameters) for r in session.call([list(a) for a in inputs], max(budgets))])
    closed = session.closed
    output = Output(clean_text(closed.get("stdout"), 1 << 20), clean_text(closed.get("stderr"), 1 << 20),
                    int(closed.get("stdout_bytes") or 0), int(closed.get("stderr_bytes") or 0))
    counterexample = make_counterexample(exercise, shrunk, diagnoses)
    checks = run_checks(exercise.checks, CheckContext(exercise, load, trials, counterexample, end_detail))
    return GradeReport(
        exercise=exercise.name, version=exercise.version, submission=submission, seed=exercise.seed,
        cases_digest=book.digest, generator=generator_version(), checks=checks, diagnoses=tuple(diagnoses),
        counterexample=counterexample, output=output, sandbox=runner.mode or "", elapsed=time.monotonic() - started,
        worst_error=worst, sandbox_note=runner.note,
    )


def too_large_report(exercise: Exercise, size: int, submission: str = "") -> GradeReport:
    """A submission over the size limit: graded 0 with the code too_large, never loaded."""
    message = M.QUIZ_STRUCTURAL["too_large"].format(size=size, limit=MAX_SOURCE_BYTES)
    checks = tuple(CheckResult(c.name, c.label, c.points, FAILED if i == 0 else SKIPPED,
                               Feedback(message) if i == 0 else None) for i, c in enumerate(exercise.checks))
    return GradeReport(exercise=exercise.name, version=exercise.version, submission=submission, seed=exercise.seed,
                       cases_digest="", generator="", checks=checks, diagnoses=(Diagnosis("too_large", message),))
