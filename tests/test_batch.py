"""Grading a class: every learner gets a row, the right score and codes, feedback files and a class
summary; an interrupted batch resumes; unchanged submissions are skipped; a regrade is identical."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REFERENCE_SOURCE, REPO, SUBMISSIONS

DEMO = REPO / "examples" / "demo_class"
# learner -> (score, diagnoses) for the shipped demo class
DEMO_EXPECTED = {
    "alice": (20, ""), "bob": (20, ""), "mallory": (20, ""),
    "carol": (3, "transposed_weights"), "dave": (4, "skip_after_final_relu"), "erin": (4, "missing_final_relu"),
    "frank": (3, "extra_relu_before_skip;transposed_weights"), "heidi": (0, "syntax_error"),
    "ivan": (0, "wrong_shape"), "judy": (0, "unknown"),
}


def batch(directory, out, *extra, check=True):
    result = subprocess.run([sys.executable, "-m", "graders", "batch", str(directory), "--exercise", "residual_unit",
                             "--out", str(out), "--time-limit", "2", *extra],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def rows(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open() as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def mixed_class(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    shutil.copytree(DEMO, root, dirs_exist_ok=True)
    (root / "olga.ipynb").write_text("{ this is not a notebook")
    shutil.copy(SUBMISSIONS / "hostile" / "fork_bomb.py", root / "pavel.py")
    shutil.copy(SUBMISSIONS / "hostile" / "monkeypatch_numpy.py", root / "quinn.py")
    (root / "rita").mkdir()
    (root / "rita" / "notes.txt").write_text("no code here")
    return root


@pytest.fixture(scope="module")
def graded(mixed_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = batch(mixed_class, out, "--jobs", "2")
    return out, result


def test_every_learner_has_a_row_with_the_right_score_and_codes(graded):
    out, result = graded
    table = rows(out)
    assert set(table) == {*DEMO_EXPECTED, "grace", "olga", "pavel", "quinn", "rita"}
    for learner, (score, codes) in DEMO_EXPECTED.items():
        assert (int(table[learner]["score"]), table[learner]["diagnoses"]) == (score, codes), learner
    assert table["grace"]["diagnoses"] == "timeout"
    assert table["olga"]["diagnoses"] == "unreadable" and table["olga"]["score"] == "0"
    assert table["rita"]["diagnoses"] == "unreadable"
    assert "timeout" in table["pavel"]["diagnoses"] and table["pavel"]["score"] == "0"
    assert "unknown" in table["quinn"]["diagnoses"] and int(table["quinn"]["score"]) <= 3
    header = next(csv.reader((out / "grades.csv").open()))
    assert header[:4] == ["student", "score", "max_score", "diagnoses"]
    assert "matches_reference_hidden_width" in header
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_feedback_files_and_class_summary(graded):
    out, _ = graded
    table = rows(out)
    for learner in table:
        md = (out / "feedback" / f"{learner}.md").read_text()
        assert md.startswith(f"# residual_unit: {table[learner]['score']}/20")
        assert (out / "feedback" / f"{learner}.html").read_text().startswith("<!doctype html>")
    assert "you apply ReLU to w2 @ ReLU(w1 @ x) before adding x" in (out / "feedback" / "frank.md").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["learners"] == len(table)
    counted: dict[str, int] = {}
    for row in table.values():
        for code in filter(None, row["diagnoses"].split(";")):
            counted[code] = counted.get(code, 0) + 1
    assert summary["mistakes"] == counted
    assert sum(summary["score_distribution"].values()) == len(table)
    assert summary["full_marks"] == 3
    assert summary["common_counterexamples"] and all(c["call"].startswith("residual_block(") for c in summary["common_counterexamples"])
    index = (out / "index.html").read_text()
    assert "score_distribution.svg" in index and "feedback/frank.html" in index
    assert (out / "score_distribution.svg").read_text().startswith("<svg")
    report = json.loads((out / "report.json").read_text())
    assert {entry["learner"] for entry in report["learners"]} == set(table)


def test_rerun_skips_unchanged_and_regrades_changed(mixed_class, graded, tmp_path):
    out, _ = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    again = batch(mixed_class, copy)
    assert "graded 0, unchanged 15" in again.stdout
    changed = tmp_path / "class"
    shutil.copytree(mixed_class, changed)
    (changed / "carol.py").write_text(REFERENCE_SOURCE)
    third = batch(changed, copy)
    assert "graded 1, unchanged 14" in third.stdout
    assert rows(copy)["carol"]["score"] == "20"


def test_forced_regrade_is_identical(mixed_class, graded, tmp_path):
    out, _ = graded
    regrade = tmp_path / "regrade"
    batch(mixed_class, regrade, "--force", "--jobs", "1")
    for first in sorted((out / "results").glob("*.json")):
        a, b = (json.loads(p.read_text()) for p in (first, regrade / "results" / first.name))
        for data in (a, b):
            data.pop("elapsed")
            data["output"].pop("stdout", None)  # fork_bomb-style output may be cut at a different byte
            data.pop("path")
        assert a == b, first.name


def test_regrade_without_bwrap_is_identical_too(tmp_path):
    """The fallback sandbox scratch directory is random; nothing graded may depend on it."""
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        batch(DEMO, out, "--isolation", "none", "--jobs", "1")
    for a_path in sorted((first / "results").glob("*.json")):
        a, b = (json.loads(p.read_text()) for p in (a_path, second / "results" / a_path.name))
        for data in (a, b):
            data.pop("elapsed")
        assert a == b, a_path.name


def test_interrupted_batch_resumes_without_regrading(tmp_path):
    subs = tmp_path / "class"
    subs.mkdir()
    slow = "import time\ndef residual_block(x, w1, w2):\n    time.sleep(100)\n"
    for i in range(6):
        (subs / f"fast{i}.py").write_text(REFERENCE_SOURCE)
    for i in range(4):
        (subs / f"slow{i}.py").write_text(slow)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "graders", "batch", str(subs), "--exercise", "residual_unit",
                             "--out", str(out), "--jobs", "1", "--time-limit", "3"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "results").glob("*.json"))) < 6:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.stem for p in (out / "results").glob("*.json")}
    assert 6 <= len(done) < 10
    assert not list((out / "results").glob(".*.tmp"))  # atomic writes: no half-written result
    resumed = batch(subs, out, "--jobs", "2")
    assert f"graded {10 - len(done)}, unchanged {len(done)}" in resumed.stdout
    assert len(rows(out)) == 10


def test_nbgrader_submitted_layout(tmp_path):
    for learner, source in (("ann", REFERENCE_SOURCE), ("ben", "def residual_block(x, w1, w2):\n    return x\n")):
        folder = tmp_path / "course" / "submitted" / learner / "residual_unit"
        folder.mkdir(parents=True)
        (folder / "residual_unit.py").write_text(source)
    batch(tmp_path / "course", tmp_path / "out")
    table = rows(tmp_path / "out")
    assert table["ann"]["score"] == "20" and int(table["ben"]["score"]) < 20


def test_output_inside_the_submissions_is_refused(tmp_path):
    (tmp_path / "a.py").write_text(REFERENCE_SOURCE)
    result = batch(tmp_path, tmp_path / "out", check=False)
    assert result.returncode == 2 and "inside the submissions directory" in result.stderr
