"""What a function exercise's checks can look at (the check context), and the helpers they call: each
raises Failure or Mismatch, and never prints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graders.engine import messages as M
from graders.engine.cases import Case
from graders.engine.compare import STRUCTURAL_REASONS, Expected, Verdict, show_parts, structure_verdict
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.results import Counterexample, Failure, Mismatch
from graders.engine.values import Outcome, Value


@dataclass(frozen=True, eq=False)
class Load:
    ok: bool
    code: str | None = None  # structural code when not ok
    detail: str = ""


@dataclass(eq=False, slots=True)  # one per case and submission: cheap to build, never changed
class Trial:
    case: Case
    expected: Expected
    outcome: Outcome
    verdict: Verdict


def simplest(trials: list[Trial]) -> Trial:
    """The trial with the simplest input (fewest elements, zeros, integers): the one feedback shows."""
    return min(trials, key=lambda t: t.case.complexity)


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
            raise Failure(self.load.detail)

    def require_callable(self) -> None:
        """Loaded, and at least one call returned (an untouched stub never does)."""
        self.require_loaded()
        if not any(t.outcome.kind == "returned" for t in self.trials):
            first = self.trials[0]
            if first.outcome.kind == "raised":
                raise Failure(M.NEVER_RETURNED.format(function=self.exercise.function, error=first.outcome.error.short()),
                              help=first.outcome.error.traceback)
            raise Failure(M.NEVER_RETURNED.format(function=self.exercise.function, error=self.end_detail or "no result"))

    @property
    def stopped_when(self) -> str:
        """When the sandbox stopped the learner's code (the full story is the diagnosis's)."""
        done = sum(1 for t in self.trials if t.outcome.kind != "not_run")
        return M.PHASE_CALL_SHORT.format(index=done + 1) if done < len(self.trials) else ""

    def returned_numbers(self, trial: Trial) -> np.ndarray | None:
        """The numbers a call returned, flat, as the value checks judge them (a list or tuple holding the
        expected shape counts, unless the exercise's container is strict); None when they cannot be judged."""
        if trial.outcome.kind != "returned":
            return None
        vector, _, _ = structure_verdict(self.exercise, trial.outcome.value, trial.expected)
        return vector

    def of_set(self, name: str) -> list[Trial]:
        return [t for t in self.trials if t.case.set_name == name]

    def describe_failure(self, trial: Trial) -> Failure:
        call = self.exercise.call_text(trial.case.args)
        o, v = trial.outcome, trial.verdict
        if v.reason == "not_run":
            return Failure(M.NOT_RUN_RATIONALE.format(call=call, reason=self.stopped_when), call=call,
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

    @staticmethod
    def simplest_first(trials: list[Trial]) -> list[Trial]:
        """Trials ordered from the simplest input (fewest elements, zeros, integers) to the most complex."""
        return sorted(trials, key=lambda t: t.case.complexity)

    @staticmethod
    def comparable(trial: Trial) -> bool:
        """The call returned finite numbers of the expected type and shape (its values can be judged)."""
        return trial.outcome.kind == "returned" and trial.verdict.reason not in (*STRUCTURAL_REASONS, "non_finite")

    def expect_correct(self, trials: list[Trial]) -> None:
        self.require_loaded()
        failing = [t for t in trials if not t.verdict.ok]
        if failing:
            raise self.describe_failure(simplest(failing))

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
            raise self.describe_failure(simplest(bad))
        wrapped = [t for t in returned if t.verdict.container]
        if wrapped:
            t = simplest(wrapped)
            raise Failure(container_message(self.exercise, t), call=self.exercise.call_text(t.case.args))

    def gate_failure(self) -> Failure | None:
        """Why nothing can be checked (the file did not load, or the function never returned), or None."""
        try:
            self.require_callable()
        except Failure as failure:
            return failure
        return None

    def require_some_agreement(self) -> None:
        """The property checks' points come with a first right result: the function matches the reference
        on at least one generated input that an answer ignoring its inputs (zeros, a constant, NaN, one of
        the inputs) could not match."""
        from graders.engine.compare import reference_data

        informative = reference_data(self.exercise).informative
        if not any(flag and t.verdict.ok for flag, t in zip(informative, self.trials)):
            raise Failure(M.NO_AGREEMENT.format(function=self.exercise.function))

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


def container_message(exercise: Exercise, trial: Trial) -> str:
    """The one sentence about right numbers in the wrong container, with the fix."""
    value = part_value(exercise, trial.outcome.value, trial.verdict.part)
    of = f"{trial.verdict.part} as " if trial.verdict.part else ""
    if trial.verdict.container == "wrong_dtype":
        return M.CONTAINER_DTYPE.format(function=exercise.function, of=of, dtype=value.dtype)
    return M.CONTAINER_TYPE.format(function=exercise.function, of=of, type=value.type_name)
