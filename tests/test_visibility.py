"""What learners see before the deadline (graders/report/visibility.py), per check: everything, the result
without the failing case, or nothing until after the due date; in every learner output (batch feedback
files, Gradescope, nbgrader cells, `grade --learner-view`; PrairieLearn: tests/test_prairielearn.py), while
the instructor's outputs keep everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from graders.cli import main
from graders.engine.grading import grade_source
from graders.exercises import get
from graders.lint import simulate
from graders.report.data import report_dict
from graders.report.gradescope import gradescope_results
from graders.report.text import render_text
from graders.report.visibility import (
    RESULT_ONLY,
    Visibility,
    VisibilityError,
    learner_view,
    parse_levels,
    scrub_calls,
)
from tests.conftest import REPO

EXERCISE = get("residual_unit")
DEMO = REPO / "examples" / "demo_class"
EDGE, HIDDEN_WIDTH, SQUARE = "matches_reference_edge_cases", "matches_reference_hidden_width", "matches_reference_square"
FUTURE = datetime.now() + timedelta(days=7)
PAST = datetime.now() - timedelta(days=1)
RESTRICTED = {EDGE: "after_due", HIDDEN_WIDTH: "result"}


@pytest.fixture(scope="module")
def transposed():
    return report_dict(simulate(EXERCISE, {"transpose_w1": True, "transpose_w2": True}))


@pytest.fixture(scope="module")
def unexplained(sandbox):
    source = "import numpy as np\ndef residual_block(x, w1, w2):\n    return np.maximum(0, w2 @ (w1 @ x)) * 0.5 + x\n"
    return report_dict(grade_source(EXERCISE, source, sandbox=sandbox))


def calls_in(text: str) -> list[str]:
    """Lines showing a call of the learner's function, the public worked examples' labels aside."""
    return [line for line in text.splitlines() if "residual_block(x=" in line and "worked example" not in line]


def test_default_shows_everything(transposed):
    assert learner_view(transposed) is transposed
    assert learner_view(transposed, Visibility(due=FUTURE)) is transposed


def test_result_only_hides_the_failing_case_and_after_due_hides_the_check(transposed):
    view = learner_view(transposed, Visibility(RESTRICTED, FUTURE))
    names = [c["name"] for c in view["checks"]]
    assert EDGE not in names and HIDDEN_WIDTH in names
    width = next(c for c in view["checks"] if c["name"] == HIDDEN_WIDTH)
    assert width["feedback"] == RESULT_ONLY and width["details"] is None
    assert view["counterexample"] is None
    assert view["max_score"] == EXERCISE.max_score - 5 and view["score"] == transposed["score"]
    assert "shown after the due date" in view["visibility_note"]
    text = render_text(view)
    square_call = next(c for c in transposed["checks"] if c["name"] == SQUARE)["details"]["call"]
    evidence_call = transposed["diagnosis_details"][0]["evidence"]["call"]
    allowed = {square_call, evidence_call}  # a check left at "all" shows its call; evidence stays
    assert all(any(call in line for call in allowed) for line in calls_in(text)), calls_in(text)
    # the instructor's data is untouched
    assert [c["name"] for c in transposed["checks"]][-1] == EDGE and transposed["counterexample"]


def test_after_the_due_date_everything_is_shown(transposed):
    assert learner_view(transposed, Visibility(RESTRICTED, PAST)) is transposed


def test_calls_in_diagnoses_are_scrubbed_when_cases_are_restricted(unexplained):
    assert "unknown" in unexplained["diagnoses"]
    detail = next(d for d in unexplained["diagnosis_details"] if d["code"] == "unknown")["message"]
    assert "residual_block(x=" in detail
    view = learner_view(unexplained, Visibility(parse_levels("*=result", [c.name for c in EXERCISE.checks]), FUTURE))
    assert calls_in(render_text(view)) == []
    assert scrub_calls("worst at index 2 of f(x=[1, [2]], w=(3)). Next", "f") == "worst at index 2 of a generated input. Next"


def test_bad_settings_are_refused_naming_the_part():
    names = [c.name for c in EXERCISE.checks]
    with pytest.raises(VisibilityError, match="no check 'nope'"):
        parse_levels("nope=result", names)
    with pytest.raises(VisibilityError, match="LEVEL one of all, result, after_due"):
        parse_levels(f"{EDGE}=secret", names)
    from graders.authoring import agreement, check

    with pytest.raises(ValueError, match="visibility must be one of"):
        agreement("square", points=1, visibility="later")
    with pytest.raises(ValueError, match="visibility must be one of"):
        check(points=1, visibility="hidden")


def test_gradescope_uses_after_due_date_and_strips_result_only_cases(transposed):
    results = gradescope_results(transposed, 1.0, Visibility(RESTRICTED, FUTURE))
    tests = {t["tags"][0]: t for t in results["tests"]}
    assert tests[EDGE]["visibility"] == "after_due_date" and tests[EDGE]["output"]  # Gradescope releases it later
    assert tests[HIDDEN_WIDTH]["visibility"] == "visible" and tests[HIDDEN_WIDTH]["output"] == RESULT_ONLY
    summary = results["output"].split("\nChecks:\n")[0]
    assert "Smallest failing input" not in results["output"] and "matches the reference on edge cases" not in results["output"]
    assert "residual_block(x=" not in summary.replace(transposed["diagnosis_details"][0]["evidence"]["call"], "")


def test_batch_feedback_files_follow_the_due_date_and_the_instructor_keeps_everything(tmp_path, capsys):
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "carol.py").write_bytes((DEMO / "carol.py").read_bytes())
    out = tmp_path / "out"
    settings = ["--visibility", f"{EDGE}=after_due,{HIDDEN_WIDTH}=result"]
    common = ["batch", str(klass), "--exercise", EXERCISE.name, "--out", str(out), "--jobs", "1"]
    assert main([*common, *settings, "--due", FUTURE.isoformat()]) == 0
    before = (out / "feedback" / "carol.md").read_text()
    assert RESULT_ONLY in before and "shown after the due date" in before and "edge cases" not in before
    report = json.loads((out / "report.json").read_text())["learners"][0]
    assert [c["name"] for c in report["checks"]][-1] == EDGE and report["counterexample"]  # instructor: all
    assert main([*common, *settings, "--due", PAST.isoformat()]) == 0  # nothing regraded, feedback rewritten
    assert "graded 0, unchanged 1" in capsys.readouterr().out
    after = (out / "feedback" / "carol.md").read_text()
    assert RESULT_ONLY not in after and "edge cases" in after


def test_grade_learner_view_and_json_rendering(capsys):
    args = ["grade", str(DEMO / "carol.py"), "--exercise", EXERCISE.name, "--visibility", f"{EDGE}=after_due",
            "--due", FUTURE.isoformat()]
    assert main([*args, "--learner-view"]) == 0
    text = capsys.readouterr().out
    assert "edge cases" not in text and "shown after the due date" in text
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rendered"]["hidden"] == [EDGE] and EDGE not in data["rendered"]["checks"]
    assert [c["name"] for c in data["checks"]][-1] == EDGE  # the data itself keeps everything
    assert main(["grade", str(DEMO / "carol.py"), "--exercise", EXERCISE.name, "--visibility", "x=all"]) == 2


def test_nbgrader_cells_hold_back_a_check_in_the_learners_kernel_and_grade_it_when_autograding(monkeypatch):
    pytest.importorskip("IPython")
    import IPython

    helper = (REPO / "graders" / "report" / "nbgrader_cell.py").read_text()
    source = (DEMO / "carol.py").read_text()

    class Shell:
        class history_manager:  # noqa: N801 - IPython's attribute name
            input_hist_raw = ["", source]

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    monkeypatch.setenv("GRADEKIT_PYTHON", sys.executable)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    options = ["--time-limit", "5", "--visibility", f"{EDGE}=after_due,{HIDDEN_WIDTH}=result", "--due",
               FUTURE.isoformat()]

    def cell(check):
        namespace = {"_GRADEKIT": {"exercise": EXERCISE.name, "options": options, "timeout": 120}}
        exec(compile(helper, "nbgrader_cell.py", "exec"), namespace)  # noqa: S102 - the kit's own helper
        return namespace["_gradekit_check"](check)

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert cell(EDGE)[0] is True  # held back: neither passed nor failed in the learner's kernel
    ok, why = cell(HIDDEN_WIDTH)
    assert not ok and RESULT_ONLY in why and "residual_block(x=" not in why
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert cell(EDGE)[0] is False  # autograding grades it


def test_gradescope_bundle_carries_the_settings(tmp_path):
    import zipfile

    out = tmp_path / "autograder.zip"
    result = subprocess.run([sys.executable, "-m", "graders", "gradescope", "--exercise", EXERCISE.name, "--out",
                             str(out), "--visibility", f"{EDGE}=after_due", "--due", "2026-12-15T23:59"],
                            cwd=REPO, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        config = json.loads(zf.read("gradekit-autograder.json"))
    from graders.report.visibility import parse_due

    assert config["visibility"] == {"overrides": {EDGE: "after_due"}, "due": parse_due("2026-12-15T23:59").isoformat()}
    assert Visibility.from_dict(config["visibility"]).level({"name": EDGE}) == "after_due"


def test_the_data_path_keeps_a_checks_declared_visibility(sandbox):
    from dataclasses import replace

    checks = tuple(replace(c, visibility="result") if c.name == SQUARE else c for c in EXERCISE.checks)
    exercise = replace(EXERCISE, checks=checks)
    data = report_dict(grade_source(exercise, (DEMO / "carol.py").read_text(), sandbox=sandbox))
    assert next(c for c in data["checks"] if c["name"] == SQUARE)["visibility"] == "result"
    view = learner_view(data, Visibility())
    assert next(c for c in view["checks"] if c["name"] == SQUARE)["feedback"] == RESULT_ONLY


def test_a_due_date_without_a_zone_keeps_the_exporting_machines_offset():
    from graders.report.visibility import parse_due

    due = parse_due("2026-12-15T23:59")
    assert due.tzinfo is not None and due.utcoffset() == datetime.now().astimezone().utcoffset()
    assert Visibility.from_dict(Visibility({}, due).to_dict()).due == due


def test_what_the_code_printed_is_held_back_too(sandbox):
    source = ("import numpy as np\ndef residual_block(x, w1, w2):\n    print('LEAK', x.tolist())\n"
              "    return np.maximum(0, w2 @ (w1 @ x)) * 0.5 + x\n")
    data = report_dict(grade_source(EXERCISE, source, sandbox=sandbox))
    assert "LEAK" in render_text(data)
    view = learner_view(data, Visibility({HIDDEN_WIDTH: "result"}, FUTURE))
    text = render_text(view)
    assert "LEAK" not in text and "not shown before the due date" in text
