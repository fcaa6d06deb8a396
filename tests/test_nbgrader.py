"""`gradekit nbgrader`: the source notebook it writes, and real nbgrader end to end on a temporary course.

generate_assignment -> submissions built from the released student notebook -> autograde ->
generate_feedback -> export, then: nbgrader's grades (per learner and per test cell) equal gradekit's own
(`gradekit batch` on nbgrader's submitted/ folders), a learner's stderr costs nothing, an endless loop costs
its checks but not the run, and neither the cell outputs nor the feedback pages show reference code.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graders import exercises
from graders.nbgrader import timeouts
from graders.report.notebook import MARKER
from tests.conftest import REFERENCE_SOURCE, REPO

EXERCISE = "residual_unit"
TIME_LIMIT = "3"
EX = exercises.get(EXERCISE)
PUBLIC_TEXT = (REPO / EX.stub).read_text() + (REPO / EX.readme).read_text()

LEARNERS = {
    "correct": "def residual_block(x, w1, w2):\n"
               "    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n",
    "noisy": "import sys\nimport warnings\n\n"
             "print('loading my solution')\n"
             "warnings.warn('a warning at top level')\n"
             "print('debug output on stderr', file=sys.stderr)\n\n\n"
             "def residual_block(x, w1, w2):\n"
             "    print('debug', x.shape, w1.shape, w2.shape)\n"
             "    print('more debug on stderr', file=sys.stderr)\n"
             "    warnings.warn('a warning inside residual_block')\n"
             "    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n",
    "buggy": "def residual_block(x, w1, w2):\n"
             "    return np.maximum(0, np.maximum(0, x @ w1) @ w2 + x)\n",
    "looping": "def residual_block(x, w1, w2):\n"
               "    while True:\n"
               "        pass\n",
}


def gradekit(*args, cwd=REPO, timeout=300):
    return subprocess.run([sys.executable, "-m", "graders", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def reference_lines() -> list[str]:
    """Non-trivial lines of the hidden reference that learners never see (not in the stub or README)."""
    lines = []
    for line in REFERENCE_SOURCE.splitlines():
        s = line.strip()
        if len(s) >= 10 and not s.startswith(("import ", "from ")) and s not in PUBLIC_TEXT:
            lines.append(s)
    assert len(lines) >= 3, lines
    return lines


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def leaked(text: str) -> list[str]:
    flat = squash(text)
    return [line for line in reference_lines() if squash(line) in flat]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(page: str) -> str:
    """The text of a page with the markup (syntax-highlighting spans included) removed and entities decoded."""
    parser = _Text()
    parser.feed(page)
    return "".join(parser.parts)


def output_text(output: dict) -> str:
    if output["output_type"] == "stream":
        text = output["text"]
    elif output["output_type"] == "error":
        text = "\n".join([output["evalue"], *output["traceback"]])
    else:
        text = json.dumps(output.get("data", {}))
    text = "".join(text) if isinstance(text, list) else text
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


# ------------------------------------------------------------------------------ the source notebook
@pytest.fixture(scope="module")
def source_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course-source")
    result = gradekit("nbgrader", str(course), "--exercise", EXERCISE, "--time-limit", TIME_LIMIT)
    assert result.returncode == 0, result.stderr
    return course


def test_source_notebook_has_statement_solution_and_one_test_cell_per_check(source_course):
    nb = json.loads((source_course / "source" / EXERCISE / f"{EXERCISE}.ipynb").read_text())
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    text = "".join(cells[0]["source"])
    assert text.startswith("# Residual unit") and "## Worked examples" in text and "## Self-check" not in text
    solutions = [c for c in cells if nbgrader_meta(c).get("solution")]
    assert len(solutions) == 1
    solution = "".join(solutions[0]["source"])
    assert solution.count("### BEGIN SOLUTION") == 1 and solution.count("### END SOLUTION") == 1
    inside = solution.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    assert len(leaked(inside)) >= 3  # the reference body, and only between the markers
    assert not leaked(solution.split("### BEGIN SOLUTION")[0])
    assert nbgrader_meta(solutions[0]) == {"grade": False, "grade_id": "solution", "locked": False,
                                           "schema_version": 3, "solution": True, "task": False}
    tests = [c for c in cells if nbgrader_meta(c).get("grade")]
    assert [nbgrader_meta(c)["points"] for c in tests] == [c.points for c in EX.checks]
    assert sum(nbgrader_meta(c)["points"] for c in tests) == EX.max_score == 20
    for cell, check in zip(tests, EX.checks):
        meta = nbgrader_meta(cell)
        assert meta == {"grade": True, "grade_id": f"test_{check.name}", "locked": True, "points": check.points,
                        "schema_version": 3, "solution": False, "task": False}
        source = "".join(cell["source"])
        assert source.startswith(MARKER) and repr(check.name) in source and not leaked(source)
    ids = [c["id"] for c in cells]
    grade_ids = [nbgrader_meta(c)["grade_id"] for c in cells if nbgrader_meta(c)]
    assert len(set(ids)) == len(ids) and len(set(grade_ids)) == len(grade_ids)
    config = (source_course / "nbgrader_config.py").read_text()
    assert f"c.CourseDirectory.course_id = {source_course.name!r}" in config
    assert f"c.ExecutePreprocessor.timeout = {timeouts(float(TIME_LIMIT))[1]}" in config


def test_the_test_cells_are_inert_when_gradekit_loads_the_notebook(source_course):
    """`gradekit grade` (and `batch`) on the instructor's notebook: the test cells do not run, the reference does."""
    result = gradekit("grade", str(source_course / "source" / EXERCISE / f"{EXERCISE}.ipynb"),
                      "--exercise", EXERCISE, "--json", "--time-limit", TIME_LIMIT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["score"] == 20


def test_existing_notebook_and_bad_input_are_one_line_errors(source_course, tmp_path):
    (tmp_path / "file").write_text("")
    for args, fragment in [
        ([str(source_course), "--exercise", EXERCISE], "already exists (pass --force"),
        ([str(tmp_path / "new"), "--exercise", "nope"], "unknown exercise 'nope'"),
        ([str(tmp_path / "file"), "--exercise", EXERCISE], "not a directory"),
        ([str(tmp_path / "new"), "--exercise", EXERCISE, "--time-limit", "0"], "--time-limit must be positive"),
    ]:
        result = gradekit("nbgrader", *args)
        assert result.returncode == 2, result
        lines = [line for line in result.stderr.splitlines() if not line.startswith("gradekit: warning")]
        assert len(lines) == 1 and lines[0].startswith("gradekit: error: ") and fragment in lines[0], result.stderr
    config = source_course / "nbgrader_config.py"
    before = config.read_text()
    result = gradekit("nbgrader", str(source_course), "--exercise", EXERCISE, "--force")
    assert result.returncode == 0, result.stderr
    assert config.read_text() == before  # an existing config is never overwritten


# ------------------------------------------------------------------------------- nbgrader end to end
# CI installs the test extra: there a missing nbgrader fails instead of skipping
needs_nbgrader = pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None and not os.environ.get("CI"),
                                    reason="nbgrader is not installed (pip install -e '.[test]')")


