"""LMS bulk downloads in, LMS grades out (graders/lms.py): Canvas and Moodle zips with late and
resubmitted files, renamed files, files that are not code, a zip-slip name; one learner per LMS identity, the
latest file counts, the rest listed; the exported Canvas gradebook CSV and Moodle grading worksheet."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from graders.cli import main
from graders.lms import LmsError, read_download
from tests.conftest import REPO

DEMO = REPO / "examples" / "demo_class"
CORRECT = (DEMO / "alice.py").read_text()
TRANSPOSED = (DEMO / "carol.py").read_text()
WRONG_SKIP = (DEMO / "dave.py").read_text()


def make_zip(path: Path, members: dict[str, tuple[str, tuple]]) -> Path:
    """members: name -> (content, zip date_time)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, (content, when) in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), content)
    return path


DAY1, DAY2, DAY3 = (2026, 11, 20, 10, 0, 0), (2026, 11, 21, 10, 0, 0), (2026, 11, 22, 10, 0, 0)
CANVAS = {
    # Jane resubmitted: the first upload is wrong, the later one (higher attachment id, "-1") is right
    "doejane_1001_5001_residual_unit.py": (WRONG_SKIP, DAY1),
    "doejane_1001_5009_residual_unit-1.py": (CORRECT, DAY2),
    # Bob was late and renamed his file
    "smithbob_LATE_1002_5003_my_homework.py": (TRANSPOSED, DAY3),
    # Li also uploaded notes: not code, listed
    "wangli_1003_5004_residual_unit.py": (CORRECT, DAY1),
    "wangli_1003_5005_notes.txt": ("thoughts", DAY1),
    # only a text entry: no code, a not_submitted row
    "kimann_1004_text.html": ("<p>I could not do it</p>", DAY1),
    "../../escape_1005_5006_residual_unit.py": (CORRECT, DAY1),
}
MOODLE = {
    "Jane Doe_201_assignsubmission_file_/residual_unit.py": (WRONG_SKIP, DAY1),
    "Jane Doe_201_assignsubmission_file_/residual_unit (1).py": (CORRECT, DAY3),
    "Bob Smith_202_assignsubmission_file_/homework.ipynb": (json.dumps({
        "cells": [{"cell_type": "code", "source": TRANSPOSED, "metadata": {}, "outputs": [], "execution_count": None}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), DAY2),
    "Ann Kim_203_assignsubmission_onlinetext_/onlinetext.html": ("<p>no file</p>", DAY1),
}


def batch(source: Path, out: Path) -> int:
    return main(["batch", str(source), "--exercise", "residual_unit", "--out", str(out), "--jobs", "1",
                 "--time-limit", "3"])


def rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_a_canvas_download_gives_one_row_per_learner_the_latest_file_and_the_late_flag(tmp_path):
    out = tmp_path / "out"
    assert batch(make_zip(tmp_path / "submissions.zip", CANVAS), out) == 0
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert set(grades) == {"doejane_1001", "smithbob_1002", "wangli_1003", "kimann_1004"}
    assert grades["doejane_1001"]["score"] == "20"  # the resubmission counts, not the first upload
    assert grades["smithbob_1002"]["diagnoses"] == "transposed_weights" and grades["smithbob_1002"]["late"] == "yes"
    assert grades["doejane_1001"]["late"] == "no" and grades["doejane_1001"]["lms_id"] == "1001"
    assert grades["kimann_1004"]["diagnoses"] == "not_submitted" and grades["kimann_1004"]["score"] == "0"
    skipped = json.loads((out / "summary.json").read_text())["skipped"]
    reasons = {item["entry"]: item["reason"] for item in skipped}
    assert reasons["doejane_1001: residual_unit.py"].startswith("another upload")
    assert "wangli_1003: notes.txt" in reasons and "kimann_1004: text.html" in reasons
    assert any("escape" in entry for entry in reasons)  # a path in the zip is never followed
    assert not (tmp_path / "escape_1005_5006_residual_unit.py").exists()
    assert not any(p.name.startswith("escape") for p in tmp_path.parent.iterdir())

    canvas = list(csv.reader(io.StringIO((out / "canvas_grades.csv").read_text())))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[0][5].endswith("(residual_unit)") and canvas[1][0].strip() == "Points Possible"
    by_id = {row[1]: row for row in canvas[2:]}
    assert by_id["1001"][5] == "20" and by_id["1004"][5] == "0" and by_id["1002"][0] == "smithbob"


def test_a_moodle_download_reads_folders_notebooks_and_the_newest_file(tmp_path):
    out = tmp_path / "out"
    assert batch(make_zip(tmp_path / "moodle.zip", MOODLE), out) == 0
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert set(grades) == {"Jane Doe_201", "Bob Smith_202", "Ann Kim_203"}
    assert grades["Jane Doe_201"]["score"] == "20"  # the newest of her two files
    assert grades["Bob Smith_202"]["diagnoses"] == "transposed_weights"  # a notebook
    assert grades["Ann Kim_203"]["diagnoses"] == "not_submitted"
    assert grades["Jane Doe_201"]["late"] == ""  # Moodle's download does not say
    worksheet = rows(out / "moodle_grades.csv")
    assert list(worksheet[0])[:3] == ["Identifier", "Full name", "Email address"]
    assert {"Grade", "Maximum Grade", "Last modified (grade)", "Feedback comments"} <= set(worksheet[0])
    by_id = {r["Identifier"]: r for r in worksheet}
    assert by_id["Participant 201"]["Grade"] == "20" and by_id["Participant 201"]["Full name"] == "Jane Doe"
    assert by_id["Participant 203"]["Status"] == "No submission"
    assert "transposed" in by_id["Participant 202"]["Feedback comments"].lower()


def test_a_rerun_of_the_same_download_regrades_nothing(tmp_path, capsys):
    source = make_zip(tmp_path / "submissions.zip", CANVAS)
    assert batch(source, tmp_path / "out") == 0
    capsys.readouterr()
    assert batch(source, tmp_path / "out") == 0
    assert "graded 0, unchanged 4" in capsys.readouterr().out


def test_a_zip_that_is_no_lms_download_is_one_line_and_exit_2(tmp_path, capsys):
    source = make_zip(tmp_path / "random.zip", {"hello.py": ("print(1)", DAY1)})
    assert batch(source, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "neither a Canvas nor a Moodle submissions download" in err[0]
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    assert batch(tmp_path / "broken.zip", tmp_path / "out2") == 2


def test_read_download_tells_canvas_from_moodle(tmp_path):
    assert read_download(make_zip(tmp_path / "c.zip", CANVAS)).lms == "canvas"
    assert read_download(make_zip(tmp_path / "m.zip", MOODLE)).lms == "moodle"
    with pytest.raises(LmsError):
        read_download(make_zip(tmp_path / "x.zip", {"a/b.py": ("", DAY1)}))


# ------------------------------------------------------------------------------------------ found in review
def test_a_file_name_cannot_move_a_file_to_another_learner(tmp_path):
    # Moodle's older flat layout: Mallory names her upload like another participant's member
    members = {"Vic Tim_4711_assignsubmission_file_residual_unit.py": (TRANSPOSED, DAY1),
               "Mallory Mo_4712_assignsubmission_file_x_4711_assignsubmission_file_residual_unit.py": (CORRECT, DAY3)}
    out = tmp_path / "out"
    assert batch(make_zip(tmp_path / "moodle.zip", members), out) == 0
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert grades["Vic Tim_4711"]["diagnoses"] == "transposed_weights" and grades["Mallory Mo_4712"]["score"] == "20"


def test_canvas_unicode_and_anonymous_names_are_learners(tmp_path):
    members = {"müllerjürgen_12_501_residual_unit.py": (CORRECT, DAY1), "王伟_13_502_residual_unit.py": (CORRECT, DAY1),
               "anon_xK3p9_104_503_residual_unit.py": (TRANSPOSED, DAY1)}
    out = tmp_path / "out"
    assert batch(make_zip(tmp_path / "canvas.zip", members), out) == 0
    assert {r["student"] for r in rows(out / "grades.csv")} == {"müllerjürgen_12", "王伟_13", "anon_xK3p9_104"}


def test_a_test_file_uploaded_with_the_solution_does_not_count(tmp_path):
    tests = "import residual_unit\n\ndef test_it():\n    assert residual_unit\n"
    members = {"doejane_1001_101_residual_unit.py": (CORRECT, DAY1), "doejane_1001_102_test_my_block.py": (tests, DAY1),
               "smithbob_1002_201_v1.py": (TRANSPOSED, DAY1), "smithbob_1002_202_v2_final.py": (CORRECT, DAY2)}
    out = tmp_path / "out"
    assert batch(make_zip(tmp_path / "canvas.zip", members), out) == 0
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert grades["doejane_1001"]["score"] == "20"  # the file named after the exercise
    assert grades["smithbob_1002"]["score"] == "20"  # renamed resubmissions: the newest


def test_a_damaged_member_is_one_unreadable_row_and_the_batch_goes_on(tmp_path):
    source = make_zip(tmp_path / "canvas.zip", {"doejane_1001_101_residual_unit.py": (CORRECT * 3, DAY1),
                                                "smithbob_1002_201_residual_unit.py": (CORRECT, DAY1)})
    raw = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as zf:  # stored, not compressed: flip bytes inside doejane's data
        info = zf.getinfo("doejane_1001_101_residual_unit.py")
    start = info.header_offset + 30 + len(info.filename)
    raw[start + 10:start + 20] = b"\x00" * 10
    source.write_bytes(bytes(raw))
    out = tmp_path / "out"
    assert batch(source, out) == 0
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert grades["doejane_1001"]["diagnoses"] == "unreadable" and grades["smithbob_1002"]["score"] == "20"


def test_exports_leave_a_grader_error_empty_and_date_the_worksheet(tmp_path):
    from graders.batch import Entry, write_lms_grades
    from graders.exercises import get
    from graders.lms import load_roster
    from graders.store import result_path

    out = tmp_path / "out"
    assert batch(make_zip(tmp_path / "moodle.zip", MOODLE), out) == 0
    result_path(out, "Bob Smith_202").unlink()  # its result lost: a grader error, never a 0
    entries = [Entry(r["student"], Path(r["student"])) for r in rows(out / "grades.csv")]
    write_lms_grades(out, get("residual_unit"), entries, load_roster(out))
    by_id = {r["Identifier"]: r for r in rows(out / "moodle_grades.csv")}
    assert by_id["Participant 202"]["Grade"] == "" and by_id["Participant 201"]["Grade"] == "20"
    assert all(r["Last modified (grade)"] for r in by_id.values())


def test_the_worksheet_feedback_follows_the_visibility_settings(tmp_path):
    out = tmp_path / "out"
    source = make_zip(tmp_path / "moodle.zip", {
        "Jane Doe_201_assignsubmission_file_/residual_unit.py": (
            "import numpy as np\ndef residual_block(x, w1, w2):\n    return np.maximum(0, w2 @ (w1 @ x)) * 0.5 + x\n",
            DAY1)})
    assert main(["batch", str(source), "--exercise", "residual_unit", "--out", str(out), "--jobs", "1",
                 "--visibility", "*=result", "--due", "2099-01-01T00:00"]) == 0
    comments = rows(out / "moodle_grades.csv")[0]["Feedback comments"]
    assert "[unknown]" in comments and "residual_block(x=" not in comments


def test_a_course_of_moodle_downloads_keeps_a_learner_whose_participant_ids_differ(tmp_path):
    from tests.test_course import course, model_source

    source = tmp_path / "downloads"
    source.mkdir()
    make_zip(source / "residual_unit.zip",
             {"Ann Lee_4711_assignsubmission_file_/residual_unit.py": (model_source("residual_unit"), DAY1)})
    make_zip(source / "residual_backward.zip",
             {"Ann Lee_5293_assignsubmission_file_/residual_backward.py": (model_source("residual_backward"), DAY1)})
    out = tmp_path / "out"
    assert course(source, out) == 0
    table = {r["learner"]: r for r in rows(out / "course.csv")}
    assert set(table) == {"Ann Lee"} and table["Ann Lee"]["not_submitted"] == "projection_shortcut"
