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


def variant_source(overrides: dict) -> str:
    """Learner source for a catalog variant: the model file plus a residual_block that calls it."""
    return MODEL_SOURCE + f"\n\ndef residual_block(x, w1, w2):\n    return model(x, w1, w2, **{overrides!r})\n"
