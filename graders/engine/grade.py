"""Grading one submission: the grader holds the reference and the cases, the sandboxed worker runs the
learner's function, and everything learner-supplied is judged here, in the grader process."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graders.engine import messages as M
from graders.engine.cases import Case, CaseBook, case_book, complexity, generator_version, shrink_candidates
from graders.engine.compare import (
    STRUCTURAL_REASONS,
    Expected,
    Verdict,
    coerce,
    expected_of,
    judge,
    judge_book,
    reference_data,
    show_parts,
    where_in_parts,
)
from graders.engine.diagnose import RAISED, explain
from graders.engine.exercise import Exercise
from graders.engine.results import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    CheckResult,
    Counterexample,
    Diagnosis,
    Failure,
    Feedback,
    GradeReport,
    Mismatch,
    Output,
)
from graders.engine.values import NOT_RUN, Outcome, Value, clean_text, decode_outcome
from graders.sandbox.launcher import Sandbox, WorkerLost
from graders.submission import MAX_SOURCE_BYTES

MAX_SHRINK_ROUNDS = 40
SHRINK_CHUNK = 12


@dataclass(frozen=True, eq=False)
class Load:
    ok: bool
    code: str | None = None  # structural code when not ok
    detail: str = ""


@dataclass(frozen=True, eq=False)
class Trial:
    case: Case
    expected: Expected
    outcome: Outcome
    verdict: Verdict


class CheckContext:
    """What a check can look at. Its helpers raise Failure/Mismatch; checks never print."""

    def __init__(self, exercise: Exercise, load: Load, trials: list[Trial], counterexample: Counterexample | None,
                 end_detail: str):
        self.exercise = exercise
        self.load = load
        self.trials = trials
        self.counterexample = counterexample
        self.end_detail = end_detail

    def require_loaded(self) -> None:
        if not self.load.ok:
            raise Failure(self.load.detail, help=self.hint_for(self.load.code))

    def hint_for(self, code: str | None) -> str:
        return ""

    def require_callable(self) -> None:
        """Loaded, and at least one call returned (an untouched stub never does)."""
        self.require_loaded()
        if not any(t.outcome.kind == "returned" for t in self.trials):
            first = self.trials[0]
            if first.outcome.kind == "raised":
                raise Failure(M.NEVER_RETURNED.format(function=self.exercise.function, error=first.outcome.error.short()),
                              help=first.outcome.error.traceback)
            raise Failure(M.NEVER_RETURNED.format(function=self.exercise.function, error=self.end_detail or "no result"))

    def of_set(self, name: str) -> list[Trial]:
        return [t for t in self.trials if t.case.set_name == name]

    def describe_failure(self, trial: Trial) -> Failure:
        call = self.exercise.call_text(trial.case.args)
        o, v = trial.outcome, trial.verdict
        if v.reason == "not_run":
            return Failure(M.NOT_RUN_RATIONALE.format(call=call, reason=self.end_detail), call=call,
                           counterexample=self.counterexample)
        expected = trial.expected.show(self.exercise.part_names)
        if v.reason in ("raised", "wrong_error"):
            rationale = M.RAISED_RATIONALE.format(call=call, error=o.error.short())
            if v.reason == "wrong_error":
                rationale += M.WRONG_ERROR_DETAIL.format(expected=trial.expected.raises)
            return Failure(rationale, help=o.error.traceback, call=call, counterexample=self.counterexample)
        value = part_value(self.exercise, o.value, v.part)
        of = f"{v.part} " if v.part else ""
        if v.reason == "should_raise":
            actual = o.value.show()
        elif v.reason == "not_an_array":
            actual = f"{of}{value.describe()} {value.show()}"
            expected = f"{expected_type(self.exercise)} {expected}"
        elif v.reason == "wrong_shape":
            actual = f"{of}shape {value.shape} {value.show()}"
            expected = f"{of}shape {expected_shape(self.exercise, trial.expected, v.part)} {expected}"
        elif v.reason == "wrong_dtype":
            actual = f"{of}dtype {value.dtype} {value.show()}"
            expected = f"a float dtype {expected}"
        else:
            actual = show_value(self.exercise, o.value)
        return Mismatch(expected, actual, rationale=M.MISMATCH_RATIONALE.format(call=call, actual=actual, expected=expected),
                        call=call, counterexample=self.counterexample)

    def expect_correct(self, trials: list[Trial]) -> None:
        self.require_loaded()
        failing = [t for t in trials if not t.verdict.ok]
        if failing:
            raise self.describe_failure(min(failing, key=lambda t: complexity(t.case.args)))

    # ------------------------------------------------------------------ helpers checks call
    def expect_example(self, index: int) -> None:
        self.expect_correct([self.of_set("examples")[index]])

    def expect_agreement(self, *set_names: str) -> None:
        trials = [t for name in set_names for t in self.of_set(name)]
        if not trials:
            raise RuntimeError(f"no cases in {set_names}")  # a grader bug: reported as an error, not a failure
        self.expect_correct(trials)

    def expect_array_of_output_shape(self) -> None:
        self.require_loaded()
        returned = [t for t in self.trials if t.outcome.kind == "returned"]
        if not returned:
            raise Failure(f"{self.exercise.function} never returned a value", call="")
        bad = [t for t in returned if t.verdict.reason in STRUCTURAL_REASONS]
        if bad:
            raise self.describe_failure(min(bad, key=lambda t: complexity(t.case.args)))

    def expect_inputs_unmodified(self) -> None:
        self.require_loaded()
        returned = [t for t in self.trials if t.outcome.kind == "returned"]
        if not returned:
            raise Failure(f"{self.exercise.function} never returned a value")
        for t in returned:
            if t.outcome.mutated:
                call = self.exercise.call_text(t.case.args)
                raise Failure(M.MUTATION_RATIONALE.format(call=call, names=", ".join(t.outcome.mutated)),
                              help="Use expressions like `a = np.maximum(0, w1 @ x)` that build new arrays.", call=call)


def part_value(exercise: Exercise, value: Value, part: str) -> Value:
    """The element of a returned tuple a verdict is about (the value itself for single-array exercises)."""
    if part and value.kind == "sequence" and part in exercise.part_names:
        items = value.items
        index = exercise.part_names.index(part)
        if index < len(items):
            return items[index]
    return value


def expected_type(exercise: Exercise) -> str:
    if exercise.output_parts:
        return M.TUPLE_EXPECTED.format(count=len(exercise.output_parts), names=", ".join(exercise.part_names))
    return "numpy.ndarray"


def expected_shape(exercise: Exercise, expected: Expected, part: str) -> tuple[int, ...]:
    names = exercise.part_names
    return expected.shapes[names.index(part)] if part in names else expected.shapes[0]


def show_value(exercise: Exercise, value: Value) -> str:
    if exercise.output_parts and value.kind == "sequence" and len(value.items) == len(exercise.output_parts):
        return show_parts([i.array if i.array is not None else np.nan for i in value.items], exercise.part_names)
    return value.show()


# ---------------------------------------------------------------------------------------------- grade
def grade_source(exercise: Exercise, source: str, *, sandbox: Sandbox, submission: str = "") -> GradeReport:
    """Grade one submission. If the sandbox's worker fails (never the learner's doing: a learner cannot
    reach it), it is replaced and the submission graded again, so no learner gets a 0 it did not earn."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        return too_large_report(exercise, len(source.encode("utf-8", "surrogatepass")), submission)
    if exercise.grade_hook is not None:
        return exercise.grade_hook(exercise, source, sandbox=sandbox, submission=submission)
    for attempt in range(3):
        try:
            return _grade_once(exercise, source, sandbox=sandbox, submission=submission)
        except WorkerLost:
            if attempt == 2:
                raise
            sandbox.restart()
    raise AssertionError("unreachable")


