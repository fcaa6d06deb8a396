"""The learners' public self-check tests (exercises/residual_unit/test_residual_unit.py) work on their own.

Each run (tests/public_runs.py) copies the public tests into an empty temporary directory together with
one learner file named residual_unit.py and runs pytest there, as a learner's checkout would:

- the hidden reference passes every public test;
- the untouched stub fails every test with "not implemented yet" and no collection errors;
- every hand-written mistake in tests/submissions/mistakes/ fails at least one test.

The subprocesses are started together on first use (one worker per core) and each test waits for its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.exercises import get
from tests.public_runs import concurrent_runs, explain, last_line

REPO = Path(__file__).resolve().parents[1]
EXERCISE_DIR = REPO / "exercises" / "residual_unit"
REFERENCE = REPO / "solutions" / "residual_unit.py"
STUB = EXERCISE_DIR / "residual_unit.py"
MISTAKES = sorted((REPO / "tests" / "submissions" / "mistakes").glob("*.py"))
# name -> (learner source, extra pytest args); mistakes only need one failure, so they stop at the first (-x)
JOBS = {"reference": (REFERENCE.read_text(), ()), "stub": (STUB.read_text(), ())}
JOBS.update({f"mistake:{p.name}": (p.read_text(), ("-x",)) for p in MISTAKES})


@pytest.fixture(scope="module")
def public_run():
    """Starts every run at once on first use; returns a function name -> finished CompletedProcess."""
    yield from concurrent_runs(get("residual_unit"), JOBS)


def test_the_kit_ships_the_public_test_files():
    assert (EXERCISE_DIR / "test_residual_unit.py").exists()
    assert STUB.exists() and REFERENCE.exists()
    assert len(MISTAKES) >= 15


def test_reference_passes_every_public_test(public_run):
    result = public_run("reference")
    assert result.returncode == 0, explain(result)
    assert "passed" in last_line(result) and "failed" not in last_line(result), explain(result)


def test_stub_fails_every_public_test_as_not_implemented(public_run):
    result = public_run("stub")
    last = last_line(result)
    assert result.returncode == 1, explain(result)  # 1 = tests failed (2 would be an interruption/usage error)
    assert "not implemented yet" in result.stdout, explain(result)
    assert "error" not in last.lower(), explain(result)  # no collection or setup errors
    assert "passed" not in last, explain(result)  # every test fails, none passes
    assert "Traceback" not in result.stdout and "hypothesis/" not in result.stdout, explain(result)


@pytest.mark.parametrize("path", MISTAKES, ids=[p.stem for p in MISTAKES])
def test_public_tests_catch_the_mistake(public_run, path):
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# mistakes: "), f"{path.name}: first line must list the catalog codes"
    result = public_run(f"mistake:{path.name}")
    assert result.returncode != 0, f"the public tests do not catch {path.name}\n{explain(result)}"
    assert result.returncode == 1, explain(result)  # a test failure, not a collection error or a crash
    assert "error" not in last_line(result).lower(), explain(result)
