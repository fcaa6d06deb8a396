"""Feedback is data: checks raise Failure/Mismatch, the engine builds these frozen results, and the
reporters in graders/report/ render them. Nothing here prints."""

from __future__ import annotations

from dataclasses import dataclass, field


class Failure(Exception):
    """A check failed: why (``rationale``) and what to do about it (``help``)."""

    def __init__(self, rationale: str, help: str = "", *, call: str = "", counterexample: Counterexample | None = None):
        super().__init__(rationale)
        self.rationale = rationale
        self.help = help
        self.call = call
        self.counterexample = counterexample


class Mismatch(Failure):
    """A check failed because a value differs from what was expected."""

    def __init__(self, expected: str, actual: str, *, rationale: str = "", help: str = "", call: str = "",
                 counterexample: Counterexample | None = None):
        super().__init__(rationale or f"expected {expected}, got {actual}", help, call=call,
                         counterexample=counterexample)
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class Counterexample:
    """The smallest input found on which the learner's function is wrong."""

    call: str
    args: dict[str, list]
    expected: str
    actual: str
    explanation: str = ""

    def to_dict(self) -> dict:
        return {"call": self.call, "args": self.args, "expected": self.expected, "actual": self.actual,
                "explanation": self.explanation}


@dataclass(frozen=True)
class Feedback:
    rationale: str
    help: str = ""
    call: str = ""
    expected: str | None = None
    actual: str | None = None
    counterexample: Counterexample | None = None

    def to_dict(self) -> dict:
        return {"rationale": self.rationale, "help": self.help, "call": self.call, "expected": self.expected,
                "actual": self.actual,
                "counterexample": self.counterexample.to_dict() if self.counterexample else None}


PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@dataclass(frozen=True)
class CheckResult:
    name: str
    label: str
    max_score: int
    status: str  # passed | failed | error (the check itself crashed) | skipped (an earlier check failed)
    feedback: Feedback | None = None
    visibility: str = "all"  # what learners see of it before the due date (graders/report/visibility.py)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def score(self) -> int:
        return self.max_score if self.passed else 0


@dataclass(frozen=True)
class TraceStep:
    """One step of the correct computation, as shown with a mistake's evidence."""

    label: str
    value: str
    changed: bool = False  # the step the named mistake changes

    def to_dict(self) -> dict:
        return {"label": self.label, "value": self.value, "changed": self.changed}


@dataclass(frozen=True)
class Evidence:
    """The smallest input on which one named mistake alone changes the result: the correct computation on
    it, step by step, what it should give, and what the learner's function gave."""

    call: str
    expected: str
    actual: str
    trace: tuple[TraceStep, ...] = ()

    def to_dict(self) -> dict:
        return {"call": self.call, "expected": self.expected, "actual": self.actual,
                "trace": [s.to_dict() for s in self.trace]}


@dataclass(frozen=True)
class Diagnosis:
    """A named mistake: a catalog code (or a structural one), the hint, and what exactly was seen."""

    code: str
    message: str
    detail: str = ""
    form: str = ""  # which form of a catalogued mistake
    evidence: Evidence | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "detail": self.detail,
                "evidence": self.evidence.to_dict() if self.evidence else None}


@dataclass(frozen=True)
class Output:
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0


@dataclass(frozen=True)
class RubricItem:
    """A rubric item applied: a named mistake and the points it deducts (graders/engine/scoring.py)."""

    code: str
    deduction: int
    label: str

    def to_dict(self) -> dict:
        return {"code": self.code, "deduction": self.deduction, "label": self.label}


@dataclass(frozen=True)
class GradeReport:
    exercise: str
    version: str
    submission: str
    seed: int
    cases_digest: str
    generator: str
    checks: tuple[CheckResult, ...]
    diagnoses: tuple[Diagnosis, ...]
    counterexample: Counterexample | None = None
    output: Output = field(default_factory=Output)
    sandbox: str = ""
    elapsed: float = 0.0
    worst_error: str = ""
    sandbox_note: str = ""  # what the isolation did not give (empty when fully sandboxed)
    scoring: str = "checks"  # how score is computed: the sum of the check scores, or the rubric
    rubric: tuple[RubricItem, ...] = ()  # the rubric items applied (rubric scoring)
    scoring_note: str = ""  # why rubric scoring fell back to the check scores

    @property
    def check_score(self) -> int:
        return sum(c.score for c in self.checks)

    @property
    def score(self) -> int:
        if self.scoring == "rubric":
            return max(0, self.max_score - sum(item.deduction for item in self.rubric))
        return self.check_score

    @property
    def max_score(self) -> int:
        return sum(c.max_score for c in self.checks)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.diagnoses)

    @property
    def full_marks(self) -> bool:
        return self.score == self.max_score
