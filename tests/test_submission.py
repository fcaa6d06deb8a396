"""Reading submissions: notebooks (magics skipped), folders, and clear errors."""

import json

import pytest

from graders.submission import SubmissionError, load
from tests.conftest import REFERENCE_SOURCE


def notebook(cells):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": kind, "metadata": {}, "source": src, **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                                 for kind, src in cells]})


def test_notebook_code_cells_in_order_with_magics_skipped(tmp_path, grade):
    path = tmp_path / "learner.ipynb"
    path.write_text(notebook([
        ("markdown", "# My solution"),
        ("code", ["%matplotlib inline\n", "import numpy as np\n", "!pip list\n"]),
        ("code", "%%timeit\nnp.zeros(3)"),
        ("code", REFERENCE_SOURCE),
        ("code", "print(residual_block(np.array([1.0, 2.0]), np.eye(2), np.eye(2) * 0.5))"),
    ]))
    source = load(path).source
    assert "%matplotlib" not in source.replace("# %matplotlib", "") or "pass  # %matplotlib inline" in source
    assert "timeit" not in source
    compile(source, "nb", "exec")
    report = grade(source)
    assert report.score == report.max_score
    assert "[1.5 3. ]" in report.output.stdout


@pytest.mark.parametrize("content", ["{not json", '{"cells": 3}', '[1, 2]'])
def test_broken_notebooks_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "b.ipynb"
    path.write_text(content)
    with pytest.raises(SubmissionError, match="not a valid notebook"):
        load(path)


def test_folder_submission_prefers_the_stub_name(tmp_path):
    (tmp_path / "residual_unit.py").write_text("A = 1\n")
    (tmp_path / "scratch.py").write_text("B = 2\n")
    assert load(tmp_path, "residual_unit").source == "A = 1\n"
    with pytest.raises(SubmissionError, match="several candidate files"):
        load(tmp_path)


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SubmissionError, match="no .py or .ipynb"):
        load(tmp_path)
