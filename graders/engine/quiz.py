"""The quiz kind: the learner assigns answers in a file, e.g. ``Q1_WHY_SKIP = "b"``.

A quiz file is NEVER executed, neither here nor in the sandbox: the grader parses it with ``ast`` and reads
only literal assignments to the answer names at the top level of the module (a string, a number, None, or a
tuple/list of those). Anything else assigned to an answer name (a call, a name, an f-string, arithmetic) is
reported as ``malformed_answer`` and never evaluated, so a hostile quiz file cannot do anything: it is only
text. Oversized files are refused before parsing, and a file the parser cannot handle (too deeply nested,
null bytes) is reported as ``syntax_error`` instead of crashing the grader.

A grader module declares the quiz as data: questions with their points and label, the accepted answers, and
every wrong answer as a named misconception with a stable code, why it is wrong and a hint. Each question
is one check:

    Q1 = Choice("Q1_WHY_SKIP", (right("a", "..."), wrong("b", "...", "q1_code", why="...", hint="...")),
                points=1, label="why skip connections help")
    EXERCISE = Quiz(name="resnet_concepts", title="...", questions=(Q1, ...))
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from graders.engine import messages as M
from graders.engine.checks import Check, caller_module, run_checks, validate_points
from graders.engine.context import Load
from graders.engine.kind import Exercise, ExerciseError, Form, Mistake, NotSupported, check_name, default_paths
from graders.engine.results import Diagnosis, Failure, GradeReport, Mismatch
from graders.engine.scoring import validate_concepts, validate_rubric

MAX_SOURCE_BYTES = 1_000_000  # a quiz file is a few kB; anything this big is not one
MAX_SUGGESTION_NAMES = 500  # "did you mean" looks at this many assigned names (a quiz file has a handful)
STRUCTURAL_CODES = ("syntax_error", "too_large", *M.QUIZ_STRUCTURAL)
GENERATOR = "quiz"

_MISSING = object()


# ------------------------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class Misconception:
    """A wrong answer's stable code, why it is wrong (the reasoning) and a hint (never the answer)."""

    code: str
    why: str
    hint: str


@dataclass(frozen=True)
class Option:
    letter: str
    text: str
    mistake: Misconception | None = None  # None: a right option

    @property
    def right(self) -> bool:
        return self.mistake is None


def right(letter: str, text: str) -> Option:
    return Option(letter, text)


def wrong(letter: str, text: str, code: str, *, why: str, hint: str) -> Option:
    return Option(letter, text, Misconception(code, why, hint))


@dataclass(frozen=True)
class Verdict:
    """How one answer was judged: right, or why not (the check's feedback and the report's diagnosis)."""

    name: str
    ok: bool
    code: str = ""  # misconception code, or "not_answered" / "malformed_answer" / "wrong_answer"
    rationale: str = ""
    help: str = ""
    answer: str = ""  # the answer as written, for the report
    expected: str | None = None  # only the format (shape questions): never the answer
    diagnosis: Diagnosis | None = None


@dataclass(frozen=True)
class Choice:
    """Pick one option by its letter ("a", "b", ...; case and surrounding blanks do not matter)."""

    name: str
    options: tuple[Option, ...]
    points: int = 1
    label: str = ""  # what the question asks, in a few words: the check's label reads "NAME: label"
    kind = "choice"

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(o.letter for o in self.options)

    @property
    def format(self) -> str:
        return M.QUIZ_LETTER_FORMAT.format(letters=", ".join(f'"{letter}"' for letter in self.letters))

    @property
    def mistakes(self) -> tuple[tuple[Misconception, tuple[Any, ...]], ...]:
        return tuple((o.mistake, (o.letter,)) for o in self.options if o.mistake is not None)

    def validate(self) -> None:
        letters = self.letters
        if len(set(letters)) != len(letters) or any(len(s) != 1 or not s.islower() for s in letters):
            raise ValueError(f"{self.name}: option letters must be distinct lower-case letters, not {letters}")
        if not any(o.right for o in self.options):
            raise ValueError(f"{self.name}: no right option")

    def key(self) -> dict:
        return {"kind": self.kind, **asdict(self)}

    def judge(self, value: Any) -> Verdict:
        shown = show(value)
        if not isinstance(value, str):
            return malformed(self.name, M.QUIZ_NOT_A_LETTER.format(answer=shown, format=self.format), self.format, shown)
        letter = value.strip().lower()
        option = next((o for o in self.options if o.letter == letter), None)
        if option is None:
            return malformed(self.name, M.QUIZ_NOT_AN_OPTION.format(answer=shown, format=self.format), self.format,
                             shown)
        if option.right:
            return Verdict(self.name, True, answer=shown)
        m = option.mistake
        return mistaken(self.name, m, shown, M.QUIZ_CHOSE.format(letter=letter, text=option.text, why=m.why))


