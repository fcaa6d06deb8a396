"""What the hosted graders share (Gradescope: graders/gradescope.py, PrairieLearn: graders/prairielearn.py):
the kit files a bundle carries, finding the one file a learner uploaded, grading it in the sandbox (and
refusing to run it unisolated unless the instructor opted in), and writing a results file atomically, only
after the learner's processes are gone. Each platform turns the Upload into its own results format."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from graders.engine.kind import REPO_ROOT, Exercise
from graders.sandbox.launcher import Limits, Sandbox, SandboxError
from graders.submission import SUFFIXES, SubmissionError, load

SKIPPED_PARTS = ("__pycache__", ".ipynb_checkpoints", "__MACOSX")
INTERNAL_ERROR = ("The autograder failed while grading your submission. This is a problem with the autograder, "
                  "not a judgement of your code: please tell your instructor, who can see the details and regrade.")
SANDBOX_FAILED = ("The autograder's sandbox could not start, so your code was not run. This is a problem with the "
                  "autograder, not with your code: please tell your instructor.")
SANDBOX_REFUSED = ("The autograder cannot isolate your code in this container, so it did not run it (a grade "
                   "from unisolated code could be forged). This is a problem with the autograder, not with your "
                   "code: please tell your instructor.")


@dataclass
class Upload:
    """How grading one upload went: ``data`` (a report's data form) when graded; otherwise ``message`` for
    the learner and ``code`` (why it was not graded: a submission problem, or the grader's own)."""

    data: dict | None
    message: str = ""
    code: str = ""
    file: str | None = None  # the uploaded file graded (relative to the upload folder)
    status: int = 0  # the process exit status a platform may report (1: the grader's problem)

    @property
    def graders_fault(self) -> bool:
        return self.code in ("sandbox_failed", "sandbox_unavailable", "internal_error")


ENTRY_SCRIPT = """#!/usr/bin/env bash
# gradekit: {platform} runs this once per submission. The learner's upload is only read and sent to the
# sandboxed worker; the results file is written by the grader after grading, atomically.{why}
ROOT="${{{env}:-{default_root}}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
(cd "$ROOT/{kit_dir}" && exec python3 -B -m {module} "$ROOT")
status=$?
if [ ! -s "$RESULTS" ]; then
  # the grader could not even start (e.g. numpy missing): say so instead of leaving no results
  printf '%s\\n' {fallback} > "$RESULTS"
fi
exit {exit_status}
"""


def entry_script(*, platform: str, env: str, default_root: str, kit_dir: str, module: str, fallback: dict,
                 always_succeed: bool = False) -> bytes:
    """The shell script a hosted platform runs per submission; it leaves a results file in every case."""
    why = "\n# The platform reads results only when this exits 0, so it always does." if always_succeed else ""
    return ENTRY_SCRIPT.format(platform=platform, why=why, env=env, default_root=default_root, kit_dir=kit_dir,
                               module=module, fallback=shlex.quote(json.dumps(fallback)),
                               exit_status="0" if always_succeed else "$status").encode()


def kit_files(exercise: Exercise) -> list[tuple[str, Path]]:
    """(name in the bundle, file) for the kit: graders/, the exercise's reference, pyproject.toml."""
    out = []
    for path in sorted((REPO_ROOT / "graders").rglob("*")):
        rel = path.relative_to(REPO_ROOT)
        if path.is_file() and not skipped(rel) and path.suffix != ".pyc":
            out.append((rel.as_posix(), path))
    out.append((Path(exercise.reference).as_posix(), REPO_ROOT / exercise.reference))
    out.append(("pyproject.toml", REPO_ROOT / "pyproject.toml"))
    return out


def skipped(rel: Path) -> bool:
    return any(part in SKIPPED_PARTS or part.startswith(".") for part in rel.parts)


def write_json_atomic(path: Path, results: dict) -> None:
    """A complete file or the previous state, never half a file (and never through a link in its place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def wanted(exercise: Exercise) -> str:
    return f"Upload {Path(exercise.stub).name}, or any other {exercise.submission_hint()}; any file name works."


def defines_function(path: Path, exercise: Exercise) -> bool:
    try:
        source = load(path).source
    except SubmissionError:
        return False
    return exercise.declared_in(source)


def find_submission(directory: Path, exercise: Exercise) -> Path:
    """The one file to grade. SubmissionError (learner-facing message) when there is none or no clear one."""
    inside = directory.resolve()
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()  # never a link to the
                   and p.resolve().is_relative_to(inside) and not skipped(p.relative_to(directory)))  # reference
    candidates = [p for p in files if p.suffix in SUFFIXES]
    if not candidates:
        found = ", ".join(p.relative_to(directory).as_posix() for p in files[:5]) or "no files"
        raise SubmissionError(f"No .py or .ipynb file was found in your submission (found: {found}). {wanted(exercise)}")
    if len(candidates) == 1:
        return candidates[0]
    by_stem = [p for p in candidates if p.stem == Path(exercise.stub).stem]
    if len(by_stem) == 1:
        return by_stem[0]
    defining = [p for p in (by_stem or candidates) if defines_function(p, exercise)]
    if len(defining) == 1:
        return defining[0]
    names = ", ".join(p.relative_to(directory).as_posix() for p in (defining or candidates)[:5])
    raise SubmissionError(f"Your submission has several files that could be the solution ({names}), and the "
                          f"autograder cannot tell which one to grade. Submit only one. {wanted(exercise)}")


def grade_upload(directory: Path, exercise: Exercise, config: dict, log=print) -> Upload:
    """Grade the one file uploaded to ``directory`` in the sandbox; the sandbox is stopped (every process
    the submission started is gone) before this returns. ``config``: time_limit, memory_limit, isolation,
    allow_unsandboxed. ``log`` gets the instructor-only lines."""
    from graders.engine.grading import grade_source
    from graders.report.data import report_dict

    rel = None
    try:
        path = find_submission(directory, exercise)
        rel = path.relative_to(directory).as_posix()
        submission = load(path, Path(exercise.stub).stem)
    except SubmissionError as exc:
        message = str(exc).replace(str(directory) + os.sep, "")
        if rel is not None:  # the file was found but cannot be read (e.g. a broken notebook)
            message += f". Fix it and submit again. {wanted(exercise)}"
        log(f"gradekit: not graded: {message}")
        return Upload(None, message, "not_graded", rel)
    limits = Limits(time=float(config["time_limit"]), memory=int(config["memory_limit"]))
    sandbox = Sandbox(limits=limits, isolation=config.get("isolation", "auto"))
    try:
        sandbox.start()
    except SandboxError as exc:
        log(f"gradekit: error: cannot start the sandbox: {exc}")
        return Upload(None, SANDBOX_FAILED, "sandbox_failed", rel, 1)
    if sandbox.mode == "none" and not config.get("allow_unsandboxed"):
        sandbox.stop()
        log(f"gradekit: error: not graded: {sandbox.note}; rebuild with --allow-unsandboxed to grade anyway, or use "
            "an image where bubblewrap works or the autograder runs as root")
        return Upload(None, SANDBOX_REFUSED, "sandbox_unavailable", rel, 1)
    if sandbox.note:
        log(f"gradekit: warning: {sandbox.note} (build with --require-sandbox to refuse)")
    with sandbox:
        report = grade_source(exercise, submission.source, sandbox=sandbox, submission=rel)
    return Upload(report_dict(report), file=rel)

