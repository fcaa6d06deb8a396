"""Feedback an expert teaching assistant would sign (issue 11): load-time wording, one diagnosis per cause,
values judged apart from their container, compact feedback that never repeats itself, the same content in
every format, and rubric scoring. The per-exercise proofs (no free points, containers, evidence per
mistake) are steps of `graders check`, run for every exercise by tests/test_contract.py."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from graders.cli import main
from graders.engine.compare import Expected, structure_verdict
from graders.engine.grading import grade_source
from graders.engine.kind import ExerciseError
from graders.engine.scoring import apply_scoring, with_scoring
from graders.engine.values import decode_value
from graders.exercises import all_exercises, get
from graders.fairness import CONTAINERS, TRIVIAL, trivial_source, wrapped_reference
from graders.lint import simulate
from graders.report.data import report_dict
from graders.report.document import SKIPPED_NOTE, document
from graders.report.gradescope import gradescope_results
from graders.report.html import feedback_html
from graders.report.text import render_text, rendered
from tests.conftest import REPO

FUNCTION_EXERCISES = [e for e in all_exercises() if e.kind == "function"]
DEMO = REPO / "examples" / "demo_class"


def reference_of(exercise) -> str:
    return exercise.path(exercise.reference).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ load-time wording
@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda e: e.name)
def test_a_file_that_exits_while_loading_is_told_so_with_its_line(exercise, sandbox):
    source = "import sys\nsys.exit(0)\n" + reference_of(exercise)
    report = grade_source(exercise, source, sandbox=sandbox)
    assert report.codes == ("exits",) and report.score == 0
    message = report.diagnoses[0].message
    assert message.startswith("Your file exited while loading (line 2)") and "SystemExit" in message
    assert f"{exercise.function} raised" not in render_text(report_dict(report))


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES[:1], ids=lambda e: e.name)
def test_a_file_that_raises_while_loading_is_told_so_with_its_line(exercise, sandbox):
    source = "import numpy as np\n\n\nraise RuntimeError('boom')\n" + reference_of(exercise)
    report = grade_source(exercise, source, sandbox=sandbox)
    assert report.codes == ("raises",)
    assert report.diagnoses[0].message.startswith("Your file raised RuntimeError: boom while loading (line 4)")


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda e: e.name)
def test_nan_results_are_one_diagnosis_non_finite_and_score_zero(exercise, sandbox):
    report = grade_source(exercise, trivial_source(exercise, TRIVIAL["NaN"]), sandbox=sandbox)
    assert report.codes == ("non_finite",) and report.score == 0


# ------------------------------------------------------------------------------ containers
def describe_value(value):
    """A returned value as the grader receives it from the sandbox."""
    from graders.sandbox import worker

    return decode_value(json.loads(worker.dump(worker.describe(value, [1 << 20]))))


def test_an_integer_array_with_the_right_numbers_is_a_container_problem_only():
    exercise = get("residual_unit")
    expected = Expected(((2,),), (np.array([1.0, 2.0]),))
    vector, bad, container = structure_verdict(exercise, describe_value(np.array([1, 2])), expected)
    assert bad is None and container == "wrong_dtype" and vector.tolist() == [1.0, 2.0]


def test_a_wrong_shape_stays_a_value_failure_even_with_the_right_numbers():
    exercise = get("residual_unit")
    expected = Expected(((2,),), (np.array([1.0, 2.0]),))
    vector, bad, container = structure_verdict(exercise, describe_value(np.array([[1.0], [2.0]])), expected)
    assert vector is None and bad.reason == "wrong_shape" and container == ""


@pytest.mark.parametrize("name", ["a list", "a tuple"])
def test_right_values_in_a_list_lose_only_the_structure_point_and_say_so_once(name, sandbox):
    exercise = get("residual_unit")
    report = grade_source(exercise, wrapped_reference(exercise, *CONTAINERS[name]), sandbox=sandbox)
    assert report.score == exercise.max_score - 1
    assert [c.name for c in report.checks if not c.passed] == ["returns_float_array_of_shape_n"]
    text = render_text(report_dict(report))
    assert text.count("np.asarray(...)") == 1, text


def test_a_strict_container_exercise_fails_the_value_checks_too(sandbox):
    from dataclasses import replace

    exercise = get("residual_unit")
    strict = replace(exercise, strict_container=True)
    report = grade_source(strict, wrapped_reference(exercise, *CONTAINERS["a list"]), sandbox=sandbox)
    assert report.score == 0 and "not_an_array" in report.codes


# ------------------------------------------------------------------------------ compact feedback
def _demo_reports(sandbox):
    exercise = get("residual_unit")
    return [grade_source(exercise, p.read_text(encoding="utf-8"), sandbox=sandbox, submission=p.name)
            for p in sorted(DEMO.glob("*.py"))]


def _catalog_pair_reports():
    """Reports of learners with one or two catalogued mistakes, in every function exercise."""
    from graders.engine.variants import variants_of_size

    for exercise in FUNCTION_EXERCISES:
        for size in (1, 2):
            for variant in variants_of_size(exercise, size)[:12]:
                yield simulate(exercise, variant.overrides)


def repeated_lines(text: str) -> dict[str, int]:
    counts = Counter(line.strip() for line in text.splitlines() if line.strip() and not set(line.strip()) <= set("`"))
    return {line: n for line, n in counts.items() if n > 2}


def test_no_feedback_line_repeats_more_than_twice(sandbox):
    reports = [*_demo_reports(sandbox), *_catalog_pair_reports()]
    assert len(reports) > 60
    for report in reports:
        data = report_dict(report)
        for text in (render_text(data), render_text(data, markdown=True)):
            assert not repeated_lines(text), (report.submission, repeated_lines(text), text)


def test_summary_comes_first_and_each_named_mistake_shows_its_evidence_trace():
    exercise = get("residual_unit")
    report = simulate(exercise, {"branch_act": True, "transpose_w1": True, "transpose_w2": True})
    text = render_text(report_dict(report))
    assert text.index("What went wrong") < text.index("Checks:")
    assert report.codes == ("extra_relu_before_skip", "transposed_weights")
    for diagnosis in report.diagnoses:
        evidence = diagnosis.evidence
        assert evidence is not None and evidence.call in text
        marked = [s.label for s in evidence.trace if s.changed]
        assert len(marked) == 1 and f"> {marked[0]}" in text
    # the two mistakes are shown on two different inputs, each showing its own mistake
    assert report.diagnoses[0].evidence.call != report.diagnoses[1].evidence.call
    assert "Smallest failing input" not in text  # the evidence replaces it


def test_a_failing_check_shows_one_call_and_nothing_the_summary_already_shows():
    exercise = get("residual_unit")
    data = report_dict(simulate(exercise, {"final_act": False}))
    doc = document(data)
    evidence_calls = {m.evidence.call for m in doc.mistakes if m.evidence}
    for check in doc.checks:
        if check.status != "failed":
            assert check.lines == []
            continue
        assert len([line for line in check.lines if exercise.function + "(" in line]) <= 1
        assert not any(call in line for line in check.lines for call in evidence_calls)


def test_skipped_checks_are_explained_once(sandbox):
    exercise = get("residual_unit")
    report = grade_source(exercise, "import sys\nsys.exit(3)\n", sandbox=sandbox)
    text = render_text(report_dict(report))
    assert text.count(SKIPPED_NOTE) == 1 and text.count("SKIP ") == len(exercise.checks) - 1


def test_every_format_carries_the_same_content():
    exercise = get("residual_unit")
    data = report_dict(simulate(exercise, {"branch_act": True, "transpose_w1": True, "transpose_w2": True}))
    doc = document(data)
    text, markdown, page = render_text(data), render_text(data, markdown=True), feedback_html(data)
    gradescope = gradescope_results(data, 1.0)
    shown = rendered(data)
    for mistake in doc.mistakes:
        for rendering in (text, markdown, shown["summary"], gradescope["output"]):
            assert mistake.evidence.call in rendering and mistake.code in rendering
        assert mistake.evidence.call.replace("'", "&#x27;") in page
        for step in mistake.evidence.steps:
            assert step.value in text and step.value in page
    for check, test in zip(doc.checks, gradescope["tests"]):
        assert test["output"] == "\n".join(check.lines) == shown["checks"][check.name]


# ------------------------------------------------------------------------------ rubric scoring
def test_rubric_scoring_deducts_each_named_mistake_from_the_maximum():
    exercise = with_scoring(get("residual_unit"), "rubric")
    report = exercise.scored(simulate(exercise, {"branch_act": True, "transpose_w1": True, "transpose_w2": True}))
    deductions = {item.code: item.deduction for item in report.rubric}
    assert deductions == {"extra_relu_before_skip": exercise.rubric["extra_relu_before_skip"],
                          "transposed_weights": exercise.rubric["transposed_weights"]}
    assert report.score == exercise.max_score - sum(deductions.values()) > report.check_score
    data = report_dict(report)
    assert data["scoring"] == "rubric" and data["check_score"] == report.check_score
    text = render_text(data)
    assert "Rubric items applied" in text and f"-{deductions['transposed_weights']}  transposed_weights" in text


def test_rubric_scoring_never_goes_below_zero():
    exercise = with_scoring(get("residual_unit"), "rubric")
    report = exercise.scored(simulate(exercise, {"skip": 0.0, "transpose_w1": True, "act": "tanh"}))
    assert sum(item.deduction for item in report.rubric) > exercise.max_score or report.score >= 0
    assert report.score == max(0, exercise.max_score - sum(item.deduction for item in report.rubric))


@pytest.mark.parametrize("make", ["zeros", "NaN", "None"])
def test_rubric_scoring_falls_back_to_the_checks_when_no_catalogued_mistake_explains_it(make, sandbox):
    exercise = with_scoring(get("residual_unit"), "rubric")
    report = grade_source(exercise, trivial_source(exercise, TRIVIAL[make]), sandbox=sandbox)
    assert report.scoring == "checks" and report.rubric == () and report.score == report.check_score == 0
    assert report.scoring_note.startswith("Scored by the checks")
    assert report.scoring_note in render_text(report_dict(report))


def test_rubric_scoring_gives_full_marks_to_the_reference(sandbox):
    exercise = with_scoring(get("residual_unit"), "rubric")
    report = grade_source(exercise, reference_of(exercise), sandbox=sandbox)
    assert report.scoring == "rubric" and report.score == exercise.max_score and not report.rubric


def test_quiz_rubric_gives_partial_credit_where_the_instructor_declared_it():
    quiz = get("resnet_concepts")
    answers = {"Q1_WHY_SKIP": "b", "Q2_OUTPUT_SHAPE": (64, 64, 64), "Q3_CHANNEL_MISMATCH": None}
    from graders.lint import answer_sheet, reference_answers

    sheet = answer_sheet(quiz, {**reference_answers(quiz), **{k: v for k, v in answers.items() if v is not None}})
    by_checks = quiz.grade(sheet)
    by_rubric = with_scoring(quiz, "rubric").grade(sheet)
    assert by_checks.codes == by_rubric.codes == ("q2_missing_batch",)
    assert by_checks.score == quiz.max_score - 2 and by_rubric.score == quiz.max_score - 1


def test_a_rubric_is_validated_when_declared():
    from dataclasses import replace

    exercise = get("residual_unit")
    with pytest.raises(ExerciseError, match=r"rubric\['no_such_mistake'\]: is not a code"):
        replace(exercise, rubric={**exercise.rubric, "no_such_mistake": 2})
    with pytest.raises(ExerciseError, match=r"rubric\['missing_skip'\]: must be a whole number of points from 1 to 20"):
        replace(exercise, rubric={**exercise.rubric, "missing_skip": 0})
    partial = dict(exercise.rubric)
    del partial["missing_skip"]
    with pytest.raises(ExerciseError, match="none for missing_skip"):
        replace(exercise, rubric=partial, scoring="rubric")
    with pytest.raises(ExerciseError, match="scoring: must be one of checks, rubric"):
        replace(exercise, scoring="curve")


def test_scoring_changes_the_fingerprint_so_a_batch_regrades():
    exercise = get("residual_unit")
    assert with_scoring(exercise, "rubric").fingerprint != exercise.fingerprint
    assert apply_scoring(exercise, simulate(exercise, {"skip": 0.0})).scoring == "checks"


def test_grade_with_scoring_rubric_on_the_command_line(capsys):
    assert main(["grade", str(DEMO / "frank.py"), "--exercise", "residual_unit", "--scoring", "rubric", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scoring"] == "rubric" and data["score"] == 20 - 5 - 6
    assert [item["code"] for item in data["rubric"]] == ["extra_relu_before_skip", "transposed_weights"]
    assert data["rendered"]["summary"].startswith("residual_unit: 9/20")


def test_an_exercise_without_a_full_rubric_refuses_rubric_scoring_in_one_line(capsys, monkeypatch):
    from dataclasses import replace

    import graders.options as options

    exercise = get("residual_unit")
    monkeypatch.setattr(options.exercises, "get", lambda name: replace(exercise, rubric={}))
    assert main(["batch", str(DEMO), "--exercise", "residual_unit", "--out", "/nonexistent/x",
                 "--scoring", "rubric"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rubric scoring needs a deduction for every catalogued mistake" in err[0]


def test_the_class_page_counts_the_learners_each_rubric_item_hit(tmp_path):
    out = tmp_path / "out"
    classdir = tmp_path / "class"
    classdir.mkdir()
    for name in ("carol.py", "frank.py", "alice.py"):
        (classdir / name).write_bytes((DEMO / name).read_bytes())
    assert main(["batch", str(classdir), "--exercise", "residual_unit", "--out", str(out), "--jobs", "1",
                 "--scoring", "rubric"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    hits = {item["code"]: item["learners"] for item in summary["rubric"]}
    assert hits["transposed_weights"] == 2 and hits["extra_relu_before_skip"] == 1 and hits["missing_skip"] == 0
    grades = (out / "grades.csv").read_text().splitlines()
    assert any(row.startswith("carol,14,20") for row in grades), grades
    page = (out / "index.html").read_text()
    assert re.search(r"transposed_weights</td><td class='num'>-6</td><td class='num'>2</td>", page)
    feedback = (out / "feedback" / "frank.md").read_text()
    assert "Rubric items applied" in feedback


def test_nbgrader_cells_print_the_same_summary():
    helper = (Path(__file__).parents[1] / "graders" / "report" / "nbgrader_cell.py").read_text()
    namespace: dict = {}
    exec(compile(helper, "nbgrader_cell.py", "exec"), namespace)  # noqa: S102 - the kit's own helper
    exercise = get("residual_unit")
    data = report_dict(simulate(exercise, {"transpose_w1": True}))
    data["rendered"] = rendered(data)
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace["_gradekit_summary"](data, "residual_unit")
    assert printed.getvalue().strip() == data["rendered"]["summary"].strip()
