"""Differently written correct solutions (loops, einsum, float32, printing, warnings...) get full marks."""

import pytest

from tests.conftest import SUBMISSIONS

CORRECT = sorted((SUBMISSIONS / "correct").glob("*.py"))


def test_there_are_at_least_ten_styles():
    assert len(CORRECT) >= 10


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_solution_gets_full_marks(grade, path):
    report = grade(path.read_text())
    failed = [(c.name, c.feedback and c.feedback.rationale) for c in report.checks if not c.passed]
    assert report.score == report.max_score, failed
    assert report.diagnoses == ()
