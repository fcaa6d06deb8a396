"""Command line: `python -m graders COMMAND` (or the `gradekit` console script)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from graders import exercises
from graders.engine.kind import ExerciseError
from graders.options import (
    EXIT_USAGE,
    UsageError,
    add_jobs_option,
    add_sandbox_options,
    add_scoring_option,
    add_visibility_options,
    jobs_from,
    launch_sandboxes,
    limits_from,
    make_sandbox,
    pick_exercise,
    probe_isolation,
    visibility_from,
)
from graders.sandbox.launcher import Limits, Sandbox, SandboxError
from graders.submission import SubmissionError, SubmissionTooLarge, load


def cmd_grade(args) -> int:
    from graders.engine.grading import grade_source, too_large_report
    from graders.report.data import report_dict
    from graders.report.text import render_text, rendered
    from graders.report.visibility import learner_view

    path = Path(args.file)
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; grade one .py or .ipynb file (use `batch` for a class)")
    exercise = exercises.get(args.exercise) if args.exercise and _known(args.exercise) else None
    try:
        submission = load(path, Path(exercise.stub).stem if exercise else None)
    except SubmissionTooLarge as exc:  # the learner's file, graded: 0 with the code too_large
        exercise = pick_exercise(args.exercise, _head(exc.file), args.scoring)
        visibility = visibility_from(args, exercise)
        report = too_large_report(exercise, exc.size, str(exc.file))
    except SubmissionError as exc:
        raise UsageError(str(exc)) from None
    else:
        exercise = pick_exercise(args.exercise, submission.source, args.scoring)
        visibility = visibility_from(args, exercise)  # a bad setting is an error before any grading
        with make_sandbox(args) as sandbox:
            report = grade_source(exercise, submission.source, sandbox=sandbox, submission=str(submission.path))
    data = report_dict(report)
    if args.json:
        print(json.dumps({**data, "rendered": rendered(data, visibility)}, indent=2))
    else:
        print(render_text(learner_view(data, visibility) if args.learner_view else data), end="")
    return 0


def _head(file) -> str:
    """The start of a file too large to read whole (never through a link): enough to tell its exercise."""
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as fh:
        return fh.read(1 << 16).decode("utf-8", "replace")


def _known(name: str) -> bool:
    try:
        exercises.get(name)
    except exercises.UnknownExercise as exc:
        raise UsageError(str(exc)) from None
    return True


def cmd_list(args) -> int:
    items = [{"name": e.name, "title": e.title, "kind": e.kind, "function": e.function, "stub": e.stub,
              "reference": e.reference, "max_score": e.max_score, "version": e.version}
             for e in exercises.all_exercises()]
    if args.json:
        print(json.dumps(items, indent=2))
    else:
        for item in items:
            print(f"{item['name']:24} {item['max_score']:>4} pts  {item['title']}")
    return 0


def cmd_batch(args) -> int:
    from graders.batch import BatchError, Progress, run_batch
    from graders.lms import is_lms_zip

    jobs = jobs_from(args)
    limits = limits_from(args)
    directory = Path(args.directory)
    if not directory.is_dir() and not is_lms_zip(directory):
        raise UsageError(f"{directory}: no such directory" if not directory.exists()
                         else f"{directory}: neither a directory nor an LMS download (.zip)")
    with launch_sandboxes(args, jobs) as warm:  # they boot while the exercise is imported
        exercise = pick_exercise(args.exercise, scoring=args.scoring)
        visibility = visibility_from(args, exercise)
        isolation = probe_isolation(warm)  # fail fast, and warn once, before forking the workers
        if not exercise.runs_code:
            warm.close()  # nothing of a quiz is run: the grading processes need no sandbox
        try:
            summary = run_batch(directory, exercise, Path(args.out), jobs=jobs, limits=limits, isolation=isolation,
                                force=args.force, progress=Progress(), visibility=visibility, warm=warm)
        except BatchError as exc:
            raise UsageError(str(exc)) from None
    per = summary.elapsed / summary.graded * 1000 if summary.graded else 0.0
    skipped = f", skipped {len(summary.skipped)} (see summary.json)" if summary.skipped else ""
    print(f"graded {summary.graded}, unchanged {summary.unchanged}{skipped}, total {summary.total} "
          f"in {summary.elapsed:.2f} s ({per:.1f} ms per graded submission); open {Path(args.out) / 'index.html'}")
    return 0


GUARANTEES = {
    "bwrap": "bubblewrap works: each learner runs in a fresh world of its own (PID, mount and IPC namespaces, "
             "read-only system, private size-capped /tmp and /dev/shm, no network, no capabilities, a seccomp "
             "filter)",
    "chroot": "bubblewrap does not work here; as root, each learner runs as an unprivileged user of its sandbox "
              "in an empty chroot of its own: it cannot read the kit or the reference or write results",
    "none": "bubblewrap does not work here and the grader is not root: learner code runs as you, with rlimits "
            "and process cleanup only; it could read the reference, so grades could be forged",
}


def cmd_doctor(args) -> int:
    """What isolation learners' code gets on this machine, and why."""
    sandbox = Sandbox(limits=Limits(), isolation="auto")
    try:
        sandbox.start()
    except SandboxError as exc:
        raise UsageError(f"cannot start even the fallback sandbox: {exc}") from None
    mode, warning = sandbox.mode or "none", sandbox.warning or ""
    sandbox.stop()
    if args.json:
        print(json.dumps({"isolation": mode, "warning": warning, "guarantees": GUARANTEES[mode]}))
    else:
        print(f"gradekit: isolation {mode}: {GUARANTEES[mode]}")
        if warning:
            print(f"gradekit: ({warning})")
    return 0 if mode == "bwrap" else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradekit", description="Autograder for deep-learning exercises.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("grade", help="grade one submission (.py, .ipynb, or a folder holding one)")
    p.add_argument("file")
    p.add_argument("--exercise", help="exercise name (default: recognised from the function the file defines)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--learner-view", action="store_true",
                   help="print what the learner may see now (--visibility, --due); the JSON's `rendered` always is")
    add_sandbox_options(p)
    add_scoring_option(p)
    add_visibility_options(p)
    p.set_defaults(run=cmd_grade)
    p = sub.add_parser("batch", help="grade a whole class: one .py/.ipynb or folder per learner, or an LMS download "
                                     "(Canvas, Moodle .zip)")
    p.add_argument("directory")
    p.add_argument("--exercise", required=True)
    p.add_argument("--out", required=True, help="output directory (gradebook, feedback, summary)")
    add_jobs_option(p)
    p.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    add_sandbox_options(p)
    add_scoring_option(p)
    add_visibility_options(p)
    p.set_defaults(run=cmd_batch)
    p = sub.add_parser("doctor", help="say what isolation learners' code gets on this machine (exit 1 if not bubblewrap)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_doctor)
    p = sub.add_parser("list", help="list the exercises")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)
    for name in COMMAND_MODULES:
        importlib.import_module(f"graders.{name}").register(sub, add_sandbox_options)
    return parser


# Modules that add subcommands: each defines register(subparsers, add_sandbox_options).
COMMAND_MODULES: tuple[str, ...] = ("scaffold", "lint", "course", "nbgrader", "gradescope", "prairielearn", "release")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, ExerciseError) as exc:
        print(f"gradekit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradekit: interrupted", file=sys.stderr)
        return 130