def result_budgets(exercise: Exercise) -> list[int]:
    """How many numbers each shared case may send back: what the reference returns, with room for a
    wrong shape (a (n, n) broadcast instead of (n,) is still shown as such, never held in full)."""
    return [4 * e.size + 64 for e in reference_data(exercise).expected]


def _grade_once(exercise: Exercise, source: str, *, sandbox: Sandbox, submission: str) -> GradeReport:
    started = time.monotonic()
    book = case_book(exercise)
    data = reference_data(exercise)
    expected = data.expected
    module = Path(exercise.stub).stem or exercise.name
    shrunk = None
    budgets = result_budgets(exercise)
    sandbox.preload(book.digest, [c.args for c in book.cases], budgets)
    with sandbox.session(source=source, filename=f"{module}.py", module=module, function=exercise.function,
                         parameters=exercise.parameters) as session:
        raw = session.call_preloaded(book.digest)
        outcomes = [decode_outcome(r, exercise.parameters) for r in raw[: len(book.cases)]]
        outcomes += [NOT_RUN] * (len(book.cases) - len(outcomes))
        verdicts = judge_book(exercise, outcomes)
        trials = [Trial(c, e, o, v) for c, e, o, v in zip(book.cases, expected, outcomes, verdicts)]
        failing = [i for i, t in enumerate(trials) if not t.verdict.ok and t.verdict.reason != "not_run"]
        if failing and session.ended is None:
            start = trials[min(failing, key=lambda i: data.complexity[i])]
            shrunk = shrink(exercise, session, start, max(budgets))
    load = load_status(exercise, session, trials)
    end_detail = ended_detail(exercise, session.ended, trials, book)
    output = Output(clean_text(session.closed.get("stdout"), 1 << 20), clean_text(session.closed.get("stderr"), 1 << 20),
                    int(session.closed.get("stdout_bytes") or 0), int(session.closed.get("stderr_bytes") or 0))
    diagnoses, worst = diagnose(exercise, load, session.ended, end_detail, trials,
                                time_limit=sandbox.limits.time, memory_limit=sandbox.limits.memory)
    counterexample = make_counterexample(exercise, shrunk, diagnoses)
    ctx = CheckContext(exercise, load, trials, counterexample, end_detail)
    checks = tuple(run_check(check, ctx) for check in exercise.checks)
    return GradeReport(
        exercise=exercise.name, version=exercise.version, submission=submission, seed=exercise.seed,
        cases_digest=book.digest, generator=generator_version(), checks=checks, diagnoses=tuple(diagnoses),
        counterexample=counterexample, output=output, sandbox=sandbox.mode or "", elapsed=time.monotonic() - started,
        worst_error=worst, sandbox_note=sandbox.note,
    )


