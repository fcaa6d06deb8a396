"""The exercise-kind protocol: what every exercise is to the rest of the kit, whatever its kind.

The engine knows two kinds, function exercises (graders/engine/function.py: the learner writes a
function, run in the sandbox on generated inputs) and quizzes (graders/engine/quiz.py: the learner assigns
answers, read and never run). Nothing outside a kind asks which kind it has: batch, the command line,
nbgrader, Gradescope, the release and ``graders check`` only use what this base class declares.
"""

from __future__ import annotations

import hashlib
import re
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINE_DIR = Path(__file__).resolve().parent
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ExerciseError(ValueError):
    """An exercise is declared wrongly: one line naming the exercise and the field."""

    def __init__(self, exercise: str, field: str, problem: str):
        super().__init__(f"exercise {exercise}: {field}: {problem}")
        self.exercise, self.field, self.problem = exercise, field, problem


@dataclass(frozen=True)
class Form:
    """One concrete way of making a mistake: parameter overrides of the exercise's model (for a quiz, the
    question and the wrong answer)."""

    name: str
    overrides: dict
    detail: str
    step: str = ""  # the step of the exercise's trace this form changes (its evidence marks it)


@dataclass(frozen=True)
class Mistake:
    """A catalogued misconception: a stable code, a hint for the learner, and its forms."""

    code: str
    hint: str
    forms: tuple[Form, ...]


def mistake(code: str, hint: str, *, detail: str | None = None, forms: tuple[Form, ...] = (), step: str = "",
            **overrides) -> Mistake:
    """A mistake with a single form given by ``overrides`` (``step``: the trace step it changes), or with
    explicit ``forms``."""
    if forms and overrides:
        raise ValueError(f"mistake {code!r}: give either overrides or forms, not both")
    if not forms:
        if not overrides:
            raise ValueError(f"mistake {code!r}: needs overrides or forms")
        forms = (Form(code, dict(overrides), detail or hint, step),)
    return Mistake(code, hint, tuple(forms))


class Exercise(ABC):
    """What the kit needs of any exercise. Subclasses set the common fields and implement the methods."""

    kind: str = ""  # "function" or "quiz": shown in listings, never branched on outside the kind
    runs_code: bool = True  # grading runs the learner's code (in a sandbox); a quiz is only parsed
    function: str  # what the learner defines (a quiz: "quiz")
    name: str
    title: str
    version: str
    seed: int
    order: int  # position in the course listing (then by name)
    checks: tuple
    catalog: tuple[Mistake, ...]
    stub: str
    reference: str
    readme: str
    module: str  # the grader module that declared the exercise
    rubric: Any  # catalog code -> points deducted (graders/engine/scoring.py)
    scoring: str  # "checks" (the sum of the check scores) or "rubric"
    concepts: Any  # catalog code -> the concept it is a misconception about (the course page)

    def concept(self, code: str) -> str:
        """The concept a catalogued mistake is about: declared, or the code itself."""
        return self.concepts.get(code, code)

    # ---------------------------------------------------------------------------- common, derived
    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.checks)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.catalog)

    def package_files(self) -> list[Path]:
        """The source files of the grader package that declared this exercise."""
        declared = sys.modules.get(self.module)
        path = getattr(declared, "__file__", None)
        return sorted(Path(path).parent.glob("*.py")) if path else []

    def fingerprint_files(self) -> list[Path]:
        """Everything that decides a grade: the exercise's own package, its reference, the engine and the
        shared authoring pieces. A batch rerun regrades when any of them changes (an answer key fixed, a
        check added), not only when a submission does."""
        shared = [REPO_ROOT / "graders" / "authoring.py", *sorted((REPO_ROOT / "graders" / "shared").glob("*.py"))]
        engine = sorted(ENGINE_DIR.glob("*.py")) + sorted((REPO_ROOT / "graders" / "sandbox").glob("*.py"))
        return [*self.package_files(), REPO_ROOT / self.reference, *engine, *shared]

    @cached_property
    def fingerprint(self) -> str:
        h = hashlib.sha256(f"{self.name}|{self.version}|{self.seed}|{self.scoring}".encode())
        for path in self.fingerprint_files():
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(f"missing:{path.name}".encode())
        return h.hexdigest()[:20]

    def path(self, relative: str) -> Path:
        return REPO_ROOT / relative

    def scored(self, report):
        """A kind's report, scored by this exercise's scoring (checks or rubric)."""
        from graders.engine.scoring import apply_scoring

        return apply_scoring(self, report)

    # ---------------------------------------------------------------------------- the protocol
    @abstractmethod
    def declared_in(self, source: str) -> bool:
        """Is ``source`` a submission for this exercise (for `grade` without --exercise)?"""

    @abstractmethod
    def grade(self, source: str, *, sandbox: Any, submission: str = ""):
        """The GradeReport of one submission (``sandbox``: see graders/engine/runner.py)."""

    def prepare(self) -> None:  # noqa: B027 - optional: most kinds share nothing
        """Compute what every submission shares, once (before batch forks its workers)."""

    def validate(self) -> None:  # noqa: B027 - optional: a kind may check everything when declared
        """Deep checks that need the hidden reference (``graders check`` and the first grading run them);
        ExerciseError if the declaration is wrong. Cheap checks run when the exercise is declared."""

    @abstractmethod
    def submission_hint(self) -> str:
        """What the learner hands in, e.g. "a .py file that defines f(a, b)" (upload pages, errors)."""

    @abstractmethod
    def task(self) -> str:
        """The learner's task in one line of Markdown, for the release README."""

    def self_check_note(self) -> str:
        """What this kind's public tests check and do not, for the release README ("" if nothing to add)."""
        return ""

    @abstractmethod
    def notebook_cells(self) -> list[dict]:
        """The cells nbgrader's source notebook needs between the problem statement and the graded test
        cells (the solution cell, ...); NotSupported if this kind has no notebook form."""

    @abstractmethod
    def lint_steps(self) -> list:
        """The steps ``graders check`` runs for this kind (graders/lint.py)."""


class NotSupported(Exception):
    """This kind of exercise has no form for that output (e.g. a quiz as an nbgrader notebook)."""


def default_paths(name: str, stub: str | None, reference: str | None, readme: str | None) -> tuple[str, str, str]:
    """Where an exercise lives unless it says otherwise: exercises/NAME/NAME.py, solutions/NAME.py and
    exercises/NAME/README.md."""
    return (stub or f"exercises/{name}/{name}.py", reference or f"solutions/{name}.py",
            readme or f"exercises/{name}/README.md")


def check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME.match(name):
        raise ExerciseError(str(name), "name", "must be a lower-case identifier (letters, digits, underscores)")
