"""Gradescope: `python -m graders gradescope --exercise NAME --out autograder.zip` builds the autograder bundle.

The zip holds `setup.sh` and `run_autograder` at its root (as Gradescope requires) next to the kit itself:
`graders/`, the one reference the exercise needs under `solutions/`, `pyproject.toml` and
`gradekit-autograder.json` (exercise and limits). Gradescope unzips it into /autograder/source, runs setup.sh
once when it builds the image, and runs /autograder/run_autograder once per submission; that script runs
`python3 -m graders.gradescope`, i.e. `run_autograder()` below, which

- picks the one .py or .ipynb the learner uploaded to /autograder/submission (any name),
- grades it with grade_source, so the learner's code only ever runs in the sandboxed worker,
- and only then, after the sandbox is stopped, writes /autograder/results/results.json atomically.

A submission that cannot be graded (no file, several candidates, a broken notebook) gets a results.json with
score 0 and a message that says why, never a traceback. `GRADEKIT_AUTOGRADER_ROOT` replaces /autograder
(for tests and for trying a bundle locally).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from graders import exercises
from graders.engine.kind import REPO_ROOT, Exercise
from graders.engine.scoring import with_scoring
from graders.report.gradescope import gradescope_results, not_graded_results
from graders.sandbox.launcher import Limits, Sandbox, SandboxError
from graders.submission import SUFFIXES, SubmissionError, load

ROOT_ENV = "GRADEKIT_AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
CONFIG_NAME = "gradekit-autograder.json"
# What the grader needs at run time (kept in step with pyproject.toml's dependencies; a test checks it).
GRADER_REQUIREMENTS = ("numpy>=1.24", "hypothesis>=6.80")
SKIPPED_PARTS = ("__pycache__", ".ipynb_checkpoints", "__MACOSX")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same kit gives the same zip

SETUP_SH = """#!/usr/bin/env bash
# gradekit: Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip
# The sandbox (best effort): bubblewrap, plus util-linux/mount for sandboxing as root. Without it gradekit
# still grades, and says so in the instructor-only output ("sandbox": "none" in extra_data).
apt-get install -y --no-install-recommends bubblewrap util-linux mount \\
  || echo "gradekit: warning: bubblewrap could not be installed"
# The grader's Python packages (newer Ubuntu marks the system Python as externally managed).
python3 -m pip install {requirements} \\
  || python3 -m pip install --break-system-packages {requirements}
python3 -c "import numpy, hypothesis" || {{ echo "gradekit: numpy/hypothesis missing: the autograder cannot run"; exit 1; }}
# Draw the exercise's cases once now (kept in ~/.cache/gradekit) rather than once per submission.
cd "$(dirname "$0")" && python3 -B -c "{warm}" \\
  || echo "gradekit: warning: could not pre-draw the cases; each submission will draw them"
# Say whether bubblewrap works in this container, and what learners' code will run in if it does not.
python3 -B -m graders doctor || true
"""

WARM_CASES = ("from graders import exercises; from graders.engine.cases import case_book; "
              "case_book(exercises.get('{name}'))")
RUN_AUTOGRADER = """#!/usr/bin/env bash
# gradekit: Gradescope runs this once per submission. The learner's file is only read and sent to the
# sandboxed worker; results/results.json is written by the grader after grading, atomically.
ROOT="${{{env}:-{default}}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
(cd "$ROOT/source" && exec python3 -B -m graders.gradescope "$ROOT")
status=$?
if [ ! -s "$RESULTS" ]; then
  # the grader could not even start (e.g. numpy missing): say so instead of leaving no results
  printf '%s\\n' {fallback} > "$RESULTS"
