"""The ResNet concepts quiz (graders/exercises/resnet_concepts, graders/engine/quiz.py): the key gives full marks,
the stub nothing; every wrong option is caught and named by its code; accepted spellings get credit; malformed,
hostile and huge files are reported, never run and never crash the grader; the public self-check passes on the
key, fails on the stub, and never tells right from wrong; the CLI commands handle a quiz."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders import exercises
from graders.engine import messages as M
from graders.engine import quiz
from graders.engine.grading import grade_source
from graders.engine.results import FAILED, PASSED, SKIPPED
from graders.exercises.resnet_concepts import EXERCISE
from graders.report.data import report_dict
from graders.report.html import feedback_html
from graders.report.text import render_text
from graders.submission import load
from tests import public_runs
from tests.conftest import REPO, SUBMISSIONS
from tests.public_runs import explain, last_line

QUIZ = EXERCISE  # the quiz is the exercise
FOLDER = REPO / "exercises" / "resnet_concepts"
STUB = REPO / EXERCISE.stub
REFERENCE = REPO / EXERCISE.reference
PUBLIC_TESTS = FOLDER / "test_resnet_concepts.py"
REFERENCE_SOURCE = REFERENCE.read_text()
STUB_SOURCE = STUB.read_text()
QUESTIONS = {q.name: q for q in QUIZ.questions}
CHECK_OF = dict(zip(QUIZ.names, EXERCISE.checks))
STRUCTURAL = set(quiz.STRUCTURAL_CODES)


def grade(source: str):
    return grade_source(EXERCISE, source, sandbox=None, submission="test")


def reference_value(name: str):
    """The key's answer for a name, read from the reference file itself (not from the grader's data)."""
    tree = ast.parse(REFERENCE_SOURCE)
    values = [ast.literal_eval(s.value) for s in tree.body if isinstance(s, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in s.targets)]
    assert len(values) == 1, name
    return values[0]


def with_answer(name: str, text: str, source: str = REFERENCE_SOURCE) -> str:
    """The reference with one answer's assignment replaced by the line(s) `text`."""
    pattern = re.compile(rf"^{name} = .*$", re.M)
    assert len(pattern.findall(source)) == 1, name
    return pattern.sub(lambda _: text, source)


def by_name(report):
    return {c.name: c for c in report.checks}


def feedback_text(check) -> str:
    fb = check.feedback
    return "\n".join(filter(None, [fb.rationale, fb.help, fb.expected, fb.actual])) if fb else ""


# ------------------------------------------------------------------------------------------ the data
def test_every_wrong_option_is_a_named_misconception():
    for q in QUIZ.questions:
        if isinstance(q, quiz.Choice):
            wrong = [o for o in q.options if not o.right]
            assert len([o for o in q.options if o.right]) == 1, q.name
            assert wrong and all(o.mistake.code.startswith(q.name[:3].lower()) for o in wrong), q.name
        else:
            assert q.wrong and all(w.mistake.code.startswith(q.name[:3].lower()) for w in q.wrong)
    codes = [m.code for m in EXERCISE.catalog]
    assert len(codes) == len(set(codes)) and not set(codes) & STRUCTURAL
    assert all(m.hint and all(f.detail for f in m.forms) for m in EXERCISE.catalog)


def test_the_reference_is_the_stub_filled_in():
    stub_names = [t.id for s in ast.parse(STUB_SOURCE).body if isinstance(s, ast.Assign) for t in s.targets]
    assert stub_names == list(QUIZ.names)
    assert all(ast.literal_eval(s.value) is None for s in ast.parse(STUB_SOURCE).body if isinstance(s, ast.Assign))
    for name in QUIZ.names:
        assert QUESTIONS[name].judge(reference_value(name)).ok, name


def test_checks_follow_the_questions_and_their_points():
    assert [c.name for c in EXERCISE.checks] == [n.lower() for n in QUIZ.names]  # one check per question, in order
    ctx = quiz.QuizContext(EXERCISE, *QUIZ.judge(REFERENCE_SOURCE)[:2])
    for check, name in zip(EXERCISE.checks, QUIZ.names):
        ctx.judged.clear()
        check.run(ctx)
        assert ctx.judged == [name], check.name  # each check judges its own question, once
        assert check.label.startswith(f"{name}: ")
    heavy = ("Q2_OUTPUT_SHAPE", "Q3_CHANNEL_MISMATCH")  # the shape and the projection question are worth more
    assert min(CHECK_OF[n].points for n in heavy) > max(CHECK_OF[n].points for n in QUIZ.names if n not in heavy)