def too_large_report(exercise: Exercise, size: int, submission: str = "") -> GradeReport:
    """A submission over the size limit: graded 0 with the code too_large, never loaded."""
    message = M.QUIZ_STRUCTURAL["too_large"].format(size=size, limit=MAX_SOURCE_BYTES)
    checks = tuple(CheckResult(c.name, c.label, c.points, FAILED if i == 0 else SKIPPED, Feedback(message) if i == 0 else None)
                   for i, c in enumerate(exercise.checks))
    return GradeReport(exercise=exercise.name, version=exercise.version, submission=submission, seed=exercise.seed,
                       cases_digest="", generator="", checks=checks, diagnoses=(Diagnosis("too_large", message),))


def run_check(check, ctx: CheckContext) -> CheckResult:
    try:
        check.run(ctx)
    except Failure as failure:
        status = SKIPPED if (not ctx.load.ok and check.name != ctx.exercise.checks[0].name) else FAILED
        return CheckResult(check.name, check.label, check.points, status, feedback_of(failure))
    except Exception as exc:  # noqa: BLE001 - a crash inside a check is the grader's fault, reported as such
        return CheckResult(check.name, check.label, check.points, ERROR,
                           Feedback(M.CHECK_CRASHED.format(error=f"{type(exc).__name__}: {exc}")))
    return CheckResult(check.name, check.label, check.points, PASSED)


