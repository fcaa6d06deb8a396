"""Shared fixtures: one warm sandbox for the session, and helpers to grade source text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from graders.engine.grading import grade_source
from graders.exercises import get
from graders.sandbox.launcher import Limits, Sandbox

REPO = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
HAS_BWRAP = shutil.which("bwrap") is not None
MODEL_SOURCE = (REPO / "graders" / "exercises" / "residual_unit" / "model.py").read_text()
REFERENCE_SOURCE = (REPO / "solutions" / "residual_unit.py").read_text()
STUB_SOURCE = (REPO / "exercises" / "residual_unit" / "residual_unit.py")


def pytest_collection_modifyitems(config, items):
    # CI installs bubblewrap: there, a missing sandbox is a failure, not a skip
    if os.environ.get("CI") and not HAS_BWRAP:
        raise pytest.UsageError("CI must run with bubblewrap installed (apt-get install bubblewrap)")


requires_bwrap = pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap (bwrap) is not installed")


@pytest.fixture(scope="session")
def exercise():
    return get("residual_unit")


@pytest.fixture(scope="session")
def sandbox():
    box = Sandbox(limits=Limits(time=5.0)).start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def grade(exercise, sandbox):
    def run(source: str):
        return grade_source(exercise, source, sandbox=sandbox, submission="test")

    return run


MINIMAL_REQUIREMENTS = ("numpy", "hypothesis", "pytest")  # what a learner's release and a hosted grader need


@pytest.fixture(scope="session")
def minimal_venv(tmp_path_factory) -> Path:
    """The Python of a virtual environment holding only numpy, hypothesis and pytest (from PyPI), made
    under /tmp as CI and tox make them; once per session."""
    import subprocess
    import sys

    venv = tmp_path_factory.mktemp("minimal-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-compile", "-q",
                          "--disable-pip-version-check", *MINIMAL_REQUIREMENTS],
                         capture_output=True, text=True, timeout=600)
    if pip.returncode != 0:
        pytest.skip(f"cannot install {', '.join(MINIMAL_REQUIREMENTS)} into a fresh venv: "
                    f"{pip.stderr.strip().splitlines()[-1:]}")
    return venv


def variant_source(overrides: dict) -> str:
    """Learner source for a catalog variant: the model file plus a residual_block that calls it."""
    return MODEL_SOURCE + f"\n\ndef residual_block(x, w1, w2):\n    return model(x, w1, w2, **{overrides!r})\n"