def normalized(text: str) -> str:
    return " ".join(text.split())


def test_stub_shows_every_option_as_the_grader_quotes_it():
    doc = normalized(ast.get_docstring(ast.parse(STUB_SOURCE)))
    for q in QUIZ.questions:
        if isinstance(q, quiz.Choice):
            for o in q.options:
                assert normalized(f"{o.letter}) {o.text}") in doc, (q.name, o.letter)
            assert f"# Q{q.name[1]}: one of " + ", ".join(f'"{x}"' for x in q.letters) in STUB_SOURCE


def load_public_module():
    spec = importlib.util.spec_from_file_location("_resnet_concepts_public_tests", PUBLIC_TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_public_tests_know_the_formats_but_not_the_answers():
    public = load_public_module()
    assert {n: tuple(v) for n, v in public.CHOICES.items()} == \
        {q.name: q.letters for q in QUIZ.questions if isinstance(q, quiz.Choice)}
    assert public.SHAPES == {q.name: q.axes for q in QUIZ.questions if isinstance(q, quiz.Shape)}
    assert public.MAX_BYTES == quiz.MAX_SOURCE_BYTES
    shipped = {p.name: p.read_text() for p in FOLDER.iterdir() if p.is_file()}
    for name in QUIZ.names:
        value = reference_value(name)
        spellings = {f"{name} = {value!r}", f"{name} = {quiz.show(value)}", f"{name}={value!r}"}
        if isinstance(value, tuple):
            spellings |= {f"{name} = {quiz.show((None, *value[1:]))}", f"{name} = {list(value)!r}"}
        for file, text in shipped.items():
            assert not [s for s in spellings if s in text], (file, name)


def test_digest_identifies_the_answer_key():
    assert re.fullmatch(r"[0-9a-f]{16}", QUIZ.digest)
    assert grade(STUB_SOURCE).cases_digest == QUIZ.digest
    q2 = QUESTIONS["Q2_OUTPUT_SHAPE"]
    changed = [dataclasses.replace(q2, expected=(32, 64, 64, 128)) if q is q2 else q for q in QUIZ.questions]
    changed[1] = dataclasses.replace(changed[1], wrong=changed[1].wrong[:1] + changed[1].wrong[2:])
    assert dataclasses.replace(QUIZ, questions=tuple(changed), rubric={}, concepts={}).digest != QUIZ.digest
    q1 = QUESTIONS["Q1_WHY_SKIP"]
    hinted = dataclasses.replace(q1, options=(dataclasses.replace(q1.options[0], text="other"), *q1.options[1:]))
    assert dataclasses.replace(QUIZ, questions=(hinted, *QUIZ.questions[1:])).digest != QUIZ.digest


def test_bad_quiz_data_is_refused():
    q1 = QUESTIONS["Q1_WHY_SKIP"]
    no_right = dataclasses.replace(q1, options=tuple(o for o in q1.options if not o.right))
    with pytest.raises(ValueError, match="exercise resnet_concepts: questions.Q1_WHY_SKIP.: .*no right option"):
        dataclasses.replace(QUIZ, questions=(no_right, *QUIZ.questions[1:]))
    q2 = QUESTIONS["Q2_OUTPUT_SHAPE"]
    with pytest.raises(ValueError, match="format example"):
        dataclasses.replace(q2, example=(None, *q2.expected[1:])).validate()
    with pytest.raises(ValueError, match="lists the right answer"):
        bad = quiz.WrongShape((q2.expected,), q2.wrong[0].mistake)
        dataclasses.replace(q2, wrong=(bad,)).validate()
    with pytest.raises(ValueError, match="points must be a positive int"):
        dataclasses.replace(QUIZ, questions=(dataclasses.replace(q1, points=0), *QUIZ.questions[1:]))


# ------------------------------------------------------------------------------------------ grading
MUTANTS = [pytest.param(q.name, answer, m, id=f"{m.code}-{quiz.show(answer)}")
           for q in QUIZ.questions for m, answers in q.mistakes for answer in answers]


def test_every_option_of_every_question_is_covered():
    """Mutation score 100 %: every letter the stub offers for a question is either the key or a catalogued
    misconception that the test above grades."""
    covered = {(name, answer) for name, answer, _ in (p.values for p in MUTANTS)}
    for q in QUIZ.questions:
        if isinstance(q, quiz.Choice):
            comment = re.search(rf"^# Q{q.name[1]}: one of (.*)$", STUB_SOURCE, re.M).group(1)
            offered = set(re.findall(r'"(\w)"', comment))
            assert {a for n, a in covered if n == q.name} == offered - {reference_value(q.name)}, q.name


def test_every_mistake_at_once():
    first = {q.name: q.mistakes[0] for q in QUIZ.questions}
    source = REFERENCE_SOURCE
    for name, (_, answers) in first.items():
        source = with_answer(name, f"{name} = {answers[0]!r}", source)
    report = grade(source)
    assert report.score == 0
    assert report.codes == tuple(m.code for m, _ in first.values())  # in question order


@pytest.mark.parametrize(("name", "text"), [
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = "{upper}"'),
    ("Q1_WHY_SKIP", "Q1_WHY_SKIP = '  {letter} '"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP: str = "{letter}"'),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = None\nQ1_WHY_SKIP = "{letter}"'),  # the last assignment wins
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = Q5_PYTORCH_ERROR = "{letter}"'),  # Q5's own line comes later and wins
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = {as_list}"),
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = {none_batch}"),
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = {as_list_none}"),
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = {bare}"),
])
def test_accepted_spellings_get_credit(name, text):
    value = reference_value(name)
    fields = {"letter": value, "upper": str(value).upper()} if isinstance(value, str) else {
        "as_list": list(value), "none_batch": (None, *value[1:]), "as_list_none": [None, *value[1:]],
        "bare": ", ".join(map(str, value))}
    report = grade(with_answer(name, text.format(**fields)))
    assert report.full_marks, [c.feedback for c in report.checks if c.feedback]


@pytest.mark.parametrize(("answer", "fragment"), [
    ("-1", "not -1"), ("0", "positive"), ("64.0", "positive ints"), ("True", "positive ints"), ("'64'", "positive ints"),
])
def test_shape_entries_must_be_sizes(answer, fragment):
    value = list(reference_value("Q2_OUTPUT_SHAPE"))
    source = with_answer("Q2_OUTPUT_SHAPE", f"Q2_OUTPUT_SHAPE = (None, {answer}, {value[2]}, {value[3]})")
    report = grade(source)
    assert report.codes == ("malformed_answer",) and fragment in report.diagnoses[0].message


def test_unexplained_shapes_are_wrong_answers_with_the_format_only():
    q = QUESTIONS["Q2_OUTPUT_SHAPE"]
    for answer, extra in (((None, 7, 7, 7), M.QUIZ_UNEXPLAINED), ((None, 64, 64), "has 3 entries"),
                          ((None, None, None, None), M.QUIZ_UNEXPLAINED)):
        report = grade(with_answer(q.name, f"{q.name} = {answer!r}"))
        assert report.codes == ("wrong_answer",)
        failed = by_name(report)[CHECK_OF[q.name].name]
        assert extra in failed.feedback.rationale and failed.feedback.help == q.hint
        assert failed.feedback.expected == q.format and failed.feedback.actual == quiz.show(answer)


MALFORMED = [
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = str("b")', "a function call"),
    ("Q1_WHY_SKIP", "Q1_WHY_SKIP = ANSWER", "a name (a variable)"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = f"{1}"', "an f-string"),
    ("Q1_WHY_SKIP", "Q1_WHY_SKIP = __import__('os').getcwd()", "a function call"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = "a" + "b"', "an expression"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = ["b"]', "expected one letter"),
    ("Q1_WHY_SKIP", "Q1_WHY_SKIP = 2", "expected one letter"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = "z"', "not one of the options"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = "bc"', "not one of the options"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = b"b"', "an expression"),
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = (None, 64, len('ab'), 64)", "a tuple holding a function call"),
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = ((None, 64), (64, 64))", "a nested tuple or list"),
    ("Q2_OUTPUT_SHAPE", 'Q2_OUTPUT_SHAPE = "(None, 64, 64, 64)"', "expected a tuple"),
    ("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = output.shape", "an attribute"),
    ("Q1_WHY_SKIP", 'if True:\n    Q1_WHY_SKIP = "b"', "indented block"),
    ("Q1_WHY_SKIP", 'def answer():\n    global Q1_WHY_SKIP\n    Q1_WHY_SKIP = "b"', "indented block"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP, X = "b", 1', "unpacking"),
    ("Q1_WHY_SKIP", 'Q1_WHY_SKIP = ""\nQ1_WHY_SKIP += "b"', "unpacking or `+=`"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), MALFORMED, ids=[m[1].splitlines()[0] for m in MALFORMED])
def test_malformed_answers_are_named(name, text, fragment):
    report = grade(with_answer(name, text))
    assert report.codes == ("malformed_answer",)
    assert report.diagnoses[0].message.startswith(f"{name} cannot be read as an answer: ")
    assert fragment in report.diagnoses[0].message
    failed = by_name(report)[CHECK_OF[name].name]
    assert failed.status == FAILED and failed.feedback.rationale == report.diagnoses[0].message
    assert QUESTIONS[name].format in failed.feedback.rationale + failed.feedback.help
    assert report.score == EXERCISE.max_score - CHECK_OF[name].points


def test_a_misspelt_name_is_not_answered_with_a_suggestion():
    name = "Q3_CHANNEL_MISMATCH"
    report = grade(with_answer(name, f"Q3_CHANEL_MISMATCH = {reference_value(name)!r}"))
    assert report.codes == ("not_answered",)
    assert "did you mean Q3_CHANNEL_MISMATCH?" in by_name(report)[CHECK_OF[name].name].feedback.help
    assert "Q3_CHANEL_MISMATCH" in report.diagnoses[0].detail


HOSTILE = '''\
import pathlib
pathlib.Path({marker!r}).write_text("ran at import")
Q1_WHY_SKIP = __import__("pathlib").Path({marker!r}).write_text("ran")
Q2_OUTPUT_SHAPE = (None, open({marker!r}, "w").write("ran"), 64, 64)
Q3_CHANNEL_MISMATCH = [x for x in [__import__("os").system("touch " + {marker!r})]]
Q4_LOSS_CURVES = (lambda: open({marker!r}, "w"))()
Q5_PYTORCH_ERROR = f"{{open({marker!r}, 'w')}}"
'''


def test_nothing_in_the_file_is_ever_run(tmp_path):
    marker = tmp_path / "executed"
    source = HOSTILE.format(marker=str(marker))
    report = grade(source)
    assert report.score == 0 and set(report.codes) == {"malformed_answer"} and len(report.codes) == len(QUIZ.names)
    assert not marker.exists()
    public = run_public_tests(source)
    assert public.returncode == 1 and not marker.exists(), explain(public)
    subprocess.run([sys.executable, "-c", source], cwd=tmp_path, capture_output=True, timeout=60)
    assert marker.exists()  # the file really would write the marker if anything ran it


def test_syntax_error_names_the_line():
    source = REFERENCE_SOURCE + "\nQ9 = (1,\n"
    line = source.count("\n")
    report = grade(source)
    assert report.codes == ("syntax_error",) and f"line {line}" in report.diagnoses[0].message
    assert report.diagnoses[0].message.startswith(M.STRUCTURAL["syntax_error"].format(detail=""))
    assert report.score == 0
    assert [c.status for c in report.checks] == [FAILED] + [SKIPPED] * (len(report.checks) - 1)
    assert all(c.feedback.rationale == report.diagnoses[0].message for c in report.checks)


@pytest.mark.parametrize(("source", "code"), [
    ("Q1_WHY_SKIP = " + "(" * 1000 + '"b"' + ")" * 1000, "syntax_error"),
    ("Q1_WHY_SKIP = " + "-" * 200_000 + "1", "syntax_error"),
    ("Q1_WHY_SKIP = " + "+".join(["1"] * 200_000), "syntax_error"),
    ("Q1_WHY_SKIP = x" + ".y" * 200_000, "syntax_error"),
    ("Q1_WHY_SKIP = 'b'\x00", "syntax_error"),
    ("Q1_WHY_SKIP = 'b'\n" + "#" * quiz.MAX_SOURCE_BYTES, "too_large"),
    ("Q2_OUTPUT_SHAPE = (1,)\n" * 40_000, "wrong_answer"),  # big, but under the limit
    ("Q1_WHY_SKIP = 0x" + "f" * 5000, "malformed_answer"),  # too many digits to print in decimal
], ids=["parentheses", "unary", "sum", "attributes", "null_byte", "too_large", "many_lines", "huge_int"])
def test_hostile_files_get_a_clear_message_and_no_crash(source, code):
    report = grade(source)
    assert report.score == 0 and report.codes[0] == code, report.diagnoses
    assert len(report.checks) == len(EXERCISE.checks)
    text = render_text(report_dict(report))
    assert "Traceback" not in text and len(text) < 20_000
    if code == "too_large":
        assert str(quiz.MAX_SOURCE_BYTES) in report.diagnoses[0].message


ANSWERS = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=5) | st.lists(inner, max_size=5).map(tuple), max_leaves=8)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(QUIZ.names), ANSWERS)
def test_any_answer_is_judged_without_crashing(name, value):
    report = grade(with_answer(name, f"{name} = {value!r}"))
    assert len(report.codes) <= 1 and set(report.codes) <= set(EXERCISE.codes) | STRUCTURAL
    statuses = {c.name: c.status for c in report.checks}
    assert statuses[CHECK_OF[name].name] in (PASSED, FAILED) and report.score >= report.max_score - CHECK_OF[name].points
    assert (report.codes == ()) == report.full_marks


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=300))
def test_any_text_is_graded_without_crashing(source):
    report = grade(source)
    assert report.max_score == EXERCISE.max_score and report.codes
    render_text(report_dict(report), markdown=True)


