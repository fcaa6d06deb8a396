"""A learner's view of `pytest exercises`: what a learner sees after running the self-check in a copy of the
exercises as a release holds them (the shared conftest.py and selfcheck.py, every exercise's folder, the
release's pytest.ini), run as tests/public_runs.py runs pytest (no plugins but Hypothesis's):

- a fresh course: exactly one failure per exercise (what to edit), every other test skipped, a short output
  (under 60 lines) ending with one "not started" line per exercise, exit status 1;
- one exercise solved and one half done: "17/17 passing" for the solved one, "k/N passing" (0 < k < N) for the
  half-done one, "not started" for the others, exit status 1;
- every exercise solved (each hidden reference copied over its stub; the quiz's reference is an answer file):
  everything passes, every line says "N/N passing", exit status 0.

The three runs start together on first use (one worker per core) and each test waits for its own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graders.exercises import all_exercises
from graders.release import PYTEST_INI, release_files
from tests.public_runs import explain, last_line, run_pytest

REPO = Path(__file__).resolve().parents[1]
EXERCISES = all_exercises()
NAMES = sorted(Path(e.stub).parent.name for e in EXERCISES)
QUIZ = "resnet_concepts"

# half done: the projection block computed right, but no ValueError when ws is None and the sizes differ
HALF_DONE_PROJECTION = '''import numpy as np


def projection_block(x, w1, w2, ws=None):
    branch = w2 @ np.maximum(0.0, w1 @ x)
    return np.maximum(0.0, branch + (x if ws is None else ws @ x))
'''


def release_tree(root: Path) -> Path:
    """What `python -m graders release` writes for learners, without its README and requirements."""
    for name, source in release_files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / name)
    (root / "pytest.ini").write_text(PYTEST_INI)
    return root


def stub(name: str) -> str:
    return next(e.stub for e in EXERCISES if Path(e.stub).parent.name == name)


def solve(root: Path, name: str) -> None:
    shutil.copyfile(REPO / next(e.reference for e in EXERCISES if Path(e.stub).parent.name == name), root / stub(name))


def fresh(root: Path) -> None:
    pass


def one_solved_one_half_done(root: Path) -> None:
    solve(root, "residual_unit")
    (root / stub("projection_shortcut")).write_text(HALF_DONE_PROJECTION)


def all_solved(root: Path) -> None:
    for name in NAMES:
        solve(root, name)


COURSES = {"fresh": fresh, "one solved, one half done": one_solved_one_half_done, "all solved": all_solved}


def run_course(prepare) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="learner_view_") as tmp:
        root = release_tree(Path(tmp))
        prepare(root)
        return run_pytest(root, "exercises")


@pytest.fixture(scope="module")
def course():
    """Starts every course's run at once on first use; returns a function name -> finished CompletedProcess."""
    with ThreadPoolExecutor(max_workers=len(COURSES)) as executor:
        futures = {name: executor.submit(run_course, prepare) for name, prepare in COURSES.items()}
        yield lambda name: futures[name].result()


def progress(result) -> dict[str, str]:
    """The "your exercises" section at the end of the run: exercise -> status ("12/17 passing", ...)."""
    lines = result.stdout.splitlines()
    start = [i for i, line in enumerate(lines) if re.fullmatch(r"=+ your exercises =+", line)]
    assert len(start) == 1, explain(result)
    rows = {}
    for line in lines[start[0] + 1:]:
        if line.startswith("="):
            break
        name, status = re.fullmatch(r"(\S+)\s{2,}(\S.*)", line).groups()
        rows[name] = status
    return rows


def counts(result) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (failed|passed|skipped|errors?)", last_line(result))}


def failed_tests(result) -> list[str]:
    return re.findall(r"^FAILED (\S+)", result.stdout, re.M)


def test_the_course_has_the_five_exercises():
    assert set(NAMES) >= {"residual_unit", "projection_shortcut", "residual_backward", "gradient_flow", QUIZ}


def test_a_fresh_course_gives_one_failure_per_exercise(course):
    result = course("fresh")
    assert result.returncode == 1, explain(result)
    assert progress(result) == {name: "not started" for name in NAMES}, explain(result)
    found = counts(result)
    assert found.get("failed") == len(NAMES) and "passed" not in found and "error" not in found, explain(result)
    failed = failed_tests(result)
    assert sorted(test.split("/")[1] for test in failed) == NAMES, explain(result)  # one failure per exercise
    for name in NAMES:  # and that failure says what to do
        what = "is not answered yet" if name == QUIZ else f"is not implemented yet: edit exercises/{name}/{name}.py"
        assert what in result.stdout, (name, explain(result))
    assert len(result.stdout.splitlines()) < 60, explain(result)
    assert "Traceback" not in result.stdout, explain(result)


def test_one_solved_and_one_half_done(course):
    result = course("one solved, one half done")
    assert result.returncode == 1, explain(result)
    rows = progress(result)
    assert re.fullmatch(r"(\d+)/\1 passing", rows["residual_unit"]), explain(result)
    passed, total = map(int, re.fullmatch(r"(\d+)/(\d+) passing", rows["projection_shortcut"]).groups())
    assert 0 < passed < total, explain(result)
    assert {name: status for name, status in rows.items() if name not in ("residual_unit", "projection_shortcut")} \
        == {name: "not started" for name in NAMES if name not in ("residual_unit", "projection_shortcut")}
    # every failure of the half-done exercise is its own (the missing ValueError), not "not implemented"
    failed = failed_tests(result)
    assert len([t for t in failed if t.split("/")[1] == "projection_shortcut"]) == total - passed, explain(result)
    assert "projection_block is not implemented yet" not in result.stdout, explain(result)
    assert "must raise ValueError" in result.stdout, explain(result)


def test_every_exercise_solved_passes(course):
    result = course("all solved")
    assert result.returncode == 0, explain(result)
    found = counts(result)
    assert set(found) == {"passed"}, explain(result)
    rows = progress(result)
    assert sorted(rows) == NAMES, explain(result)
    assert all(re.fullmatch(r"(\d+)/\1 passing", status) for status in rows.values()), explain(result)
    assert sum(int(status.split("/")[0]) for status in rows.values()) == found["passed"], explain(result)
