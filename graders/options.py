"""What every command shares: usage errors (one line, exit status 2), the sandbox options and limits, and
picking an exercise by name or by what a file declares. Command modules import this, never graders.cli."""

from __future__ import annotations

import argparse
import os
import sys

from graders import exercises
from graders.engine.kind import ExerciseError
from graders.engine.scoring import SCORINGS, with_scoring
from graders.sandbox.launcher import Limits, Sandbox, SandboxError
from graders.sandbox.warm import WarmSandboxes

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with what the user asked for: reported as one line, exit 2."""


def limits_from(args) -> Limits:
    if args.time_limit <= 0:
        raise UsageError(f"--time-limit must be positive, not {args.time_limit}")
    if args.memory_limit <= 0:
        raise UsageError(f"--memory-limit must be positive, not {args.memory_limit}")
    return Limits(time=args.time_limit, memory=int(args.memory_limit * 1024 * 1024))


def requested_isolation(args) -> str:
    return "bwrap" if args.require_sandbox else args.isolation


def make_sandbox(args) -> Sandbox:
    return _announced(Sandbox(limits=limits_from(args), isolation=requested_isolation(args)).start)


def launch_sandboxes(args, count: int) -> WarmSandboxes:
    """One sandbox per grading process, booting from now on (while the exercise is imported and prepared);
    ``probe_isolation`` then starts the first. The caller closes them."""
    return WarmSandboxes(count, limits=limits_from(args), isolation=requested_isolation(args))


def probe_isolation(warm: WarmSandboxes) -> str:
    """Start the first warm sandbox (fail fast, warn once); the isolation the grading processes ask for."""
    return warm.isolation_after_probe(_announced(warm.probe))


def _announced(start) -> Sandbox:
    """The started sandbox; a start that fails is a usage error, a fallback a warning on stderr."""
    try:
        sandbox = start()
    except SandboxError as exc:
        raise UsageError(f"cannot start the sandbox: {exc}") from None
    if sandbox.warning:
        print(f"gradekit: warning: {sandbox.warning} (use --require-sandbox to refuse)", file=sys.stderr)
    return sandbox


def pick_exercise(name: str | None, source: str | None = None, scoring: str | None = None):
    """The exercise by name (or by what ``source`` declares), scored as asked (``None``: as declared)."""
    if name:
        try:
            found = exercises.get(name)
        except exercises.UnknownExercise as exc:
            raise UsageError(str(exc)) from None
    else:
        found = exercises.identify(source or "")
    if found is None:
        known = ", ".join(e.name for e in exercises.all_exercises())
        raise UsageError(f"cannot tell which exercise this file is for; pass --exercise (one of: {known})")
    return scored_as(found, scoring)


def scored_as(exercise, scoring: str | None):
    try:
        return with_scoring(exercise, scoring)
    except ExerciseError as exc:
        raise UsageError(f"--scoring {scoring}: {exc}") from None


def default_jobs() -> int:
    """Twice the usable cores, at most 4 more than them: each grading process waits on its sandbox (a
    learner's world starting and ending) about half the time, so one per core leaves the cores idle
    (benchmarks/batch_speed.py); the cap keeps the learners held at once, each up to --memory-limit, few."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    cores = max(1, cores)
    return min(2 * cores, cores + 4)


def add_jobs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel grading processes (default: twice the cores, at most 4 more than them)")


def jobs_from(args) -> int:
    jobs = args.jobs if args.jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    return jobs


def add_scoring_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scoring", choices=SCORINGS, default=None,
                   help="checks: the sum of the check scores; rubric: the maximum minus the rubric deductions of "
                        "the named mistakes (default: as the exercise declares)")


def add_sandbox_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", type=float, default=Limits.time, metavar="S",
                   help="seconds per submission (default %(default)s)")
    p.add_argument("--memory-limit", type=float, default=Limits.memory / 2**20, metavar="MIB",
                   help="memory per submission in MiB (default %(default)g)")
    p.add_argument("--isolation", choices=("auto", "bwrap", "none"), default="auto",
                   help="auto: bubblewrap when installed, else the documented fallback")
    p.add_argument("--require-sandbox", action="store_true", help="refuse to grade without bubblewrap")


def add_visibility_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--visibility", default=None, metavar="CHECK=LEVEL[,...]",
                   help="what learners see of a check before the due date: all (default), result (pass or fail, "
                        "not the failing case) or after_due (nothing until --due); CHECK may be * for every check")
    p.add_argument("--due", default=None, metavar="DATETIME",
                   help="the due date (ISO, e.g. 2026-12-15T23:59): after it, learners see everything")


def visibility_from(args, exercise):
    """The learner-view settings of a command: the checks' declared levels, overridden per check."""
    from graders.report.visibility import Visibility, VisibilityError, parse_due, parse_levels

    try:
        return Visibility(parse_levels(args.visibility, [c.name for c in exercise.checks]), parse_due(args.due))
    except VisibilityError as exc:
        raise UsageError(str(exc)) from None