def feedback_of(failure: Failure) -> Feedback:
    if isinstance(failure, Mismatch):
        return Feedback(failure.rationale, failure.help, failure.call, failure.expected, failure.actual,
                        failure.counterexample)
    return Feedback(failure.rationale, failure.help, failure.call, counterexample=failure.counterexample)


# ------------------------------------------------------------------------------------------ shrinking
def shrink(exercise: Exercise, session, trial: Trial, budget: int) -> tuple[tuple[np.ndarray, ...], Outcome]:
    """Greedy, batched shrinking against the live session: each round sends every simpler candidate
    in one round trip and keeps the first that still fails."""
    current, current_outcome = trial.case.args, trial.outcome
    for _ in range(MAX_SHRINK_ROUNDS):
        candidates = [c for c in shrink_candidates(exercise, current) if complexity(c) < complexity(current)
                      and (exercise.admissible is None or exercise.admissible(*c))]
        found = None
        # small chunks: the first simpler failing candidate is usually among the first few
        for chunk_start in range(0, len(candidates), SHRINK_CHUNK):
            if session.ended is not None:
                break
            chunk = candidates[chunk_start:chunk_start + SHRINK_CHUNK]
            for args, r in zip(chunk, session.call([list(c) for c in chunk], budget)):
                outcome = decode_outcome(r, exercise.parameters)
                try:
                    expected = expected_of(exercise, args)
                except Exception:  # noqa: BLE001 - an input the reference does not accept is no counterexample
                    continue
                if not judge(exercise, args, expected, outcome).ok:
                    found = (args, outcome)
                    break
            if found is not None:
                break
        if found is None:
            break
        current, current_outcome = found
    return current, current_outcome


def make_counterexample(exercise: Exercise, shrunk, diagnoses: list[Diagnosis]) -> Counterexample | None:
    if shrunk is None:
        return None
    args, outcome = shrunk
    expected = expected_of(exercise, args)
    if outcome.kind == "raised":
        actual = f"raised {outcome.error.short()}"
    elif outcome.kind == "returned":
        value = outcome.value
        fits = coerce(exercise, value, expected) is not None and (
            exercise.output_parts or (value.kind == "ndarray" and value.shape == expected.shapes[0]))
        actual = show_value(exercise, value) if fits else f"{value.describe()} {value.show()}"
    else:
        actual = "no result"
    catalogued = [d for d in diagnoses if d.code in exercise.codes]
    explanation = "; ".join(d.detail or d.message for d in catalogued)
    return Counterexample(call=exercise.call_text(args),
                          args={p: (np.asarray(a).tolist() if isinstance(a, np.ndarray) else a)
                                for p, a in zip(exercise.parameters, args)},
                          expected=expected.show(exercise.part_names), actual=actual, explanation=explanation)


# ------------------------------------------------------------------------------------------ diagnosis
def load_status(exercise: Exercise, session, trials: list[Trial]) -> Load:
    loaded = session.loaded
    fn = exercise.function
    if loaded.get("ok"):
        return Load(True)
    code = loaded.get("code")
    error = loaded.get("error") or {}
    if code == "syntax_error":
        text = f" ({error.get('text')})" if error.get("text") else ""
        return Load(False, code, M.STRUCTURAL[code].format(detail=f"line {error.get('lineno')}: {error.get('message')}{text}"))
    if code in ("import_error", "raises", "memory_limit"):
        detail = f"{error.get('type')}: {error.get('message')} {M.PHASE_LOADING}"
        if code == "memory_limit":
            return Load(False, code, M.STRUCTURAL[code].format(limit=human_bytes(session.sandbox.limits.memory), detail=detail))
        return Load(False, code, M.STRUCTURAL[code].format(function=fn, detail=detail))
    if code == "missing_function":
        names = loaded.get("defined") or []
        extra = M.MISSING_FUNCTION_DEFINED.format(names=", ".join(names)) if names else ""
        return Load(False, code, M.STRUCTURAL[code].format(function=fn, detail=extra))
    if code == "wrong_signature":
        return Load(False, code, M.STRUCTURAL[code].format(function=fn, parameters=", ".join(exercise.parameters),
                                                            detail=loaded.get("signature", "(?)")))
    ended = session.ended or {}
    reason = ended.get("reason")
    if reason in ("timeout", "cpu_limit"):
        return Load(False, "timeout", M.STRUCTURAL["timeout"].format(
            limit=session.sandbox.limits.time, detail=M.TIMEOUT_DETAIL.format(phase=M.PHASE_LOADING)))
    return Load(False, "crashed", M.STRUCTURAL["crashed"].format(detail=crash_text(ended, M.PHASE_LOADING)))


