"""The batch never loses or confuses a learner: one-to-one file keys, one row per entry (or a listed skip),
no symbolic link followed, size limits, hostile notebooks and corrupt result files survived, CSV formulas
neutralised. Every test here fails on the batch store of commit 8cbed23 (which has no learner keys, loses
learners to name collisions, follows links, and loops forever when its pool cannot start)."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders import exercises
from graders.batch import Entry, is_current, iter_results, learner_from_key, learner_key, scan_class
from graders.engine.messages import QUIZ_STRUCTURAL
from graders.report.classbook import write_class_outputs
from graders.store import MAX_KEY_BYTES
from graders.submission import (
    MAX_NOTEBOOK_BYTES,
    MAX_SOURCE_BYTES,
    NotARegularFile,
    SubmissionError,
    SubmissionTooLarge,
    load,
)
from tests.conftest import REPO, SUBMISSIONS
from tests.test_batch import batch

REFERENCE = REPO / "solutions" / "residual_unit.py"
CORRECT = (SUBMISSIONS / "correct" / "einsum.py").read_text()  # not the reference: its text is traceable
WRONG = (SUBMISSIONS / "mistakes" / "missing_final_relu.py").read_text()
UNDECODABLE = os.fsdecode(b"caf\xe9")  # a Latin-1 file name on a UTF-8 system
DEEP = "[" * 100_000 + "]" * 100_000
# identity -> (score, diagnoses) of the rows graded from source
GRADED = {"李雷": (20, ""), "王芳": (4, "missing_final_relu"), "josé": (20, ""), "jos_": (4, "missing_final_relu"),
          "_x": (20, ""), "Alice": (4, "missing_final_relu"), "alice": (20, ""), "=1+2": (20, ""),
          UNDECODABLE: (20, "")}


def rows(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open(encoding="utf-8", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def notebook(source) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": source}]})


# ------------------------------------------------------------------------------------------------- keys
@settings(max_examples=300)
@given(st.lists(st.text(min_size=1, max_size=120), unique=True, min_size=1, max_size=60))
def test_learner_key_is_injective_even_ignoring_case_and_reverses(names):
    keys = [learner_key(n) for n in names]
    assert len({k.casefold() for k in keys}) == len(names)  # no two learners share a file, even on macOS/Windows
    for name, key in zip(names, keys):
        assert key.isascii() and not key.startswith(".") and "/" not in key and len(key) <= MAX_KEY_BYTES
        if "~" in key:  # only pathological lengths rely on a hash (an escape is at most 3 bytes)
            assert MAX_KEY_BYTES - 2 <= len(key) <= MAX_KEY_BYTES < 3 * len(name.encode())
            with pytest.raises(ValueError):
                learner_from_key(key)
        else:
            assert learner_from_key(key) == name


@given(st.binary(min_size=1, max_size=66).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_learner_key_reverses_any_file_name_bytes(raw):
    name = os.fsdecode(raw)  # what os.listdir gives for undecodable bytes (surrogate escapes)
    key = learner_key(name)
    assert learner_from_key(key) == name and os.fsencode(learner_from_key(key)) == raw


def test_learner_key_examples():
    assert [learner_key(n) for n in ("alice", "Alice", "josé", "jos_", "_x", ".x", "a.b", "%5E", "^a", "李")] == [
        "alice", "^alice", "jos%C3%A9", "jos_", "_x", "%2Ex", "a.b", "%255^e", "%5Ea", "%E6%9D%8E"]
    longs = ["é" * 100 + chr(c) for c in range(0x21, 0x3000)]  # same 183-byte prefix: told apart by the hash
    keys = {learner_key(n).casefold() for n in longs}
    assert len(keys) == len(longs) and all(MAX_KEY_BYTES - 2 <= len(k) <= MAX_KEY_BYTES for k in keys)
    for bad in ("", "A", ".x", "%e9", "%61", "%2Ex%", "a~b", "a/b"):
        with pytest.raises(ValueError):
            learner_from_key(bad)


# ---------------------------------------------------------------------------------------------- a class
@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    for name, (score, _) in GRADED.items():
        (root / f"{name}.py").write_text(CORRECT if score == 20 else WRONG)
    (root / "mallory.py").symlink_to(REFERENCE)  # the hidden reference, "submitted" by a link
    (root / "trudy").mkdir()  # a folder whose only solution file is a link
    (root / "trudy" / "residual_unit.py").symlink_to(REFERENCE)
    (root / "bob.py").write_text(CORRECT)
    (root / "bob.ipynb").write_text(notebook(CORRECT))
    (root / "big.py").write_text(CORRECT + "#" * (2 * MAX_SOURCE_BYTES) + "\n")
    (root / "deep.ipynb").write_text(DEEP)
    (root / "notes.txt").write_text("not code")
    (root / "__pycache__").mkdir()
    (root / ".hidden.py").write_text(CORRECT)
    return root


@pytest.fixture(scope="module")
def graded_class(hostile_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = batch(hostile_class, out, "--jobs", "1")
    return out, result


def test_every_learner_gets_their_own_row_feedback_and_score(graded_class):
    out, _ = graded_class
    table = rows(out)
    shown = {(UNDECODABLE if n == "caf\\xe9" else "=1+2" if n == "'=1+2" else n) for n in table}
    assert shown == {*GRADED, "mallory", "trudy", "bob", "big", "deep"}
    report = {d["learner"]: d for d in json.loads((out / "report.json").read_text())["learners"]}
    assert set(report) == {*GRADED, "mallory", "trudy", "bob", "big", "deep"}  # real identities
    for name, (score, codes) in GRADED.items():
        data = report[name]
        assert (data["score"], ";".join(data["diagnoses"])) == (score, codes), name
        md = (out / "feedback" / f"{learner_key(name)}.md").read_text(encoding="utf-8")
        assert md.startswith(f"# residual_unit: {score}/20"), name
        saved = json.loads((out / "results" / f"{learner_key(name)}.json").read_text())
        assert saved["learner"] == name
    assert table["caf\\xe9"]["score"] == "20"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "href='feedback/%5Ealice.html'" in index and "href='feedback/jos%25C3%25A9.html'" in index


def test_formulas_are_neutralised_in_grades_csv(graded_class):
    out, _ = graded_class
    text = (out / "grades.csv").read_text(encoding="utf-8")
    assert "\n'=1+2,20,20," in text and "\n=1+2" not in text and not text.startswith("\ufeff")
    assert rows(out)["'=1+2"]["score"] == "20"  # numbers stay numbers


def test_symbolic_links_are_never_followed(graded_class):
    out, _ = graded_class
    report = {d["learner"]: d for d in json.loads((out / "report.json").read_text())["learners"]}
    assert report["mallory"]["diagnoses"] == ["not_a_regular_file"] and report["mallory"]["score"] == 0
    assert report["mallory"]["diagnosis_details"][0]["message"] == (
        "mallory.py is a symbolic link; submit the file itself")
    assert report["trudy"]["score"] == 0 and "symbolic links are not followed" in json.dumps(report["trudy"])
    secret = [line.strip() for line in REFERENCE.read_text().splitlines() if len(line.strip()) > 20]
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            assert not [line for line in secret if line in text], path


def test_too_large_and_ambiguous_rows(graded_class):
    out, _ = graded_class
    report = {d["learner"]: d for d in json.loads((out / "report.json").read_text())["learners"]}
    big = report["big"]
    assert big["diagnoses"] == ["too_large"] and big["score"] == 0
    size = (2 * MAX_SOURCE_BYTES) + len(CORRECT.encode()) + 1
    expected = QUIZ_STRUCTURAL["too_large"].format(size=size, limit=MAX_SOURCE_BYTES)
    assert big["diagnosis_details"][0]["message"] == expected.replace("quiz file", "exercise file")
    assert big["diagnosis_details"][0]["message"].endswith("submit the exercise file itself.")
    bob = report["bob"]
    assert bob["diagnoses"] == ["ambiguous_submission"] and bob["score"] == 0
    assert "bob.ipynb and bob.py" in bob["diagnosis_details"][0]["message"]


def test_skipped_entries_are_listed(graded_class):
    out, _ = graded_class
    skipped = {s["entry"]: s["reason"] for s in json.loads((out / "summary.json").read_text())["skipped"]}
    assert set(skipped) == {"notes.txt", "__pycache__", ".hidden.py"}
    assert skipped["notes.txt"] == "not a .py or .ipynb file"
    assert "notes.txt" in (out / "index.html").read_text(encoding="utf-8")
    assert json.loads((out / "summary.json").read_text())["learners"] == len(rows(out))


def test_deep_notebook_is_unreadable_and_the_rerun_succeeds(hostile_class, graded_class):
    out, _ = graded_class
    deep = json.loads((out / "results" / "deep.json").read_text())
    assert deep["diagnoses"] == ["unreadable"] and "nested too deeply" in deep["diagnosis_details"][0]["message"]
    again = batch(hostile_class, out, "--jobs", "1", check=False)
    assert again.returncode == 0 and again.stdout.startswith("graded 0,"), again.stderr


def test_corrupt_results_are_regraded(hostile_class, graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class[0], out, symlinks=True)
    results = out / "results"
    (results / "alice.json").write_text("{ not json")
    (results / "_x.json").write_text(json.dumps({"learner": "_x", "content_hash": 3, "score": "20"}))
    (results / "jos_.json").write_text("[" * 100_000 + "]" * 100_000)
    (results / "big.json").unlink()
    (results / "big.json").mkdir()
    (results / "deep.json").unlink()
    (results / "deep.json").symlink_to(results / "bob.json")  # a link is not followed
    shutil.copy(results / "jos%C3%A9.json", results / "^alice.json")  # another learner's result
    error = json.loads((results / "mallory.json").read_text())
    error["diagnoses"] = ["grader_error"]
    (results / "mallory.json").write_text(json.dumps(error))
    exercise = exercises.get("residual_unit")
    entries = {e.learner: e for e in scan_class(hostile_class).entries}
    assert not any(is_current(out, entries[n], exercise) for n in ("alice", "_x", "jos_", "big", "deep", "Alice", "mallory"))
    assert is_current(out, entries["josé"], exercise)
    again = batch(hostile_class, out, "--jobs", "1")
    assert again.stdout.startswith("graded 7,")
    assert {n: rows(out)[n]["score"] for n in ("alice", "_x", "jos_", "big", "deep", "Alice", "mallory")} == {
        "alice": "20", "_x": "20", "jos_": "4", "big": "0", "deep": "0", "Alice": "4", "mallory": "0"}


def test_missing_or_misattributed_results_still_get_their_row(tmp_path):
    exercise = exercises.get("residual_unit")
    (tmp_path / "results").mkdir()
    impostor = {"learner": "bob", "content_hash": "x", "exercise": "residual_unit", "score": 20, "max_score": 20,
                "diagnoses": [], "diagnosis_details": [], "checks": [], "counterexample": None}
    (tmp_path / "results" / "alice.json").write_text(json.dumps(impostor))
    entries = [Entry("alice", tmp_path / "alice.py"), Entry("carol", tmp_path / "carol.py")]
    assert [(d["learner"], d["score"], d["diagnoses"]) for d in iter_results(entries, tmp_path, exercise)] == [
        ("alice", 0, ["grader_error"]), ("carol", 0, ["grader_error"])]
    write_class_outputs(exercise, entries, tmp_path)
    assert set(rows(tmp_path)) == {"alice", "carol"}
    assert (tmp_path / "feedback" / "carol.html").is_file()


# ----------------------------------------------------------------------------------------- reading files
@pytest.mark.parametrize("content, why", [
    (DEEP, "nested too deeply"),
    ('{"cells": [], "n": ' + "9" * 5000 + "}", "a number with 5000 digits"),
    (notebook("x = '\\ud800'").replace("\\\\ud800", "\\ud800"), "lone surrogate"),
    ('{"cells": [1]}', "cell 1 is not a JSON object"),
    ('{"cells": [{"cell_type": "code", "source": ["x = 1", 2]}]}', "not text"),
    ('{"cells": [{"cell_type": "code", "source": {"a": 1}}]}', "no source text"),
], ids=["deep", "huge_int", "surrogate", "non_dict_cell", "non_str_line", "non_str_source"])
def test_hostile_notebooks_are_one_line_submission_errors(tmp_path, content, why):
    path = tmp_path / "n.ipynb"
    path.write_text(content)
    with pytest.raises(SubmissionError, match="not a valid notebook") as info:
        load(path)
    assert why in str(info.value) and "\n" not in str(info.value)


def test_size_limits(tmp_path, monkeypatch):
    big = tmp_path / "big.py"
    big.write_text("#" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(SubmissionTooLarge) as info:
        load(big)
    assert (info.value.size, info.value.limit) == (MAX_SOURCE_BYTES + 1, MAX_SOURCE_BYTES)
    huge = tmp_path / "huge.ipynb"
    with huge.open("wb") as fh:
        fh.truncate(MAX_NOTEBOOK_BYTES + 1)
    monkeypatch.setattr("graders.submission.json.loads", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(SubmissionTooLarge) as info:
        load(huge)
    assert info.value.limit == MAX_NOTEBOOK_BYTES
    code = tmp_path / "code.ipynb"
    code.write_text(notebook("#" * MAX_SOURCE_BYTES))
    monkeypatch.undo()
    with pytest.raises(SubmissionTooLarge):
        load(code)


def test_load_follows_no_link_and_opens_no_fifo(tmp_path):
    (tmp_path / "link.py").symlink_to(REFERENCE)
    with pytest.raises(NotARegularFile, match="link.py is a symbolic link"):
        load(tmp_path / "link.py")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "residual_unit.py").symlink_to(REFERENCE)
    (folder / "sub").symlink_to(REFERENCE.parent, target_is_directory=True)
    with pytest.raises(SubmissionError, match="symbolic links are not followed"):
        load(folder, "residual_unit")
    (folder / "mine.py").write_text(CORRECT)
    assert load(folder, "residual_unit").source == CORRECT
    os.mkfifo(tmp_path / "pipe.py")
    with pytest.raises(NotARegularFile, match="not a regular file"):
        load(tmp_path / "pipe.py")


def test_a_pool_that_cannot_start_gives_rows_instead_of_looping(tmp_path, monkeypatch):
    import graders.batch as batch_module
    from graders.sandbox.launcher import Limits

    def broken_worker(*args):
        raise RuntimeError("cannot start")

    (tmp_path / "class").mkdir()
    for name in ("ann", "ben", "cat"):
        (tmp_path / "class" / f"{name}.py").write_text(CORRECT)
    monkeypatch.setattr(batch_module, "_init_worker", broken_worker)  # inherited by the forked pool
    summary = batch_module.run_batch(tmp_path / "class", exercises.get("residual_unit"), tmp_path / "out", jobs=2,
                                     limits=Limits(time=2), isolation="none")
    assert (summary.graded, summary.unchanged, summary.total) == (3, 0, 3)
    assert {n: r["diagnoses"] for n, r in rows(tmp_path / "out").items()} == dict.fromkeys(("ann", "ben", "cat"), "grader_error")


def test_a_pool_that_breaks_while_being_filled_gives_rows_instead_of_crashing(tmp_path, monkeypatch):
    """The pool can break between two submissions (a process dies while the next learner is queued):
    submit() then raises, and the batch must treat that learner as lost, not die with a traceback."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    import graders.batch as batch_module
    from graders.sandbox.launcher import Limits

    class BreaksWhileFilled:
        """Its first submission's process dies; every later submit() finds the pool broken."""

        def __init__(self, *args, **kwargs):
            self.submitted = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *args):
            self.submitted += 1
            if self.submitted > 1:
                raise BrokenProcessPool("a child process terminated abruptly")
            future = Future()
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            return future

    (tmp_path / "class").mkdir()
    for name in ("ann", "ben", "cat"):
        (tmp_path / "class" / f"{name}.py").write_text(CORRECT)
    monkeypatch.setattr(batch_module, "ProcessPoolExecutor", BreaksWhileFilled)
    summary = batch_module.run_batch(tmp_path / "class", exercises.get("residual_unit"), tmp_path / "out", jobs=2,
                                     limits=Limits(time=2), isolation="none")
    assert (summary.graded, summary.unchanged, summary.total) == (3, 0, 3)
    assert {n: r["diagnoses"] for n, r in rows(tmp_path / "out").items()} == dict.fromkeys(("ann", "ben", "cat"), "grader_error")


