"""Diagnosis: what went wrong, as data. Structural codes (the file did not load, the result has the wrong
type or shape, the code timed out, ...) and the simplest combination of catalogued mistakes that
reproduces every output (graders/engine/variants.py), or `unknown` with the largest error and where."""

from __future__ import annotations

import numpy as np

from graders.engine import messages as M
from graders.engine.cases import CaseBook
from graders.engine.compare import STRUCTURAL_REASONS, coerce, tolerance, where_in_parts
from graders.engine.context import (
    Load,
    Trial,
    container_message,
    expected_shape,
    expected_type,
    part_value,
    show_value,
    simplest,
)
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.results import Diagnosis
from graders.engine.variants import RAISED, explain


def load_status(exercise: Exercise, session, limits) -> Load:
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
        error_text = f"{error.get('type')}: {error.get('message')}" if error.get("message") else f"{error.get('type')}"
        line = f" (line {error['lineno']})" if isinstance(error.get("lineno"), int) else ""
        if code == "memory_limit":
            detail = f"{error_text} {M.PHASE_LOADING}"
            return Load(False, code, M.STRUCTURAL[code].format(limit=human_bytes(limits.memory), detail=detail))
        if error.get("is_exit"):  # the file itself exits when imported: say so, not that the function raised
            return Load(False, "exits", M.LOAD_EXITED.format(line=line, error=error_text))
        template = M.LOAD_IMPORT_ERROR if code == "import_error" else M.LOAD_RAISED
        return Load(False, code, template.format(line=line, error=error_text))
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
            limit=limits.time, detail=M.TIMEOUT_DETAIL.format(phase=M.PHASE_LOADING)))
    if reason == "memory_limit":
        return Load(False, "memory_limit", M.STRUCTURAL["memory_limit"].format(
            limit=human_bytes(limits.memory), detail=M.MEMORY_KILLED.format(phase=M.PHASE_LOADING)))
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
    if ended.get("reason") == "memory_limit":
        return M.MEMORY_KILLED.format(phase=phase)
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
    elif ended and ended.get("reason") == "memory_limit":
        out.append(Diagnosis("memory_limit", M.STRUCTURAL["memory_limit"].format(limit=human_bytes(memory_limit),
                                                                                 detail=end_detail)))
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
        t = simplest(bad)
        part = t.verdict.part
        value = part_value(exercise, t.outcome.value, part)
        if code == "not_an_array":
            detail = M.TYPE_DETAIL.format(actual=value.describe())
        elif code == "wrong_shape":
            shape = expected_shape(exercise, t.expected, part)
            detail = M.SHAPE_DETAIL.format(actual=value.shape, expected=shape)
            if all(_same_numbers(exercise, b) for b in bad):
                detail += M.WRONG_SHAPE_SAME_VALUES.format(expected=shape)
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
    wrapped = [t for t in returned if t.verdict.container and t.verdict.container not in {d.code for d in out}]
    if wrapped:  # the numbers are right but their container is not: said once, with the fix
        t = simplest(wrapped)
        out.append(Diagnosis(t.verdict.container, container_message(exercise, t)))
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
    # One diagnosis per cause: NaN results are non_finite (above), and results that cannot be read as
    # numbers of the expected size are a structural problem (above), never also an unexplained one.
    values_wrong = [t for t in trials if t.verdict.reason in ("values", "raised", "should_raise", "wrong_error")
                    or (t.verdict.reason in STRUCTURAL_REASONS and observed[trials.index(t)] is not None
                        and not _same_numbers(exercise, t))]
    raised = [t for t in trials if t.outcome.kind == "raised" and not t.outcome.error.is_memory and not t.verdict.ok]
    worst = ""
    if values_wrong or raised:
        variant, raised_unexplained = explain(exercise, observed)
        if variant is not None:
            for mistake, form in variant.parts:
                out.append(Diagnosis(mistake.code, mistake.hint, form.detail, form=form.name))
        # the reference itself "matches" an error of the wrong kind where one is expected: still name it
        if raised and (variant is None or raised_unexplained or not variant.parts):
            t = raised[0]
            out.append(Diagnosis("raises", M.STRUCTURAL["raises"].format(function=fn, detail=M.RAISED_DETAIL.format(
                error=t.outcome.error.short(), count=len(raised), total=len(trials),
                call=exercise.call_text(t.case.args)))))
        if variant is None and any(t.outcome.kind == "returned" and _finite(observed[trials.index(t)])
                                   for t in values_wrong):  # NaN results are non_finite's, above
            worst = worst_error(exercise, values_wrong)
            out.append(Diagnosis("unknown", M.STRUCTURAL["unknown"].format(detail=worst)))
    if not out and any(not t.verdict.ok for t in trials):
        out.append(Diagnosis("unknown", M.STRUCTURAL["unknown"].format(detail="")))
    return out, worst


def _finite(observed) -> bool:
    return observed is not None and observed is not RAISED and bool(np.all(np.isfinite(observed)))


def _same_numbers(exercise: Exercise, trial: Trial) -> bool:
    got = coerce(exercise, trial.outcome.value, trial.expected)
    return got is not None and bool(np.all(np.abs(got - trial.expected.flat) <= tolerance(exercise, trial.case.args, trial.expected)))


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
