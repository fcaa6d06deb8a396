"""Reading a course's submissions: which file is which learner's work on which exercise.

Layouts (the first that applies):

1. DIR is one LMS download (.zip) holding every exercise: each learner's files are matched to exercises by
   name (``residual_unit.py``, ``residual_unit.ipynb``; Canvas's ``-1`` resubmission suffix ignored).
2. DIR holds LMS downloads named after exercises (``residual_unit.zip``): one per exercise.
3. nbgrader: ``DIR/submitted/<learner>/<exercise>/...`` (or DIR is that ``submitted`` folder).
4. ``DIR/<learner>/<exercise>.py|.ipynb`` (also ``<learner>/<exercise>/`` as one folder per exercise).

The learners are everyone found for any exercise; a learner with nothing for an exercise gets a
not_submitted row there (0 points). Two candidates for one exercise make one ambiguous_submission row
(nothing guessed); files that match no exercise are listed as skipped, with the reason. Symbolic links are
never followed: a linked learner folder is skipped, a linked file is a row grading refuses.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from graders.batch import (
    AMBIGUOUS,
    NOT_SUBMITTED,
    NOT_SUBMITTED_MESSAGE,
    BatchError,
    ClassDirectory,
    Entry,
    SkippedEntry,
    lms_class,
    lms_columns,
)
from graders.lms import RESUBMITTED, CourseIdentity, is_lms_zip
from graders.submission import SUFFIXES, is_junk


@dataclass
class CourseLayout:
    learners: list[str]
    classes: dict[str, ClassDirectory]  # by exercise name: one row per learner
    columns: dict[str, dict] = field(default_factory=dict)  # by exercise: extra grades.csv columns (LMS)
    skipped: list[SkippedEntry] = field(default_factory=list)
    rosters: dict[str, dict] = field(default_factory=dict)  # by exercise: the LMS roster (grades export)


def stem_of(exercise) -> str:
    return Path(exercise.stub).stem


def scan_course(directory: Path, exercises: list, out: Path) -> CourseLayout:
    directory = Path(directory)
    if is_lms_zip(directory):
        return _from_lms(exercises, out, {e.name: directory for e in exercises}, whole=True)
    if not directory.is_dir():
        raise BatchError(f"{directory}: neither a folder nor an LMS download (.zip)")
    zips = {e.name: directory / f"{e.name}.zip" for e in exercises if (directory / f"{e.name}.zip").is_file()}
    if zips:
        return _from_lms(exercises, out, zips, whole=False)
    submitted = directory / "submitted"
    root = submitted if submitted.is_dir() and not submitted.is_symlink() else directory
    return _from_folders(root, exercises)


def _complete(learners: set[str], exercises: list, found: dict[str, dict[str, Entry]],
              skipped: list[SkippedEntry], columns: dict | None = None, rosters: dict | None = None) -> CourseLayout:
    """Every learner gets a row for every exercise: its entry, or a not_submitted one."""
    classes = {}
    for exercise in exercises:
        own = found.get(exercise.name, {})
        entries = [own.get(learner) or Entry(learner, Path(learner), NOT_SUBMITTED, NOT_SUBMITTED_MESSAGE)
                   for learner in sorted(learners)]
        classes[exercise.name] = ClassDirectory(entries, [])
    return CourseLayout(sorted(learners), classes, columns or {}, skipped, rosters or {})


def _from_lms(exercises: list, out: Path, zips: dict[str, Path], *, whole: bool) -> CourseLayout:
    learners: set[str] = set()
    found: dict[str, dict[str, Entry]] = {}
    columns, skipped, rosters = {}, [], {}
    identity = CourseIdentity()
    for exercise in exercises:
        if exercise.name not in zips:
            continue
        stem = stem_of(exercise)
        wanted = (lambda name, stem=stem: Path(RESUBMITTED.sub("", name)).stem == stem) if whole else None
        klass, roster = lms_class(zips[exercise.name], exercise, out / exercise.name, wanted, identity)
        for entry in klass.entries:
            learners.add(entry.learner)
            if entry.problem != NOT_SUBMITTED:
                found.setdefault(exercise.name, {})[entry.learner] = entry
        columns[exercise.name] = lms_columns(roster)
        rosters[exercise.name] = roster
        if not whole:
            skipped += klass.skipped
    return _complete(learners, exercises, found, skipped, columns, rosters)


def _from_folders(root: Path, exercises: list) -> CourseLayout:
    try:
        with os.scandir(root) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise BatchError(f"{root}: cannot be read ({exc.strerror})") from None
    names = {}
    for exercise in exercises:
        names.setdefault(exercise.name, exercise)
        names.setdefault(stem_of(exercise), exercise)
    learners: set[str] = set()
    found: dict[str, dict[str, Entry]] = {}
    skipped: list[SkippedEntry] = []
    for child in children:
        if is_junk(child.name):
            continue
        if not child.is_dir(follow_symlinks=False):
            skipped.append(SkippedEntry(child.name, "not a learner's folder (a course holds one folder per learner)"))
            continue
        learners.add(child.name)
        for exercise, paths in _learner_files(Path(child.path), names, skipped).items():
            if len(paths) == 1:
                entry = Entry(child.name, paths[0])
            else:
                listed = ", ".join(p.name for p in paths)
                entry = Entry(child.name, paths[0], AMBIGUOUS,
                              f"You submitted more than one entry for {exercise} ({listed}), so none of them was "
                              "graded: keep only the one to grade and submit again.")
            found.setdefault(exercise, {})[child.name] = entry
    return _complete(learners, exercises, found, skipped)


def _learner_files(folder: Path, names: dict, skipped: list[SkippedEntry]) -> dict[str, list[Path]]:
    """Exercise name -> the learner's candidate entries for it (files named after it, or its folder)."""
    out: dict[str, list[Path]] = {}
    try:
        with os.scandir(folder) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        skipped.append(SkippedEntry(folder.name, f"cannot be read ({exc.strerror})"))
        return out
    for child in children:
        if is_junk(child.name):
            continue
        path = Path(child.path)
        mode = child.stat(follow_symlinks=False).st_mode
        key = child.name if stat.S_ISDIR(mode) else (path.stem if path.suffix in SUFFIXES else None)
        exercise = names.get(key) if key else None
        if exercise is None:
            skipped.append(SkippedEntry(f"{folder.name}/{child.name}", "matches no exercise of this course"))
            continue
        out.setdefault(exercise.name, []).append(path)
    return out