@dataclass(frozen=True)
class WrongShape:
    """Wrong shapes that one misconception produces (the batch entry as the question states it)."""

    answers: tuple[tuple[int, ...], ...]
    mistake: Misconception


@dataclass(frozen=True)
class Shape:
    """A tensor shape, checked exactly: a tuple (or list) of positive ints; with ``free_batch`` the first
    entry may also be None."""

    name: str
    expected: tuple[int, ...]
    axes: tuple[str, ...]
    wrong: tuple[WrongShape, ...]
    hint: str  # for a wrong shape no misconception explains
    example: tuple[int | None, ...]  # shown as the format: must not be the answer
    free_batch: bool = True
    points: int = 1
    label: str = ""
    kind = "shape"

    @property
    def format(self) -> str:
        return M.QUIZ_SHAPE_FORMAT.format(rank=len(self.axes), axes=", ".join(self.axes),
                                          batch=M.QUIZ_SHAPE_BATCH if self.free_batch else "", example=show(self.example))

    @property
    def mistakes(self) -> tuple[tuple[Misconception, tuple[Any, ...]], ...]:
        return tuple((w.mistake, w.answers) for w in self.wrong)

    def validate(self) -> None:
        if len(self.expected) != len(self.axes):
            raise ValueError(f"{self.name}: {len(self.axes)} axes named for a shape of rank {len(self.expected)}")
        if self.normalize(self.example) == self.expected:
            raise ValueError(f"{self.name}: the format example must not be the answer")
        for w in self.wrong:
            for answer in w.answers:
                if self.normalize(answer) == self.expected:
                    raise ValueError(f"{self.name}: {w.mistake.code} lists the right answer {answer}")

    def key(self) -> dict:
        return {"kind": self.kind, **asdict(self)}

    def normalize(self, answer: tuple) -> tuple:
        """None for the batch means "any batch size": compare as if it were the stated one."""
        if self.free_batch and answer and answer[0] is None:
            return (self.expected[0], *answer[1:])
        return tuple(answer)

    def judge(self, value: Any) -> Verdict:
        shown = show(value)
        if not isinstance(value, (tuple, list)):
            return malformed(self.name, M.QUIZ_NOT_A_SHAPE.format(answer=shown, format=self.format), self.format, shown)
        for index, entry in enumerate(value):
            if entry is None and (index > 0 or self.free_batch):
                continue  # a None past the batch is well-formed, just wrong: those sizes are known
            if isinstance(entry, bool) or not isinstance(entry, int) or entry <= 0:
                return malformed(self.name, M.QUIZ_BAD_SIZE.format(index=index, answer=show(entry), format=self.format),
                                 self.format, shown)
        answer = self.normalize(tuple(value))
        if answer == self.expected:
            return Verdict(self.name, True, answer=shown)
        for w in self.wrong:
            if answer in (self.normalize(a) for a in w.answers):
                return mistaken(self.name, w.mistake, shown, M.QUIZ_GAVE.format(answer=shown, why=w.mistake.why),
                                expected=self.format)
        why = M.QUIZ_UNEXPLAINED
        if len(answer) != len(self.expected):
            why = M.QUIZ_WRONG_RANK.format(got=len(answer), rank=len(self.axes), axes=", ".join(self.axes))
        message = M.QUIZ_STRUCTURAL["wrong_answer"].format(name=self.name, answer=shown, hint=self.hint)
        return Verdict(self.name, False, "wrong_answer", M.QUIZ_GAVE.format(answer=shown, why=why), self.hint, shown,
                       self.format, Diagnosis("wrong_answer", message, why))


Question = Choice | Shape


def show(value: Any, limit: int = 80) -> str:
    """An answer as the learner would write it (clipped: a hostile file may hold huge values)."""
    try:
        if isinstance(value, str):
            text = f'"{value}"' if value.isprintable() and not set(value) & {'"', "\\"} else repr(value)
        elif isinstance(value, (list, tuple)):  # flat: read_literal reads one level only
            inner = ", ".join(show(v, limit) for v in value[:limit])
            text = f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
        else:
            text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        text = "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mistaken(name: str, m: Misconception, shown: str, rationale: str, expected: str | None = None) -> Verdict:
    diagnosis = Diagnosis(m.code, M.QUIZ_MISTAKE.format(name=name, hint=m.hint),
                          M.QUIZ_MISTAKE_DETAIL.format(answer=shown, why=m.why))
    return Verdict(name, False, m.code, rationale, m.hint, shown, expected, diagnosis)