def crash_text(ended: dict, phase: str) -> str:
    reason = ended.get("reason")
    if reason == "signal":
        return M.CRASH_SIGNAL.format(name=ended.get("signal_name", "?"), phase=phase)
    if reason == "exited":
        return M.CRASH_EXIT.format(code=ended.get("exit_code"), phase=phase)
    if reason == "worker_lost":
        return f"{M.WORKER_LOST} {phase}"
    if reason == "protocol":
        return f"{M.PROTOCOL_VIOLATION.format(detail=ended.get('detail') or 'sent malformed data')} {phase}"
    if reason == "killed":
        return f"{M.CRASH_KILLED} {phase}"
    return f"{ended.get('detail') or reason} {phase}"


def ended_detail(exercise: Exercise, ended: dict | None, trials: list[Trial], book: CaseBook) -> str:
    if not ended:
        return ""
    done = sum(1 for t in trials if t.outcome.kind != "not_run")
    if done < len(trials):
        phase = M.PHASE_CALL.format(index=done + 1, call=exercise.call_text(trials[done].case.args))
    else:
        phase = M.PHASE_BETWEEN.format(count=done)
    if ended.get("reason") in ("timeout", "cpu_limit"):
        return M.TIMEOUT_DETAIL.format(phase=phase)
    return crash_text(ended, phase)


def human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:g} {unit}"
        n /= 1024
    return f"{n:g} TiB"


