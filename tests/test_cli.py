"""The command-line contract other tooling depends on, and its one-line errors."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REFERENCE_SOURCE, REPO

REQUIRED_KEYS = {"exercise", "score", "max_score", "diagnoses", "checks", "seed"}
CHECK_KEYS = {"name", "score", "max_score", "passed", "feedback"}


def gradekit(*args, cwd=REPO, timeout=120):
    return subprocess.run([sys.executable, "-m", "graders", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("gradekit: warning")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gradekit: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""


def test_grade_json_contract(tmp_path):
    sub = tmp_path / "mine.py"
    sub.write_text("import numpy as np\ndef residual_block(x, w1, w2):\n    return np.maximum(0, np.maximum(0, x @ w1) @ w2 + x)\n")
    result = gradekit("grade", str(sub), "--json")  # no --exercise: recognised from the function name
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert REQUIRED_KEYS <= data.keys()
    assert data["exercise"] == "residual_unit"
    assert data["diagnoses"] == ["transposed_weights"]
    assert 0 < data["score"] < data["max_score"] / 2
    for check in data["checks"]:
        assert CHECK_KEYS <= check.keys()
    assert sum(c["score"] for c in data["checks"]) == data["score"]
    failing = [c for c in data["checks"] if not c["passed"]]
    assert failing and all(c["feedback"] for c in failing)


def test_grade_text_report_of_the_reference(tmp_path):
    sub = tmp_path / "ref.py"
    sub.write_text(REFERENCE_SOURCE)
    result = gradekit("grade", str(sub), "--exercise", "residual_unit")
    assert result.returncode == 0
    assert result.stdout.startswith("residual_unit: 20/20")


@pytest.mark.parametrize(("args", "fragment"), [
    (["grade", "does/not/exist.py"], "no such file"),
    (["grade", "examples"], "is a directory"),
    (["grade", "solutions/residual_unit.py", "--exercise", "nope"], "unknown exercise 'nope'"),
    (["grade", "README.md"], "not a .py or .ipynb file"),
    (["batch", "does/not/exist", "--exercise", "residual_unit", "--out", "/tmp/x"], "no such directory"),
    (["batch", "examples", "--exercise", "nope", "--out", "/tmp/x"], "unknown exercise 'nope'"),
    (["grade", "solutions/residual_unit.py", "--time-limit", "0"], "--time-limit must be positive"),
    (["batch", "examples/demo_class", "--exercise", "residual_unit", "--out", "/tmp/x", "--jobs", "0"],
     "--jobs must be at least 1"),
    (["course", "examples", "--out", "/tmp/x", "--jobs", "-1"], "--jobs must be at least 1"),
])
def test_bad_input_is_one_clear_line_and_exit_2(args, fragment):
    assert_one_line_error(gradekit(*args), fragment)


def test_broken_notebook_is_one_clear_line(tmp_path):
    nb = tmp_path / "broken.ipynb"
    nb.write_text('{"cells": [ oops')
    assert_one_line_error(gradekit("grade", str(nb), "--exercise", "residual_unit"), "not a valid notebook")


def test_unrecognised_function_asks_for_exercise(tmp_path):
    sub = tmp_path / "other.py"
    sub.write_text("def something_else():\n    pass\n")
    assert_one_line_error(gradekit("grade", str(sub)), "pass --exercise")


def test_list_json():
    result = gradekit("list", "--json")
    entries = json.loads(result.stdout)
    entry = next(e for e in entries if e["name"] == "residual_unit")
    assert entry["max_score"] == 20
    assert (REPO / entry["stub"]).exists() and (REPO / entry["reference"]).exists()