def malformed(name: str, detail: str, fmt: str, shown: str = "") -> Verdict:
    message = M.QUIZ_STRUCTURAL["malformed_answer"].format(name=name, detail=detail)
    help = "" if fmt in detail else M.QUIZ_WRITE_AS.format(name=name, format=fmt)  # say the format once
    return Verdict(name, False, "malformed_answer", message, help, shown, diagnosis=Diagnosis("malformed_answer", message))


# --------------------------------------------------------------------------------------- reading answers
@dataclass(frozen=True)
class Sheet:
    """What a quiz file says: per answer name, the literal value (or why there is none)."""

    load: Load
    values: dict[str, Any]  # name -> literal value; _MISSING when not assigned at the top level
    problems: dict[str, str]  # name -> why its assignment cannot be read (malformed)
    assigned: tuple[str, ...]  # every name the file assigns at the top level (for "did you mean")


def read_sheet(source: str, names: tuple[str, ...], formats: dict[str, str]) -> Sheet:
    """Read the answers without executing anything. The last top-level assignment of a name wins, as it
    would in Python (e.g. a notebook cell run twice)."""
    values: dict[str, Any] = dict.fromkeys(names, _MISSING)
    problems: dict[str, str] = {}
    size = len(source.encode("utf-8", errors="replace"))
    if size > MAX_SOURCE_BYTES:
        detail = M.QUIZ_STRUCTURAL["too_large"].format(size=size, limit=MAX_SOURCE_BYTES)
        return Sheet(Load(False, "too_large", detail), values, problems, ())
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        text = f" ({exc.text.strip()[:80]})" if exc.text and exc.text.strip() else ""
        detail = M.QUIZ_SYNTAX_DETAIL.format(line=exc.lineno, message=exc.msg) + text
        return Sheet(Load(False, "syntax_error", M.STRUCTURAL["syntax_error"].format(detail=detail)), values, problems, ())
    except (RecursionError, MemoryError, ValueError) as exc:  # hostile nesting, null bytes: never a crash
        detail = M.QUIZ_UNPARSABLE.format(error=type(exc).__name__)
        return Sheet(Load(False, "syntax_error", M.STRUCTURAL["syntax_error"].format(detail=detail)), values, problems, ())
    wanted = set(names)
    assigned: list[str] = []
    top: set[int] = set()  # the Name nodes of top-level assignment targets
    for statement in tree.body:
        for target, value in assignments(statement):
            top.update(id(n) for n in ast.walk(target))
            if isinstance(target, ast.Name) and value is not None:
                assigned.append(target.id)
                if target.id in wanted:
                    problems.pop(target.id, None)
                    literal, kind = read_literal(value)
                    values[target.id] = _MISSING if kind else literal
                    if kind:
                        problems[target.id] = M.QUIZ_NOT_LITERAL.format(line=value.lineno, kind=kind,
                                                                        format=formats[target.id])
                continue
            for node in ast.walk(target):  # `Q1, Q2 = ...` or `Q1 += ...`: not a plain answer
                if isinstance(node, ast.Name) and node.id in wanted:
                    values[node.id] = _MISSING
                    problems[node.id] = M.QUIZ_NOT_PLAIN.format(line=node.lineno, name=node.id)
    # an answer assigned only inside a block (`if`, `def`, a loop) or an expression is never read: say so
    for node in ast.walk(tree):  # iterative, so a deep tree cannot overflow the stack here
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in wanted \
                and id(node) not in top and values[node.id] is _MISSING and node.id not in problems:
            problems[node.id] = M.QUIZ_NESTED.format(line=node.lineno, name=node.id)
    return Sheet(Load(True), values, problems, tuple(dict.fromkeys(assigned)))