fi
exit $status
"""

INTERNAL_ERROR = ("The autograder failed while grading your submission. This is a problem with the autograder, "
                  "not a judgement of your code: please tell your instructor, who can see the details and regrade.")
SANDBOX_FAILED = ("The autograder's sandbox could not start, so your code was not run. This is a problem with the "
                  "autograder, not with your code: please tell your instructor.")
SANDBOX_REFUSED = ("The autograder cannot isolate your code in this container, so it did not run it (a grade "
                   "from unisolated code could be forged). This is a problem with the autograder, not with your "
                   "code: please tell your instructor.")


# ------------------------------------------------------------------------------------------ command
def register(subparsers, add_sandbox_options) -> None:
    from graders.options import add_scoring_option

    p = subparsers.add_parser("gradescope", help="build a Gradescope autograder zip for one exercise")
    p.add_argument("--exercise", required=True)
    p.add_argument("--out", required=True, metavar="ZIP", help="the zip to write, e.g. autograder.zip")
    add_sandbox_options(p)  # the limits, isolation and scoring are baked into the bundle
    add_scoring_option(p)
    p.add_argument("--allow-unsandboxed", action="store_true",
                   help="grade even where learners' code can be isolated neither by bubblewrap nor as another "
                        "user (their grades could be forged); by default such submissions are not graded")
    p.set_defaults(run=cmd_gradescope)


def cmd_gradescope(args) -> int:
    from graders.options import UsageError, limits_from, pick_exercise

    exercise = pick_exercise(args.exercise, scoring=args.scoring)
    limits = limits_from(args)
    isolation = "bwrap" if args.require_sandbox else args.isolation
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"{out}: is a directory; give the path of the zip to write (e.g. {out / 'autograder.zip'})")
    reference = REPO_ROOT / exercise.reference
    if not exercise.reference or not reference.is_file():
        raise UsageError(f"the reference of {exercise.name} is missing ({reference}); cannot build the autograder")
    files = bundle_files(exercise, limits=limits, isolation=isolation, allow_unsandboxed=args.allow_unsandboxed)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_zip(out, files)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {out} ({len(files)} files, {exercise.name} {exercise.version}, {limits.time:g} s per submission, "
          f"isolation {isolation}): upload it as the Gradescope autograder and set the assignment to "
          f"{exercise.max_score} points; learners upload one .py or .ipynb file")
    return 0


# ------------------------------------------------------------------------------------------- bundle
def config_for(exercise: Exercise, *, limits: Limits, isolation: str, allow_unsandboxed: bool = False) -> dict:
    return {"exercise": exercise.name, "version": exercise.version, "scoring": exercise.scoring,
            "time_limit": limits.time, "memory_limit": limits.memory, "isolation": isolation,
            "allow_unsandboxed": allow_unsandboxed}


def kit_files(exercise: Exercise) -> list[tuple[str, Path]]:
    """(name in the zip, file) for the kit: graders/, the exercise's reference, pyproject.toml."""
    out = []
    for path in sorted((REPO_ROOT / "graders").rglob("*")):
        rel = path.relative_to(REPO_ROOT)
        if path.is_file() and not _skipped(rel) and path.suffix != ".pyc":
            out.append((rel.as_posix(), path))
    out.append((Path(exercise.reference).as_posix(), REPO_ROOT / exercise.reference))
    out.append(("pyproject.toml", REPO_ROOT / "pyproject.toml"))
    return out


def _skipped(rel: Path) -> bool:
    return any(part in SKIPPED_PARTS or part.startswith(".") for part in rel.parts)


def bundle_files(exercise: Exercise, *, limits: Limits, isolation: str,
                 allow_unsandboxed: bool = False) -> list[tuple[str, bytes, int]]:
    """(name, content, mode) of every file of the bundle."""
    requirements = " ".join(f'"{r}"' for r in GRADER_REQUIREMENTS)
    fallback = json.dumps({"score": 0, "output": INTERNAL_ERROR, "tests": [], "stdout_visibility": "hidden"})
    files = [
        ("setup.sh", SETUP_SH.format(requirements=requirements, warm=WARM_CASES.format(name=exercise.name)).encode(),
         0o755),
        ("run_autograder", RUN_AUTOGRADER.format(env=ROOT_ENV, default=DEFAULT_ROOT,
                                                 fallback=shlex.quote(fallback)).encode(), 0o755),
        (CONFIG_NAME, (json.dumps(config_for(exercise, limits=limits, isolation=isolation,
                                             allow_unsandboxed=allow_unsandboxed), indent=2) + "\n").encode(), 0o644),
    ]
    files += [(name, path.read_bytes(), 0o644) for name, path in kit_files(exercise)]
    return files


