"""Every learner gets the same cases; a regrade reproduces every result."""

import os
import subprocess
import sys

import pytest

from graders.engine.cases import case_book
from graders.report.data import report_dict
from tests.conftest import REPO

DIGEST = "from graders.exercises import get; from graders.engine.cases import case_book; print(case_book(get('residual_unit')).digest)"


@pytest.mark.parametrize("first_import", ["", "import graders.sandbox.launcher; ", "import graders.engine.grading; ",
                                          "import tests.conftest; "])
def test_cases_are_identical_whatever_else_is_loaded(exercise, first_import):
    # Hypothesis would otherwise mix constants from loaded modules into the draw
    env = {**os.environ, "GRADEKIT_NO_CACHE": "1"}  # draw afresh, do not read the on-disk cache
    other = subprocess.run([sys.executable, "-c", first_import + DIGEST], capture_output=True, text=True, cwd=REPO,
                           check=True, env=env)
    assert other.stdout.strip() == case_book(exercise).digest


def test_regrade_reproduces_every_result(grade):
    source = "import numpy as np\ndef residual_block(x, w1, w2):\n    return np.maximum(0, w2 @ (w1 @ x) + x)\n"
    first, second = (report_dict(grade(source)) for _ in range(2))
    for data in (first, second):
        data.pop("elapsed")
    assert first == second
    assert first["diagnoses"] == ["missing_first_relu"]
    assert first["seed"] == 20261122


def test_cached_cases_are_the_drawn_cases(exercise, tmp_path, monkeypatch):
    from graders.engine import cases

    monkeypatch.setenv("GRADEKIT_CACHE_DIR", str(tmp_path))
    path = cases.cache_path(exercise)
    cases.save_book(path, case_book(exercise))
    loaded = cases.load_book(path)
    assert loaded.digest == case_book(exercise).digest
    assert [c.set_name for c in loaded.cases] == [c.set_name for c in case_book(exercise).cases]
    path.write_bytes(path.read_bytes()[:-40])  # a damaged cache is ignored, never trusted
    assert cases.load_book(path) is None