def test_atomic_writes_are_private_whole_and_never_follow_a_link(tmp_path):
    from graders.store import write_atomic

    target = tmp_path / "results" / "ann.json"
    write_atomic(target, "é" * 3)
    assert target.read_text(encoding="utf-8") == "é" * 3
    assert target.stat().st_mode & 0o777 == 0o600  # other users of the machine cannot read a learner's result
    secret = tmp_path / "elsewhere"
    secret.write_text("keep")
    target.unlink()
    target.symlink_to(secret)
    write_atomic(target, "new")  # the link is replaced, its target untouched
    assert not target.is_symlink() and target.read_text() == "new" and secret.read_text() == "keep"
    assert sorted(p.name for p in target.parent.iterdir()) == ["ann.json"]  # no temporary file left
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "\ud800")  # nothing half-written, and the old content stays
    assert target.read_text() == "new" and sorted(p.name for p in target.parent.iterdir()) == ["ann.json"]


def test_a_grading_process_dying_in_a_chunk_of_learners_loses_none_and_blames_only_its_learner(tmp_path, monkeypatch):
    """Learners travel to the pool several at a time: when a process dies in the middle of such a chunk, the
    others of the chunk are graded again, one at a time, and only the learner it died on gets a grader_error."""
    import graders.batch as batch_module
    from graders.sandbox.launcher import Limits

    grade_one = batch_module._grade_one

    def dies_on_l07(learner, path, out_dir):
        if learner == "l07":
            os._exit(3)  # the grading process, not a learner's: as if the grader itself crashed
        return grade_one(learner, path, out_dir)

    (tmp_path / "class").mkdir()
    for i in range(40):
        (tmp_path / "class" / f"l{i:02d}.py").write_text(CORRECT)
    assert batch_module.chunk_size(39, 2) > 1  # the dying learner shares its task with others
    monkeypatch.setattr(batch_module, "_grade_one", dies_on_l07)  # inherited by the forked pool
    summary = batch_module.run_batch(tmp_path / "class", exercises.get("residual_unit"), tmp_path / "out", jobs=2,
                                     limits=Limits(), isolation="none")
    assert (summary.graded, summary.total) == (40, 40)
    got = rows(tmp_path / "out")
    assert got.pop("l07")["diagnoses"] == "grader_error"
    assert {r["score"] for r in got.values()} == {"20"} and len(got) == 39