class Course:
    def __init__(self, root: Path, env: dict):
        self.root = root
        self.env = env
        self.timings: dict[str, float] = {}
        self.logs: dict[str, subprocess.CompletedProcess] = {}

    def run(self, step: str, *command: str, timeout: float = 600) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = subprocess.run(list(command), cwd=self.root, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        self.timings[step] = time.monotonic() - started
        self.logs[step] = result
        assert result.returncode == 0, f"{step} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result

    def nbgrader(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return self.run(args[0], sys.executable, "-m", "nbgrader", *args, timeout=timeout)

    def autograded(self, learner: str) -> dict:
        return json.loads((self.root / "autograded" / learner / EXERCISE / f"{EXERCISE}.ipynb").read_text())

    def feedback(self, learner: str) -> str:
        return (self.root / "feedback" / learner / EXERCISE / f"{EXERCISE}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("nbgrader")
    root, home = base / "course", base / "home"
    home.mkdir()
    root.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / ".ipython"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    c = Course(root, env)
    c.run("gradekit nbgrader", sys.executable, "-m", "graders", "nbgrader", str(root), "--exercise", EXERCISE,
          "--time-limit", TIME_LIMIT)
    c.nbgrader("generate_assignment", EXERCISE)
    released = json.loads((root / "release" / EXERCISE / f"{EXERCISE}.ipynb").read_text())
    for learner, code in LEARNERS.items():
        nb = copy.deepcopy(released)
        for cell in nb["cells"]:
            if nbgrader_meta(cell).get("solution"):
                cell["source"] = code  # what the learner typed into the solution cell
        folder = root / "submitted" / learner / EXERCISE
        folder.mkdir(parents=True)
        (folder / f"{EXERCISE}.ipynb").write_text(json.dumps(nb, indent=1))
    c.nbgrader("autograde", EXERCISE)
    c.nbgrader("generate_feedback", EXERCISE)
    c.nbgrader("export")
    # gradekit's own grades of the same files: the sandboxed, tamper-proof path
    c.run("gradekit batch", sys.executable, "-m", "graders", "batch", str(root / "submitted"), "--exercise",
          EXERCISE, "--out", str(base / "kit"), "--time-limit", TIME_LIMIT)
    c.kit = {row["student"]: row for row in csv.DictReader((base / "kit" / "grades.csv").open())}
    c.exported = {row["student_id"]: row for row in csv.DictReader((root / "grades.csv").open())}
    yield c
    print("\nnbgrader end to end, seconds:", ", ".join(f"{k} {v:.1f}" for k, v in c.timings.items()))


@needs_nbgrader
@pytest.mark.slow
def test_released_notebook_has_no_reference_code(course):
    cells = json.loads((course.root / "release" / EXERCISE / f"{EXERCISE}.ipynb").read_text())["cells"]
    sources = "\n".join("".join(c["source"]) for c in cells)
    assert not leaked(sources)
    assert "raise NotImplementedError()" in sources and "### BEGIN SOLUTION" not in sources


@needs_nbgrader
@pytest.mark.slow
def test_nbgrader_totals_equal_gradekit_scores(course):
    assert set(course.exported) == set(LEARNERS) == set(course.kit)
    for learner in LEARNERS:
        nb_score = float(course.exported[learner]["score"])
        assert float(course.exported[learner]["max_score"]) == EX.max_score
        assert nb_score == float(course.kit[learner]["score"]), learner
    scores = {learner: float(row["score"]) for learner, row in course.exported.items()}
    assert scores["correct"] == scores["noisy"] == EX.max_score
    assert 0 < scores["buggy"] < EX.max_score
    assert scores["looping"] < EX.max_score / 4
    assert course.kit["buggy"]["diagnoses"] == "transposed_weights"


@needs_nbgrader
@pytest.mark.slow
def test_each_check_is_one_cell_with_the_kits_partial_credit(course):
    db = sqlite3.connect(course.root / "gradebook.db")
    rows = db.execute(
        "SELECT sa.student_id, bc.name, g.auto_score FROM grade g JOIN base_cell bc ON g.cell_id = bc.id "
        "JOIN submitted_notebook sn ON g.notebook_id = sn.id JOIN submitted_assignment sa ON sn.assignment_id = sa.id"
    ).fetchall()
    cells = {(learner, name): score for learner, name, score in rows}
    for learner in LEARNERS:
        for check in EX.checks:
            assert cells[(learner, f"test_{check.name}")] == float(course.kit[learner][check.name]), (learner, check.name)
    # the buggy learner passes the worked examples and fails the generated inputs, cell by cell
    assert cells[("buggy", "test_worked_example_1")] == 1
    assert cells[("buggy", "test_matches_reference_hidden_width")] == 0


@needs_nbgrader
@pytest.mark.slow
def test_learner_stderr_stays_out_of_graded_cells(course):
    for learner in LEARNERS:
        for cell in course.autograded(learner)["cells"]:
            if nbgrader_meta(cell).get("grade"):
                assert not [o for o in cell["outputs"] if o.get("name") == "stderr"], (learner, cell["id"])
    solution = next(c for c in course.autograded("noisy")["cells"] if nbgrader_meta(c).get("solution"))
    stderr = "".join(output_text(o) for o in solution["outputs"] if o.get("name") == "stderr")
    assert "a warning at top level" in stderr  # the learner did write to stderr; it cost nothing


@needs_nbgrader
@pytest.mark.slow
def test_failing_cells_show_the_kits_feedback_and_no_reference_code(course):
    for learner in LEARNERS:
        for cell in course.autograded(learner)["cells"]:
            for output in cell.get("outputs", []):
                text = output_text(output)
                assert not leaked(text), (learner, cell["id"], text)
                assert "solutions/" not in text and "_gradekit_reference" not in text
    first = next(c for c in course.autograded("buggy")["cells"] if nbgrader_meta(c).get("grade"))
    assert "[transposed_weights]" in "".join(output_text(o) for o in first["outputs"])
    errors = [o for c in course.autograded("looping")["cells"] for o in c.get("outputs", [])
              if o["output_type"] == "error"]
    assert errors and all(o["ename"] == "AssertionError" for o in errors)
    assert any("did not finish within" in o["evalue"] or "never returned" in o["evalue"] for o in errors)


@needs_nbgrader
@pytest.mark.slow
def test_feedback_pages_show_no_reference_code(course):
    for learner, code in LEARNERS.items():
        text = html_text(course.feedback(learner))
        assert squash(max(code.splitlines(), key=len)) in squash(text)  # the page shows the learner's code...
        assert not leaked(text), learner  # ...and never the reference
    assert "transposed" in html_text(course.feedback("buggy"))
