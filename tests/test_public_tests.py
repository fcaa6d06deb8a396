"""The learners' public self-check tests (exercises/residual_unit/test_residual_unit.py) work on their own.

Each run (tests/public_runs.py) copies the public tests into an empty temporary directory together with
one learner file named residual_unit.py and runs pytest there, as a learner's checkout would:

- the hidden reference passes every public test, and the run ends with "residual_unit  17/17 passing";
- the untouched stub gives one failure ("not implemented yet"), every other test is skipped with a short reason,
  the run ends with "residual_unit  not started" and fails (a skip is not a pass);
- a file that does not import gives one failure naming the problem, the rest skipped ("does not load");
- every hand-written mistake in tests/submissions/mistakes/ fails at least one test, and none is "not started".

The subprocesses are started together on first use (one worker per core) and each test waits for its own.
"""

from __future__ import annotations

import re
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
JOBS = {"reference": (REFERENCE.read_text(), ()), "stub": (STUB.read_text(), ("-rfs",)),
        "syntax error": (REFERENCE.read_text().replace("def residual_block(", "def residual_block(("), ("-rfs",))}
JOBS.update({f"mistake:{p.name}": (p.read_text(), ("-x",)) for p in MISTAKES})


@pytest.fixture(scope="module")
def public_run():
    """Starts every run at once on first use; returns a function name -> finished CompletedProcess."""
    yield from concurrent_runs(get("residual_unit"), JOBS)


def test_the_kit_ships_the_public_test_files():
    assert (EXERCISE_DIR / "test_residual_unit.py").exists()
    assert STUB.exists() and REFERENCE.exists()
    assert len(MISTAKES) >= 15


def summary(result) -> list[str]:
    """The lines of the "your exercises" section at the end of the run."""
    lines = result.stdout.splitlines()
    start = [i for i, line in enumerate(lines) if re.fullmatch(r"=+ your exercises =+", line)]
    assert len(start) == 1, explain(result)
    rest = lines[start[0] + 1:]
    # it ends at the next section, or at pytest's last line ("17 passed in 3.2s", unframed with -q)
    return rest[:next((i for i, line in enumerate(rest) if line.startswith("=") or line == last_line(result)),
                      len(rest))]


def failure_sections(result) -> str:
    """The output before pytest's short summary, which repeats each failure's message when CI is set."""
    return result.stdout.split("short test summary info")[0]


def counts(result) -> dict[str, int]:
    """pytest's last line as numbers: {"failed": 1, "skipped": 16}."""
    return {word: int(n) for n, word in re.findall(r"(\d+) (failed|passed|skipped|errors?)", last_line(result))}


def test_reference_passes_every_public_test(public_run):
    result = public_run("reference")
    assert result.returncode == 0, explain(result)
    assert "passed" in last_line(result) and "failed" not in last_line(result), explain(result)
    assert "skipped" not in last_line(result), explain(result)
    total = counts(result)["passed"]
    assert summary(result) == [f"residual_unit  {total}/{total} passing"], explain(result)


def test_stub_fails_once_as_not_implemented_and_skips_the_rest(public_run):
    result = public_run("stub")
    last = last_line(result)
    assert result.returncode == 1, explain(result)  # 1 = tests failed (2 would be an interruption/usage error)
    assert "error" not in last.lower(), explain(result)  # no collection or setup errors
    found = counts(result)
    assert found.get("failed") == 1 and found.get("skipped", 0) >= 10 and "passed" not in found, explain(result)
    assert failure_sections(result).count("residual_block is not implemented yet: edit exercises/residual_unit/residual_unit.py "
                               "(see the README in that folder), then run the tests again.") == 1, explain(result)
    assert "FAILED residual_unit/test_residual_unit.py::test_worked_example[example_1]" in result.stdout  # the first
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all(line.endswith("residual_unit: not started, see the failure of its first test")
                         for line in skips), explain(result)
    assert summary(result) == ["residual_unit  not started"], explain(result)
    assert "Traceback" not in result.stdout and "hypothesis/" not in result.stdout, explain(result)


def test_a_file_that_does_not_import_fails_once(public_run):
    result = public_run("syntax error")
    assert result.returncode == 1, explain(result)
    found = counts(result)
    assert found.get("failed") == 1 and found.get("skipped", 0) >= 10 and "passed" not in found, explain(result)
    assert failure_sections(result).count("residual_unit.py could not be imported: SyntaxError") == 1, explain(result)
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all(line.endswith("residual_unit: does not load, see the failure of its first test")
                         for line in skips), explain(result)
    assert summary(result) == ["residual_unit  does not load"], explain(result)


@pytest.mark.parametrize("path", MISTAKES, ids=[p.stem for p in MISTAKES])
def test_public_tests_catch_the_mistake(public_run, path):
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# mistakes: "), f"{path.name}: first line must list the catalog codes"
    result = public_run(f"mistake:{path.name}")
    assert result.returncode != 0, f"the public tests do not catch {path.name}\n{explain(result)}"
    assert result.returncode == 1, explain(result)  # a test failure, not a collection error or a crash
    assert "error" not in last_line(result).lower(), explain(result)
    assert "not started" not in result.stdout and "skipped" not in last_line(result), explain(result)
