"""`python -m graders course`: every learner on every exercise, from two folder layouts and from LMS
downloads; missing submissions are 0 and marked, never an error; resumable; course.csv, course.json, the
learner pages and the course page; the misconceptions that persist across exercises."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from graders.cli import main
from graders.exercises import get
from tests.conftest import REPO

EXERCISES = ("residual_unit", "projection_shortcut", "residual_backward")


def model_source(name: str, overrides: dict | None = None) -> str:
    """A learner file: the exercise's self-contained model with these catalog overrides (none: right)."""
    exercise = get(name)
    model = (REPO / "graders" / "exercises" / name / "model.py").read_text()
    params = ", ".join(exercise.parameters)
    return model + f"\n\ndef {exercise.function}({params}):\n    return model({params}, **{overrides or {}!r})\n"


# ann: right everywhere; bob: transposed weights forward (two exercises) and in the backward pass;
# carol: right forward, did not submit the projection, backward missing.
COURSE = {
    "ann": {"residual_unit": model_source("residual_unit"), "projection_shortcut": model_source("projection_shortcut"),
            "residual_backward": model_source("residual_backward")},
    "bob": {"residual_unit": model_source("residual_unit", {"transpose_w1": True, "transpose_w2": True}),
            "projection_shortcut": model_source("projection_shortcut", {"transpose_w1": True, "transpose_w2": True}),
            "residual_backward": model_source("residual_backward", {"transpose_w1": False, "transpose_w2": False})},
    "carol": {"residual_unit": model_source("residual_unit")},
}


def course(source: Path, out: Path, *extra: str) -> int:
    return main(["course", str(source), "--out", str(out), "--exercises", ",".join(EXERCISES), "--jobs", "2",
                 "--time-limit", "5", *extra])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    source = root / "submissions"
    for learner, files in COURSE.items():
        for exercise, text in files.items():
            path = source / learner / f"{exercise}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    (source / "carol" / "notes.txt").write_text("to do")
    out = root / "out"
    assert course(source, out) == 0
    return source, out


def table(path: Path) -> dict[str, dict]:
    return {row["learner"]: row for row in csv.DictReader(io.StringIO(path.read_text()))}


def test_course_csv_has_every_learner_every_exercise_and_the_totals(graded):
    _, out = graded
    rows = table(out / "course.csv")
    assert list(next(iter(rows.values()))) == ["learner", *EXERCISES, "total", "max_total", "not_submitted"]
    maximum = sum(get(name).max_score for name in EXERCISES)
    assert rows["ann"]["total"] == str(maximum) and rows["ann"]["max_total"] == str(maximum)
    assert rows["carol"]["projection_shortcut"] == "0" and rows["carol"]["residual_backward"] == "0"
    assert rows["carol"]["not_submitted"] == "projection_shortcut;residual_backward"
    assert int(rows["bob"]["total"]) < maximum // 2
    for name in EXERCISES:  # each exercise's own batch outputs, with a row per learner
        grades = {r["student"]: r for r in csv.DictReader(io.StringIO((out / name / "grades.csv").read_text()))}
        assert set(grades) == {"ann", "bob", "carol"}
    carol = json.loads((out / "projection_shortcut" / "results" / "carol.json").read_text())
    assert carol["diagnoses"] == ["not_submitted"] and carol["score"] == 0


def test_the_course_page_shows_distributions_missing_work_and_persistent_misconceptions(graded):
    _, out = graded
    summary = json.loads((out / "course.json").read_text())
    assert summary["not_submitted"] == {"residual_unit": [], "projection_shortcut": ["carol"],
                                        "residual_backward": ["carol"]}
    persistent = {item["concept"]: item for item in summary["persistent_misconceptions"]}
    assert "weight_orientation" in persistent, summary["persistent_misconceptions"]
    where = persistent["weight_orientation"]["who"]["bob"]
    assert {w["exercise"] for w in where} == set(EXERCISES)
    assert "ann" not in persistent["weight_orientation"]["who"]
    page = (out / "index.html").read_text()
    for name in EXERCISES:
        assert f"src='{name}/score_distribution.svg'" in page and (out / name / "score_distribution.svg").is_file()
    assert "weight_orientation" in page and "projection_shortcut, residual_backward" in page


def test_each_learner_page_links_every_exercise_feedback(graded):
    _, out = graded
    bob = (out / "learners" / "bob.html").read_text()
    for name in EXERCISES:
        assert f"href='../{name}/feedback/bob.html'" in bob and (out / name / "feedback" / "bob.html").is_file()
    carol = (out / "learners" / "carol.html").read_text()
    assert carol.count("not submitted") == 2


def test_a_rerun_grades_nothing_again_and_says_so_per_exercise(graded, capsys):
    source, out = graded
    capsys.readouterr()
    assert course(source, out) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(EXERCISES)]
    assert len(lines) == len(EXERCISES) and all("graded 0, unchanged 3" in line for line in lines)


def test_the_nbgrader_layout_is_read_too(tmp_path):
    source = tmp_path / "course" / "submitted"
    (source / "dora" / "residual_unit").mkdir(parents=True)
    (source / "dora" / "residual_unit" / "residual_unit.py").write_text(model_source("residual_unit", {"final_act": False}))
    (source / "eve" / "residual_backward").mkdir(parents=True)
    (source / "eve" / "residual_backward" / "residual_backward.py").write_text(model_source("residual_backward"))
    out = tmp_path / "out"
    assert course(tmp_path / "course", out) == 0
    rows = table(out / "course.csv")
    assert rows["dora"]["not_submitted"] == "projection_shortcut;residual_backward"
    assert rows["eve"]["residual_backward"] == str(get("residual_backward").max_score)
    dora = json.loads((out / "residual_unit" / "results" / "dora.json").read_text())
    assert dora["diagnoses"] == ["missing_final_relu"]


def test_a_course_from_lms_downloads_one_zip_per_exercise(tmp_path):
    source = tmp_path / "downloads"
    source.mkdir()
    with zipfile.ZipFile(source / "residual_unit.zip", "w") as zf:
        zf.writestr("doejane_1001_5001_residual_unit.py", model_source("residual_unit"))
        zf.writestr("smithbob_LATE_1002_5002_residual_unit.py", model_source("residual_unit", {"skip": 0.0}))
    with zipfile.ZipFile(source / "residual_backward.zip", "w") as zf:
        zf.writestr("doejane_1001_6001_residual_backward.py", model_source("residual_backward"))
    out = tmp_path / "out"
    assert course(source, out) == 0
    rows = table(out / "course.csv")
    assert set(rows) == {"doejane_1001", "smithbob_1002"}
    assert rows["smithbob_1002"]["not_submitted"] == "projection_shortcut;residual_backward"
    assert rows["doejane_1001"]["not_submitted"] == "projection_shortcut"
    grades = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "residual_unit" / "grades.csv").read_text()))}
    assert grades["smithbob_1002"]["late"] == "yes"
    assert (out / "residual_unit" / "canvas_grades.csv").is_file()


def test_bad_course_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["course", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert main(["course", str(tmp_path), "--out", str(tmp_path / "out"), "--exercises", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("gradekit: error:") for line in err)
