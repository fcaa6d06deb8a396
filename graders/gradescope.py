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
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from graders import exercises
from graders.engine.kind import REPO_ROOT, Exercise
from graders.engine.scoring import with_scoring
from graders.hosted import INTERNAL_ERROR, entry_script, grade_upload, kit_files, write_json_atomic
from graders.report.gradescope import gradescope_results, not_graded_results
from graders.sandbox.launcher import Limits

ROOT_ENV = "GRADEKIT_AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
CONFIG_NAME = "gradekit-autograder.json"
# What the grader needs at run time (kept in step with pyproject.toml's dependencies; a test checks it).
GRADER_REQUIREMENTS = ("numpy>=1.24", "hypothesis>=6.80")
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

# ------------------------------------------------------------------------------------------ command
def register(subparsers, add_sandbox_options) -> None:
    from graders.options import add_scoring_option, add_visibility_options

    p = subparsers.add_parser("gradescope", help="build a Gradescope autograder zip for one exercise")
    p.add_argument("--exercise", required=True)
    p.add_argument("--out", required=True, metavar="ZIP", help="the zip to write, e.g. autograder.zip")
    add_sandbox_options(p)  # the limits, isolation, scoring and visibility are baked into the bundle
    add_scoring_option(p)
    add_visibility_options(p)
    p.add_argument("--allow-unsandboxed", action="store_true",
                   help="grade even where learners' code can be isolated neither by bubblewrap nor as another "
                        "user (their grades could be forged); by default such submissions are not graded")
    p.set_defaults(run=cmd_gradescope)


def cmd_gradescope(args) -> int:
    from graders.options import UsageError, limits_from, pick_exercise, visibility_from

    exercise = pick_exercise(args.exercise, scoring=args.scoring)
    visibility = visibility_from(args, exercise)
    limits = limits_from(args)
    isolation = "bwrap" if args.require_sandbox else args.isolation
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"{out}: is a directory; give the path of the zip to write (e.g. {out / 'autograder.zip'})")
    reference = REPO_ROOT / exercise.reference
    if not exercise.reference or not reference.is_file():
        raise UsageError(f"the reference of {exercise.name} is missing ({reference}); cannot build the autograder")
    files = bundle_files(exercise, limits=limits, isolation=isolation, allow_unsandboxed=args.allow_unsandboxed,
                         visibility=visibility)
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
def config_for(exercise: Exercise, *, limits: Limits, isolation: str, allow_unsandboxed: bool = False,
               visibility=None) -> dict:
    return {"exercise": exercise.name, "version": exercise.version, "scoring": exercise.scoring,
            "time_limit": limits.time, "memory_limit": limits.memory, "isolation": isolation,
            "allow_unsandboxed": allow_unsandboxed, "visibility": visibility.to_dict() if visibility else None}


def bundle_files(exercise: Exercise, *, limits: Limits, isolation: str, allow_unsandboxed: bool = False,
                 visibility=None) -> list[tuple[str, bytes, int]]:
    """(name, content, mode) of every file of the bundle."""
    requirements = " ".join(f'"{r}"' for r in GRADER_REQUIREMENTS)
    fallback = {"score": 0, "output": INTERNAL_ERROR, "tests": [], "stdout_visibility": "hidden"}
    files = [
        ("setup.sh", SETUP_SH.format(requirements=requirements, warm=WARM_CASES.format(name=exercise.name)).encode(),
         0o755),
        ("run_autograder", entry_script(platform="Gradescope", env=ROOT_ENV, default_root=DEFAULT_ROOT,
                                        kit_dir="source", module="graders.gradescope", fallback=fallback), 0o755),
        (CONFIG_NAME, (json.dumps(config_for(exercise, limits=limits, isolation=isolation,
                                             allow_unsandboxed=allow_unsandboxed, visibility=visibility),
                                  indent=2) + "\n").encode(), 0o644),
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


# ---------------------------------------------------------------------------------------- run (per submission)
def read_config() -> dict:
    return json.loads((Path(__file__).resolve().parents[1] / CONFIG_NAME).read_text(encoding="utf-8"))


def grade_submission(directory: Path, exercise: Exercise, config: dict, started: float) -> tuple[dict, int]:
    from graders.report.visibility import Visibility

    upload = grade_upload(directory, exercise, config)
    elapsed = time.monotonic() - started
    if upload.data is None:
        return not_graded_results(exercise, upload.message, elapsed, submission=upload.file,
                                  code=upload.code), upload.status
    return gradescope_results(upload.data, elapsed, Visibility.from_dict(config.get("visibility"))), 0


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
    write_json_atomic(results_path, results)
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
