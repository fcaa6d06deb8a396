"""The learners' public self-check tests (exercises/residual_unit/test_residual_unit.py) work on their own.

Each run copies the public test file (and its conftest.py, if there is one) into an empty temporary
directory together with one learner file named residual_unit.py, and runs pytest there in a subprocess,
exactly as a learner's checkout would, with nothing else from the repository:

- the hidden reference passes every public test;
- the untouched stub fails every test with "not implemented yet" and no collection errors;
- every hand-written mistake in tests/submissions/mistakes/ fails at least one test.

The subprocesses are started together on first use (one worker per core) and each test waits for its own.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXERCISE_DIR = REPO / "exercises" / "residual_unit"
PUBLIC_FILES = [p for p in (EXERCISE_DIR / "test_residual_unit.py", EXERCISE_DIR / "conftest.py") if p.exists()]
REFERENCE = REPO / "solutions" / "residual_unit.py"
STUB = EXERCISE_DIR / "residual_unit.py"
MISTAKES = sorted((REPO / "tests" / "submissions" / "mistakes").glob("*.py"))
TIMEOUT = 180  # seconds per subprocess; a correct run takes a few seconds


# Hermetic and lean: no PYTEST_ADDOPTS/PYTHONPATH from the caller, and no auto-loaded third-party pytest
# plugins (they cost ~2 s of start-up per run here and are not part of a learner's checkout). Hypothesis's
# own pytest plugin is loaded explicitly when it exists; the public tests work with or without it.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
ENV.update(PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
PLUGINS = ("-p", "_hypothesis_pytestplugin") if importlib.util.find_spec("_hypothesis_pytestplugin") else ()


def run_public_tests(learner: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the public tests against `learner` (copied as residual_unit.py) in an empty temporary directory."""
    with tempfile.TemporaryDirectory(prefix="public_tests_") as tmp:
        for path in PUBLIC_FILES:
            shutil.copy(path, Path(tmp) / path.name)
        shutil.copy(learner, Path(tmp) / "residual_unit.py")
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PLUGINS, *extra, tmp],
                              cwd=tmp, env=ENV, capture_output=True, text=True, timeout=TIMEOUT)


# name -> (learner file, extra pytest args); mistakes only need one failure, so they stop at the first (-x)
JOBS = {"reference": (REFERENCE, ()), "stub": (STUB, ())}
JOBS.update({f"mistake:{p.name}": (p, ("-x",)) for p in MISTAKES})


@pytest.fixture(scope="module")
def public_run():
    """Starts every run at once on first use; returns a function name -> finished CompletedProcess."""
    executor = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
    futures = {name: executor.submit(run_public_tests, path, *extra) for name, (path, extra) in JOBS.items()}
    yield lambda name: futures[name].result()
    executor.shutdown(wait=True, cancel_futures=True)


def summary(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stdout.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def explain(result: subprocess.CompletedProcess) -> str:
    return f"exit code {result.returncode}\n--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-2000:]}"


def test_the_kit_ships_the_public_test_files():
    assert (EXERCISE_DIR / "test_residual_unit.py").exists()
    assert STUB.exists() and REFERENCE.exists()
    assert len(MISTAKES) >= 15


def test_reference_passes_every_public_test(public_run):
    result = public_run("reference")
    assert result.returncode == 0, explain(result)
    assert "passed" in summary(result) and "failed" not in summary(result), explain(result)


def test_stub_fails_every_public_test_as_not_implemented(public_run):
    result = public_run("stub")
    last = summary(result)
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
    assert "error" not in summary(result).lower(), explain(result)