def diagnose(exercise: Exercise, load: Load, ended: dict | None, end_detail: str, trials: list[Trial], *,
             time_limit: float, memory_limit: int) -> tuple[list[Diagnosis], str]:
    fn = exercise.function
    if not load.ok:
        return [Diagnosis(load.code or "crashed", load.detail)], ""
    out: list[Diagnosis] = []
    if ended and ended.get("reason") in ("timeout", "cpu_limit"):
        out.append(Diagnosis("timeout", M.STRUCTURAL["timeout"].format(limit=time_limit, detail=end_detail)))
    elif ended and any(t.outcome.kind == "not_run" for t in trials):
        out.append(Diagnosis("crashed", M.STRUCTURAL["crashed"].format(detail=end_detail)))
    memory = [t for t in trials if t.outcome.kind == "raised" and t.outcome.error.is_memory]
    if memory:
        out.append(Diagnosis("memory_limit", M.STRUCTURAL["memory_limit"].format(
            limit=human_bytes(memory_limit), detail=f"{memory[0].outcome.error.short()} in {exercise.call_text(memory[0].case.args)}")))
    returned = [t for t in trials if t.outcome.kind == "returned"]
    structural = {
        "not_an_array": [t for t in returned if t.verdict.reason == "not_an_array"],
        "wrong_shape": [t for t in returned if t.verdict.reason == "wrong_shape"],
        "wrong_dtype": [t for t in returned if t.verdict.reason == "wrong_dtype"],
        "non_finite": [t for t in returned if t.verdict.reason == "non_finite"],
    }
    for code, bad in structural.items():
        if not bad:
            continue
        t = min(bad, key=lambda t: complexity(t.case.args))
        part = t.verdict.part
        value = part_value(exercise, t.outcome.value, part)
        if code == "not_an_array":
            detail = M.TYPE_DETAIL.format(actual=value.describe())
        elif code == "wrong_shape":
            detail = M.SHAPE_DETAIL.format(actual=value.shape, expected=expected_shape(exercise, t.expected, part))
        elif code == "wrong_dtype":
            detail = value.dtype
        else:
            detail = f"{exercise.call_text(t.case.args)} returned {show_value(exercise, t.outcome.value)}"
        key = "not_an_array_part" if code == "not_an_array" and part else code
        if exercise.output_parts and key in M.STRUCTURAL_OF_PART:
            message = M.STRUCTURAL_OF_PART[key].format(function=fn, part=part, detail=detail,
                                                        expected=expected_type(exercise))
        else:
            message = M.STRUCTURAL[code].format(function=fn, detail=detail)
        out.append(Diagnosis(code, message))
    mutated = sorted({name for t in returned for name in t.outcome.mutated})
    if mutated:
        out.append(Diagnosis("mutates_input", M.STRUCTURAL["mutates_input"].format(function=fn, detail=", ".join(mutated))))

    # behaviour: which catalogued mistakes reproduce every output?
    observed: list = []
    for t in trials:
        if t.outcome.kind == "raised" and not t.outcome.error.is_memory:
            observed.append(RAISED)
        elif t.outcome.kind == "returned":
            observed.append(coerce(exercise, t.outcome.value, t.expected))
        else:
            observed.append(None)
    values_wrong = [t for t in trials if t.verdict.reason in ("values", "raised", "non_finite", "should_raise", "wrong_error")
                    or (t.verdict.reason in STRUCTURAL_REASONS and not _same_numbers(exercise, t))]
    raised = [t for t in trials if t.outcome.kind == "raised" and not t.outcome.error.is_memory and not t.verdict.ok]
    worst = ""
    if values_wrong or raised:
        variant, raised_unexplained = explain(exercise, observed)
        if variant is not None:
            for mistake, form in variant.parts:
                out.append(Diagnosis(mistake.code, mistake.hint, form.detail))
        # the reference itself "matches" an error of the wrong kind where one is expected: still name it
        if raised and (variant is None or raised_unexplained or not variant.parts):
            t = raised[0]
            out.append(Diagnosis("raises", M.STRUCTURAL["raises"].format(function=fn, detail=M.RAISED_DETAIL.format(
                error=t.outcome.error.short(), count=len(raised), total=len(trials),
                call=exercise.call_text(t.case.args)))))
        if variant is None and any(t.outcome.kind == "returned" for t in values_wrong):
            worst = worst_error(exercise, values_wrong)
            out.append(Diagnosis("unknown", M.STRUCTURAL["unknown"].format(detail=worst)))
    if not out and any(not t.verdict.ok for t in trials):
        out.append(Diagnosis("unknown", M.STRUCTURAL["unknown"].format(detail="")))
    return out, worst


def _same_numbers(exercise: Exercise, trial: Trial) -> bool:
    got = coerce(exercise, trial.outcome.value, trial.expected)
    return got is not None and bool(np.allclose(got, trial.expected.flat, rtol=1e-4, atol=1e-8))


def worst_error(exercise: Exercise, trials: list[Trial]) -> str:
    best = None
    for t in trials:
        if t.expected.raises is not None or t.outcome.kind != "returned":
            continue
        got = coerce(exercise, t.outcome.value, t.expected)
        if got is None:
            continue
        err = np.abs(got - t.expected.flat)
        err = np.where(np.isfinite(err), err, np.inf)
        i = int(np.argmax(err))
        if best is None or err[i] > best[0]:
            best = (float(err[i]), i, t)
    if best is None:
        return ""
    error, i, t = best
    part, where = where_in_parts(exercise, t.expected, i)
    index = where[0] if len(where) == 1 else where
    return M.UNKNOWN_DETAIL.format(error=error, where=f"{index} of {part}" if part else index,
                                   call=exercise.call_text(t.case.args))
