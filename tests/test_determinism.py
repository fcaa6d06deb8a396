"""Every learner gets the same cases; a regrade reproduces every result."""

import subprocess
import sys

import pytest

from graders.engine.cases import case_book
from graders.report.data import report_dict
from tests.conftest import REPO

DIGEST = "from graders.exercises import get; from graders.engine.cases import case_book; print(case_book(get('residual_unit')).digest)"


@pytest.mark.parametrize("first_import", ["", "import graders.sandbox.launcher; ", "import graders.engine.grade; ",
                                          "import tests.conftest; "])
def test_cases_are_identical_whatever_else_is_loaded(exercise, first_import):
    # Hypothesis would otherwise mix constants from loaded modules into the draw
    other = subprocess.run([sys.executable, "-c", first_import + DIGEST], capture_output=True, text=True, cwd=REPO,
                           check=True)
    assert other.stdout.strip() == case_book(exercise).digest


def test_regrade_reproduces_every_result(grade):
    source = "import numpy as np\ndef residual_block(x, w1, w2):\n    return np.maximum(0, w2 @ (w1 @ x) + x)\n"
    first, second = (report_dict(grade(source)) for _ in range(2))
    for data in (first, second):
        data.pop("elapsed")
    assert first == second
    assert first["diagnoses"] == ["missing_first_relu"]
    assert first["seed"] == 20261122
