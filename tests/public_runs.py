"""Running an exercise's public tests (what learners run) on one learner file, as a learner's checkout would.

Each run lays out an empty temporary directory like a release's exercises/: the shared files next to the
exercise folders (exercises/conftest.py and the helper selfcheck.py), and below them the exercise's folder with
its test files (and conftest.py, if any) and the learner's source under the stub's name; then it runs pytest
there in a subprocess, with nothing else from the repository. Hermetic and lean: no PYTEST_ADDOPTS/PYTHONPATH
from the caller and no auto-loaded third-party pytest plugins (they cost ~2 s of start-up per run and are not
part of a learner's checkout); Hypothesis's own plugin is loaded explicitly when it exists.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graders.engine.kind import REPO_ROOT, Exercise

TIMEOUT = 300  # seconds per run; a correct run takes a few seconds
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
ENV.update(PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
PLUGINS = ("-p", "_hypothesis_pytestplugin") if importlib.util.find_spec("_hypothesis_pytestplugin") else ()


def shared_files() -> list[Path]:
    """The files directly in exercises/: its conftest.py and the public tests' shared helper selfcheck.py."""
    top = REPO_ROOT / "exercises"
    return sorted(p for p in top.iterdir() if p.is_file() and p.suffix == ".py")


def public_files(exercise: Exercise) -> list[Path]:
    """The exercise folder's test files (and conftest.py, if any)."""
    folder = REPO_ROOT / Path(exercise.stub).parent
    return sorted(p for p in folder.iterdir() if p.is_file() and (p.name.startswith("test_") or p.name == "conftest.py")
                  and p.suffix == ".py")


def lay_out(exercise: Exercise, source: str, root: Path) -> Path:
    """root/conftest.py, root/selfcheck.py, root/NAME/test_NAME.py and root/NAME/NAME.py (= source): the
    exercise as a learner's exercises/ holds it. Returns the exercise's folder."""
    for path in shared_files():
        shutil.copy(path, root / path.name)
    folder = root / Path(exercise.stub).parent.name
    folder.mkdir()
    for path in public_files(exercise):
        shutil.copy(path, folder / path.name)
    (folder / Path(exercise.stub).name).write_text(source)
    return folder


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest ARGS in root, as a learner would run it (plus -p no:cacheprovider, to leave nothing behind)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *PLUGINS, *args],
                          cwd=root, env=ENV, capture_output=True, text=True, timeout=TIMEOUT)


def run_public_tests(exercise: Exercise, source: str, *extra: str) -> subprocess.CompletedProcess:
    """The public tests against `source` (as the learner's file) in an empty temporary directory."""
    with tempfile.TemporaryDirectory(prefix=f"public_{exercise.name}_") as tmp:
        lay_out(exercise, source, Path(tmp))
        return run_pytest(Path(tmp), "-q", *extra, tmp)


def concurrent_runs(exercise: Exercise, jobs: dict[str, tuple[str, tuple[str, ...]]]) -> Iterator:
    """Body of a module-scoped fixture: starts every job (name -> (source, extra pytest args)) at once and
    yields a function name -> finished CompletedProcess."""
    executor = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
    futures = {name: executor.submit(run_public_tests, exercise, source, *extra) for name, (source, extra) in jobs.items()}
    yield lambda name: futures[name].result()
    executor.shutdown(wait=True, cancel_futures=True)


def last_line(result: subprocess.CompletedProcess) -> str:
    """pytest's summary line ("3 failed, 2 passed in 1.2s")."""
    lines = [line for line in result.stdout.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def explain(result: subprocess.CompletedProcess) -> str:
    return f"exit code {result.returncode}\n--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-2000:]}"