def test_notebook_submission(tmp_path):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# my answers"}]
    for name in QUIZ.names:
        cells += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": [f"{name} = None\n"]},
                  {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": ["%time 1\n", f"{name} = {reference_value(name)!r}\n"]}]
    path = tmp_path / "answers.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    submission = load(path)
    assert exercises.identify(submission.source) is EXERCISE
    assert grade(submission.source).full_marks


# ------------------------------------------------------------------------------------------ identification
def test_marker_identifies_quiz_files_and_only_them():
    filled = with_answer("Q1_WHY_SKIP", 'Q1_WHY_SKIP = "a"')
    for source in (STUB_SOURCE, REFERENCE_SOURCE, filled, 'Q4_LOSS_CURVES: str = "a"\n'):
        assert EXERCISE.declared_in(source)
        assert exercises.identify(source) is EXERCISE
    others = [e for e in exercises.all_exercises() if e is not EXERCISE]
    files = [REPO / e.stub for e in others] + [REPO / e.reference for e in others] + sorted(SUBMISSIONS.rglob("*.py"))
    assert files
    for path in files:
        if path.is_file():
            assert not EXERCISE.declared_in(path.read_text(errors="replace")), path
    assert not [e.name for e in others if e.declared_in(STUB_SOURCE) or e.declared_in(REFERENCE_SOURCE)]
    assert not EXERCISE.declared_in("    Q1_WHY_SKIP = 'b'\n") and not EXERCISE.declared_in("# Q1_WHY_SKIP = 'b'\n")


# ------------------------------------------------------------------------------------------ reports
@pytest.mark.parametrize("source", [REFERENCE_SOURCE, STUB_SOURCE, "Q1_WHY_SKIP = (\n", HOSTILE.format(marker="/x"),
                                    with_answer("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = (64, 64, 64)")],
                         ids=["reference", "stub", "syntax_error", "hostile", "wrong"])
def test_reporters_render_a_quiz_report(source):
    report = grade(source)
    data = report_dict(report)
    json.dumps(data)
    text, markdown, html = render_text(data), render_text(data, markdown=True), feedback_html(data)
    assert text.startswith(f"{EXERCISE.name}: {report.score}/{report.max_score}\n")
    for code in report.codes:
        assert f"[{code}]" in text and f"[{code}]" in markdown and f"<h3><code>{code}</code></h3>" in html
    assert "Smallest failing input" not in text + html and "printed to" not in text
    assert data["counterexample"] is None and data["cases_digest"] == QUIZ.digest


# ------------------------------------------------------------------------------------------ public tests
def run_public_tests(learner_source: str):
    return public_runs.run_public_tests(EXERCISE, learner_source)


def test_public_tests_fail_on_a_malformed_file():
    result = run_public_tests(with_answer("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = tuple(output.shape)"))
    assert result.returncode == 1 and "1 failed" in last_line(result), explain(result)
    assert "Q2_OUTPUT_SHAPE cannot be read: line" in result.stdout and "a function call" in result.stdout


def test_public_tests_cannot_tell_right_from_wrong():
    source = REFERENCE_SOURCE
    for q in QUIZ.questions:  # a wrong answer of the right form (a shape of the right rank) everywhere
        wrong = [a for _, answers in q.mistakes for a in answers if not isinstance(q, quiz.Shape) or len(a) == len(q.axes)]
        source = with_answer(q.name, f"{q.name} = {wrong[0]!r}", source)
    assert grade(source).score == 0
    result = run_public_tests(source)
    assert result.returncode == 0, explain(result)  # all wrong, all well-formed: the self-check passes


# ------------------------------------------------------------------------------------------ the CLI
def gradekit(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_cli_grades_the_reference_as_json_and_recognises_the_quiz(tmp_path):
    answers = tmp_path / "my_answers.py"
    answers.write_text(REFERENCE_SOURCE)
    result = gradekit("grade", str(answers), "--json")  # no --exercise: recognised by the marker
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["exercise"] == EXERCISE.name and data["score"] == data["max_score"] == EXERCISE.max_score
    assert data["diagnoses"] == [] and data["generator"] == "quiz"
    result = gradekit("grade", str(STUB))
    assert result.returncode == 0 and result.stdout.startswith(f"{EXERCISE.name}: 0/{EXERCISE.max_score}")
    assert "[not_answered]" in result.stdout


def test_cli_list_shows_the_quiz():
    result = gradekit("list", "--json")
    assert result.returncode == 0, result.stderr
    item = next(i for i in json.loads(result.stdout) if i["name"] == EXERCISE.name)
    assert item["max_score"] == EXERCISE.max_score and item["stub"] == EXERCISE.stub


def test_cli_nbgrader_refuses_a_quiz_in_one_line(tmp_path):
    result = gradekit("nbgrader", str(tmp_path / "course"), "--exercise", EXERCISE.name)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("gradekit: error: ") and "is a quiz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "course").exists()


@pytest.mark.slow
def test_cli_batch_grades_a_class_of_quizzes(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    wrong = with_answer("Q2_OUTPUT_SHAPE", "Q2_OUTPUT_SHAPE = (32, 64, 64, 128)")
    for learner, source in {"ada": REFERENCE_SOURCE, "bo": STUB_SOURCE, "cy": wrong, "di": "Q1_WHY_SKIP = (\n",
                            "ed": HOSTILE.format(marker=str(tmp_path / "executed"))}.items():
        (klass / f"{learner}.py").write_text(source)
    out = tmp_path / "out"
    result = gradekit("batch", str(klass), "--exercise", EXERCISE.name, "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    summary_ = json.loads((out / "summary.json").read_text())
    assert summary_["learners"] == 5 and summary_["full_marks"] == 1
    assert summary_["mistakes"] == {"not_answered": 1, "q2_add_concatenates": 1, "syntax_error": 1,
                                    "malformed_answer": 1}
    grades = (out / "grades.csv").read_text()
    assert f"ada,{EXERCISE.max_score},{EXERCISE.max_score}," in grades
    assert f"cy,{EXERCISE.max_score - CHECK_OF['Q2_OUTPUT_SHAPE'].points}," in grades
    index = (out / "index.html").read_text()
    assert QUESTIONS["Q2_OUTPUT_SHAPE"].wrong[1].mistake.hint.split("'")[0] in index  # hints from the catalog
    assert (out / "feedback" / "cy.html").exists() and not (tmp_path / "executed").exists()


@pytest.mark.slow
def test_cli_gradescope_bundle_grades_a_quiz(tmp_path):
    bundle = tmp_path / "autograder.zip"
    result = gradekit("gradescope", "--exercise", EXERCISE.name, "--out", str(bundle))
    assert result.returncode == 0, result.stderr
    assert f"set the assignment to {EXERCISE.max_score} points" in result.stdout
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    (root / "submission" / "whatever.py").write_text(REFERENCE_SOURCE)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "GRADEKIT_AUTOGRADER_ROOT": str(root)}
    run = subprocess.run([str(root / "source" / "run_autograder")], env=env, cwd=root, capture_output=True, text=True,
                         timeout=120)
    results = json.loads((root / "results" / "results.json").read_text())
    assert run.returncode == 0, run.stdout + run.stderr
    assert results["score"] == EXERCISE.max_score and len(results["tests"]) == len(EXERCISE.checks)
    assert results["extra_data"]["gradekit"]["sandbox"] == M.QUIZ_SANDBOX


def test_release_readme_tells_learners_to_answer_the_quiz():
    from graders import release

    text = release.readme_text()
    assert f"answer the questions in `{EXERCISE.stub}`" in text and "not answered yet" in text
    assert f"implement `{EXERCISE.function}(" not in text
    assert release.exercise_folder(EXERCISE) == Path("exercises/resnet_concepts")