def write_zip(out: Path, files: list[tuple[str, bytes, int]]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, content, mode in files:
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.create_system = 3  # unix: unzip restores the mode (run_autograder must be executable)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_results(path: Path, results: dict) -> None:
    """Write results.json atomically (a complete file or the previous state, never half a file)."""
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


# ---------------------------------------------------------------------------------------- submission
def wanted(exercise: Exercise) -> str:
    return (f"Upload {Path(exercise.stub).name}, or any other {exercise.submission_hint()}; any file name works.")


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
                   and p.resolve().is_relative_to(inside) and not _skipped(p.relative_to(directory)))  # reference
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


# ---------------------------------------------------------------------------------------- run (per submission)
def read_config() -> dict:
    return json.loads((Path(__file__).resolve().parents[1] / CONFIG_NAME).read_text(encoding="utf-8"))


def grade_submission(directory: Path, exercise: Exercise, config: dict, started: float) -> tuple[dict, int]:
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
        print(f"gradekit: not graded: {message}")
        return not_graded_results(exercise, message, time.monotonic() - started, submission=rel), 0
    limits = Limits(time=float(config["time_limit"]), memory=int(config["memory_limit"]))
    sandbox = Sandbox(limits=limits, isolation=config.get("isolation", "auto"))
    try:
        sandbox.start()
    except SandboxError as exc:
        print(f"gradekit: error: cannot start the sandbox: {exc}")
        return not_graded_results(exercise, SANDBOX_FAILED, time.monotonic() - started, submission=rel,
                                  code="sandbox_failed"), 1
    if sandbox.mode == "none" and not config.get("allow_unsandboxed"):
        sandbox.stop()
        print(f"gradekit: error: not graded: {sandbox.note}; rebuild the bundle with --allow-unsandboxed to grade "
              "anyway, or use an image where bubblewrap works or the autograder runs as root")
        return not_graded_results(exercise, SANDBOX_REFUSED, time.monotonic() - started, submission=rel,
                                  code="sandbox_unavailable"), 1
    if sandbox.note:
        print(f"gradekit: warning: {sandbox.note} (build the bundle with --require-sandbox to refuse)")
    with sandbox:
        report = grade_source(exercise, submission.source, sandbox=sandbox, submission=rel)
    # the sandbox is stopped (every process the submission started is gone) before results.json is written
    return gradescope_results(report_dict(report), time.monotonic() - started), 0


def run_autograder(root: Path) -> int:
    started = time.monotonic()
    results_path = root / "results" / "results.json"
    exercise = None
    try:
        config = read_config()
        exercise = with_scoring(exercises.get(config["exercise"]), config.get("scoring"))
        results, status = grade_submission(root / "submission", exercise, config, started)
    except Exception:  # a grader problem: full details for the instructor, a plain message for the learner
        traceback.print_exc(file=sys.stdout)
        elapsed = time.monotonic() - started
        results = (not_graded_results(exercise, INTERNAL_ERROR, elapsed, code="internal_error") if exercise else
                   {"score": 0, "execution_time": round(elapsed, 2), "output": INTERNAL_ERROR, "tests": [],
                    "stdout_visibility": "hidden"})
        status = 1
    write_results(results_path, results)
    sandbox = results.get("extra_data", {}).get("gradekit", {}).get("sandbox")
    print(f"gradekit: {results['score']} points, sandbox {sandbox}, {time.monotonic() - started:.2f} s; "
          f"wrote {results_path}")
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    return run_autograder(root)


if __name__ == "__main__":
    sys.exit(main())
