"""A report as plain JSON-ready data: the shape every other reporter and the CLI's --json share."""

from __future__ import annotations

from graders.engine.results import GradeReport
from graders.report.text import check_feedback_text


def report_dict(report: GradeReport) -> dict:
    return {
        "exercise": report.exercise,
        "version": report.version,
        "submission": report.submission,
        "score": report.score,
        "max_score": report.max_score,
        "scoring": report.scoring,
        "check_score": report.check_score,
        "rubric": [item.to_dict() for item in report.rubric],
        "scoring_note": report.scoring_note,
        "diagnoses": list(report.codes),
        "diagnosis_details": [d.to_dict() for d in report.diagnoses],
        "checks": [
            {"name": c.name, "label": c.label, "score": c.score, "max_score": c.max_score, "passed": c.passed,
             "status": c.status, "visibility": c.visibility, "feedback": check_feedback_text(c),
             "details": c.feedback.to_dict() if c.feedback else None}
            for c in report.checks
        ],
        "counterexample": report.counterexample.to_dict() if report.counterexample else None,
        "worst_error": report.worst_error,
        "seed": report.seed,
        "cases_digest": report.cases_digest,
        "generator": report.generator,
        "sandbox": report.sandbox,
        "sandbox_note": report.sandbox_note,
        "output": {"stdout": report.output.stdout, "stderr": report.output.stderr,
                   "stdout_bytes": report.output.stdout_bytes, "stderr_bytes": report.output.stderr_bytes},
        "elapsed": round(report.elapsed, 4),
    }