def assignments(statement: ast.stmt):
    """(target, value) of a top-level assignment statement; value is None when it is not a plain
    `name = value` (unpacking, `+=`), which a quiz does not read."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            yield target, (statement.value if isinstance(target, ast.Name) else None)
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        yield statement.target, statement.value
    elif isinstance(statement, ast.AugAssign):
        yield statement.target, None


KINDS = {ast.Call: "a function call", ast.Name: "a name (a variable)", ast.JoinedStr: "an f-string",
         ast.Attribute: "an attribute", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
         ast.Dict: "a dict", ast.Set: "a set", ast.Starred: "a starred expression"}


def read_literal(node: ast.expr) -> tuple[Any, str]:
    """(value, "") for a literal answer: a str, int, float, bool or None, or a flat tuple/list of those
    (negative numbers included); otherwise (None, what it is). One level deep only, so it cannot recurse."""
    if isinstance(node, (ast.Tuple, ast.List)):
        items = []
        for element in node.elts:
            item, kind = _scalar(element)
            if kind:
                return None, f"a {'tuple' if isinstance(node, ast.Tuple) else 'list'} holding {kind}"
            items.append(item)
        return (tuple(items) if isinstance(node, ast.Tuple) else items), ""
    return _scalar(node)


def _scalar(node: ast.expr) -> tuple[Any, str]:
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (str, int, float))):
        return node.value, ""  # bool is an int here; bytes, complex and Ellipsis are not answers
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
        return (-node.operand.value if isinstance(node.op, ast.USub) else node.operand.value), ""
    if isinstance(node, (ast.Tuple, ast.List)):
        return None, "a nested tuple or list"
    return None, KINDS.get(type(node), "an expression")


# ---------------------------------------------------------------------------------------------- grading
class QuizContext:
    """What a quiz check sees: the verdict of every question."""

    def __init__(self, exercise: Exercise, load: Load, verdicts: dict[str, Verdict]):
        self.exercise = exercise
        self.load = load
        self.verdicts = verdicts
        self.judged: list[str] = []  # which questions the checks asked about (a kit test checks the wiring)

    def gate_failure(self) -> Failure | None:
        """Why nothing can be checked (the file cannot be read as answers), or None."""
        return None if self.load.ok else Failure(self.load.detail)

    def expect_right(self, question: Question) -> None:
        self.judged.append(question.name)
        if not self.load.ok:
            raise Failure(self.load.detail)
        v = self.verdicts[question.name]
        if v.ok:
            return
        if v.expected is not None:
            raise Mismatch(v.expected, v.answer, rationale=v.rationale, help=v.help)
        raise Failure(v.rationale, v.help)


@dataclass(frozen=True, eq=False)
class Quiz(Exercise):
    """A quiz, declared as data: one check per question, in order, worth the question's points."""

    name: str
    title: str
    questions: tuple[Question, ...]
    version: str = "1"
    order: int = 100
    stub: str = ""
    reference: str = ""
    readme: str = ""
    module: str = ""
    rubric: Mapping[str, int] = field(default_factory=dict)  # misconception code -> points deducted
    scoring: str = "checks"  # or "rubric" (graders/engine/scoring.py)
    concepts: Mapping[str, str] = field(default_factory=dict)  # misconception code -> concept (course page)
    seed = 0  # nothing is drawn
    kind = "quiz"
    runs_code = False
    function = "quiz"  # what `list` shows where a function exercise names its function

    def __post_init__(self) -> None:
        check_name(self.name)
        stub, reference, readme = default_paths(self.name, self.stub or None, self.reference or None,
                                                self.readme or None)
        object.__setattr__(self, "module", self.module or caller_module(3))
        for key, value in (("stub", stub), ("reference", reference), ("readme", readme),
                           ("questions", tuple(self.questions))):
            object.__setattr__(self, key, value)
        names = [q.name for q in self.questions]
        if not names or len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
            raise ExerciseError(self.name, "questions", f"need distinct identifiers as answer names, not {names}")
        for q in self.questions:
            try:
                q.validate()
                validate_points(q.points, q.name)
            except ValueError as exc:
                raise ExerciseError(self.name, f"questions[{q.name}]", str(exc)) from None
        codes = [m.code for q in self.questions for m, _ in q.mistakes]
        if len(set(codes)) != len(codes) or set(codes) & set(STRUCTURAL_CODES):
            raise ExerciseError(self.name, "questions", f"misconception codes must be distinct and not structural: {codes}")
        validate_rubric(self)
        validate_concepts(self)

    @cached_property
    def checks(self) -> tuple[Check, ...]:
        return tuple(Check(q.name.lower(), f"{q.name}: {q.label}" if q.label else q.name, q.points,
                           lambda ctx, q=q: ctx.expect_right(q)) for q in self.questions)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.questions)

    @cached_property
    def digest(self) -> str:
        """Identifies the quiz data (answer key, options, codes, points, labels): any change changes it."""
        key = {"questions": [q.key() for q in self.questions]}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def marker(self) -> str:
        """A file is this quiz when it assigns one of the answer names at the top level."""
        return r"^(?:" + "|".join(re.escape(n) for n in self.names) + r")\s*(?::[^=\n]*)?="

    @cached_property
    def catalog(self) -> tuple[Mistake, ...]:
        """The misconceptions in the engine's catalog form (for exercise.codes and the class overview)."""
        return tuple(Mistake(m.code, m.hint, tuple(Form(m.code, {"question": q.name, "answer": a}, m.why) for a in answers))
                     for q in self.questions for m, answers in q.mistakes)

    def read_answers(self, source: str) -> dict[str, Any]:
        """The answers a quiz file assigns (name -> literal value), read, never run."""
        sheet = read_sheet(source, self.names, {q.name: q.format for q in self.questions})
        return {name: value for name, value in sheet.values.items() if value is not _MISSING}

    def judge(self, source: str) -> tuple[Load, dict[str, Verdict], tuple[Diagnosis, ...]]:
        sheet = read_sheet(source, self.names, {q.name: q.format for q in self.questions})
        if not sheet.load.ok:
            return sheet.load, {}, (Diagnosis(sheet.load.code or "syntax_error", sheet.load.detail),)
        verdicts: dict[str, Verdict] = {}
        unanswered: list[str] = []
        suggestions: list[str] = []
        for q in self.questions:
            value = sheet.values[q.name]
            if q.name in sheet.problems:
                verdicts[q.name] = malformed(q.name, sheet.problems[q.name], q.format)
            elif value is _MISSING or value is None or (isinstance(value, str) and not value.strip()):
                unanswered.append(q.name)
                help = M.QUIZ_REPLACE_NONE.format(name=q.name, format=q.format)
                others = [n for n in sheet.assigned if n not in self.names][:MAX_SUGGESTION_NAMES]
                close = difflib.get_close_matches(q.name, others, n=1, cutoff=0.75) if value is _MISSING else []
                if close:
                    help += M.QUIZ_DID_YOU_MEAN.format(found=close[0], name=q.name)
                    suggestions.append(M.QUIZ_DID_YOU_MEAN.format(found=close[0], name=q.name).strip())
                verdicts[q.name] = Verdict(q.name, False, "not_answered", M.QUIZ_NOT_ANSWERED.format(name=q.name), help)
            else:
                verdicts[q.name] = q.judge(value)
        diagnoses = [v.diagnosis for v in verdicts.values() if v.diagnosis is not None]
        if unanswered:  # one entry for all of them: an untouched stub is one problem, not five
            diagnoses.append(Diagnosis("not_answered", M.QUIZ_STRUCTURAL["not_answered"].format(
                names=", ".join(unanswered)), " ".join(suggestions)))
        return sheet.load, verdicts, tuple(diagnoses)

    def grade(self, source: str, *, sandbox: Any = None, submission: str = "") -> GradeReport:
        """The sandbox is not used: nothing of the file is run."""
        started = time.monotonic()
        load, verdicts, diagnoses = self.judge(source)
        checks = run_checks(self.checks, QuizContext(self, load, verdicts))
        return self.scored(GradeReport(
            exercise=self.name, version=self.version, submission=submission, seed=self.seed,
            cases_digest=self.digest, generator=GENERATOR, checks=checks, diagnoses=diagnoses,
            sandbox=M.QUIZ_SANDBOX, elapsed=time.monotonic() - started,
        ))

    # ---------------------------------------------------------------------------- the kind protocol
    def declared_in(self, source: str) -> bool:
        return re.search(self.marker, source, re.M) is not None

    def submission_hint(self) -> str:
        return f"a .py file or a notebook that assigns the answers ({', '.join(self.names)})"

    def task(self) -> str:
        return "answer the questions"

    def self_check_note(self) -> str:
        return ("For a quiz, the tests only check that every answer is filled in and well-formed (until then they "
                "fail with \"not answered yet\"); they never tell you whether an answer is right.")

    def notebook_cells(self) -> list[dict]:
        raise NotSupported(f"{self.name} is a quiz (its answers are read, not run): nbgrader notebooks are not "
                           f"supported for it; hand out {self.stub} and grade with `gradekit batch`")

    def lint_steps(self) -> list:
        from graders.lint import quiz_steps

        return quiz_steps(self)
