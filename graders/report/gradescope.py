"""Gradescope's results.json, rendered from a report's data form (graders/report/data.py): one test per
check (name, score, max_score, status, output, visibility), the text report as the overall output (a test's
output holds only what the overall output does not already say), and gradekit's own data for the
instructor in extra_data."""

from __future__ import annotations

from graders.engine.kind import Exercise
from graders.report.document import document
from graders.report.safe import for_terminal, one_line
from graders.report.text import render_text


def gradescope_results(data: dict, elapsed: float, visibility=None) -> dict:
    """Gradescope's results.json for a report's data form (graders.report.data.report_dict). With
    visibility restrictions (graders/report/visibility.py), a check held back until the due date is a
    test with Gradescope's own "after_due_date" visibility; a result-only check shows no failing case; the
    overall output is what the learner may see now."""
    from graders.report.visibility import DEFAULT, RESULT_ONLY, learner_view

    visibility = visibility or DEFAULT
    view = learner_view(data, visibility)
    header = f"Graded file: {one_line(data['submission'])}\n\n" if data.get("submission") else ""
    shown = {c.name: c for c in document(view).checks}
    tests = []
    for c, raw in zip(document(data).checks, data["checks"]):
        level = visibility.level(raw)  # Gradescope itself releases after_due_date tests
        lines = c.lines if level == "after_due" else shown[c.name].lines if c.name in shown else []
        if level != "after_due" and visibility.effective(raw) == "result":
            lines = [RESULT_ONLY] if c.status != "passed" else []
        tests.append({"name": one_line(c.label), "score": c.score, "max_score": c.max_score,
                      "status": "passed" if c.status == "passed" else "failed",
                      "output": for_terminal("\n".join(lines)), "tags": [c.name],
                      "visibility": "after_due_date" if level == "after_due" else "visible"})
    return {
        "score": data["score"],
        "execution_time": round(elapsed, 2),
        "output": header + render_text(view),
        "output_format": "text",
        "test_output_format": "text",
        "stdout_visibility": "hidden",  # the grader's own log: for the instructor
        "tests": tests,
        "extra_data": {"gradekit": {
            "exercise": data["exercise"], "version": data["version"], "submission": data.get("submission"),
            "max_score": data["max_score"], "diagnoses": data["diagnoses"], "seed": data["seed"],
            "scoring": data.get("scoring"), "rubric": data.get("rubric") or [],
            "cases_digest": data["cases_digest"], "generator": data["generator"], "sandbox": data["sandbox"]}},
    }


def not_graded_results(exercise: Exercise, message: str, elapsed: float, *, submission: str | None = None,
                       code: str = "not_graded") -> dict:
    """results.json for a submission that could not be graded: 0 points, and the reason in plain words."""
    tests = [{"name": c.label, "score": 0, "max_score": c.points, "status": "failed",
              "output": "Not graded: see the message at the top.", "tags": [c.name], "visibility": "visible"}
             for c in exercise.checks]
    return {
        "score": 0,
        "execution_time": round(elapsed, 2),
        "output": f"{exercise.name}: 0/{exercise.max_score}\n\nYour submission could not be graded.\n{message}\n",
        "output_format": "text",
        "test_output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"gradekit": {"exercise": exercise.name, "version": exercise.version, "submission": submission,
                                    "max_score": exercise.max_score, "diagnoses": [code], "sandbox": None}},
    }


