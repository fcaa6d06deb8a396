"""`gradekit nbgrader COURSE_DIR --exercise NAME`: an nbgrader source notebook whose test cells grade with gradekit.

The notebook (COURSE_DIR/source/NAME/NAME.ipynb) holds the problem statement (the exercise README), a
solution cell with the reference body between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (nbgrader
strips it from the student version), and one autograded test cell per check of the exercise, worth that
check's points, so partial credit shows in nbgrader's gradebook.

How a test cell grades: the kernel that runs the notebook is the learner's process, so the reference never
enters it. The first test cell collects the code cells the kernel has run (IPython's raw input history,
minus the test cells), writes them to a temporary notebook and runs ``python -m graders grade ... --json``
in a separate process, in that fresh temporary directory (so nothing next to the notebook can shadow the
grader's modules); the grader runs the learner's code in its sandboxed worker. The JSON report is cached
in the kernel per version of the code, and every test cell raises AssertionError with its check's feedback
when that check failed. The test cells capture stderr, so a learner's warnings or debug prints never zero
a cell (nbgrader scores any stderr output in a graded cell as 0), and they never show reference code.

The grader is the kernel's own Python (``sys.executable``) unless ``GRADEKIT_PYTHON`` names another one.
The test cells are guarded by ``if __name__ == "__main__"``, so they are inert when gradekit itself loads a
submitted notebook as a module (``grade``/``batch``): only the learner's code is graded there.

Not tamper-proof: learner code runs in the same kernel as the test cells (and, under ``nbgrader
autograde``, unsandboxed, as the instructor) and can replace what they call or read files.
``gradekit batch COURSE_DIR/submitted --exercise NAME`` grades the same notebooks sandboxed, tamper-proof.
"""

from __future__ import annotations

import json
from pathlib import Path

from graders.engine.kind import NotSupported
from graders.options import UsageError, add_visibility_options, limits_from, pick_exercise, visibility_from
from graders.report.notebook import build_notebook

GRADER_MARGIN = 60  # seconds the grader process may take beyond 2 x --time-limit (startup, cases, shrinking)
CELL_MARGIN = 30  # seconds a cell may take beyond the grader process (kernel round trips)


def register(subparsers, add_sandbox_options) -> None:
    p = subparsers.add_parser(
        "nbgrader", help="write an nbgrader source notebook whose test cells grade with gradekit",
        description="Write COURSE_DIR/source/NAME/NAME.ipynb (and a minimal nbgrader_config.py if there is "
                    "none): problem statement, solution cell, one autograded test cell per check. The sandbox "
                    "options are those the test cells grade with.")
    p.add_argument("course_dir", metavar="COURSE_DIR")
    p.add_argument("--exercise", required=True)
    p.add_argument("--force", action="store_true", help="overwrite an existing source notebook")
    add_sandbox_options(p)
    add_visibility_options(p)
    p.set_defaults(run=cmd_nbgrader)


def cmd_nbgrader(args) -> int:
    exercise = pick_exercise(args.exercise)
    limits = limits_from(args)
    options = ["--time-limit", f"{limits.time:g}", "--memory-limit", f"{args.memory_limit:g}"]
    options += ["--require-sandbox"] if args.require_sandbox else ["--isolation", args.isolation]
    visibility_from(args, exercise)  # checked here: the test cells pass it on to `grade`
    options += [*(["--visibility", args.visibility] if args.visibility else []), *(["--due", args.due] if args.due else [])]
    course = Path(args.course_dir)
    if course.exists() and not course.is_dir():
        raise UsageError(f"{course}: not a directory")
    target = course / "source" / exercise.name / f"{exercise.name}.ipynb"
    if target.exists() and not args.force:
        raise UsageError(f"{target}: already exists (pass --force to overwrite it)")
    grader_timeout, cell_timeout = timeouts(limits.time)
    try:
        notebook = build_notebook(exercise, options, grader_timeout)
    except NotSupported as exc:
        raise UsageError(str(exc)) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(exercise.checks)} test cells, {exercise.max_score} points)")
    config = course / "nbgrader_config.py"
    if config.exists():
        if "timeout" not in config.read_text(encoding="utf-8", errors="replace"):
            print(f"note: {config} is unchanged; set c.ExecutePreprocessor.timeout = {cell_timeout} there so a "
                  "learner's endless loop cannot hang autograding")
    else:
        config.write_text(config_text(course.resolve().name, cell_timeout, grader_timeout, limits.time),
                          encoding="utf-8")
        print(f"wrote {config}")
    print(f"next: cd {course} && nbgrader generate_assignment {exercise.name}")
    return 0


def timeouts(time_limit: float) -> tuple[int, int]:
    """(grader process timeout, nbgrader cell timeout) in seconds for a per-submission time limit."""
    grader = int(2 * time_limit + GRADER_MARGIN + 0.999)
    return grader, grader + CELL_MARGIN


def config_text(course_id: str, cell_timeout: int, grader_timeout: int, time_limit: float) -> str:
    return f'''"""nbgrader configuration written by `gradekit nbgrader` (edit freely: gradekit never overwrites it)."""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = {course_id!r}

# Seconds any one cell may run under `nbgrader autograde` / `validate`. The test cells grade in a separate
# process that gradekit stops after {time_limit:g} s of learner code (and that the test cell abandons after
# {grader_timeout} s in all); a learner cell that never returns (an endless loop at top level) is interrupted
# after this many seconds, scored by the test cells, and the run goes on with the next notebook.
c.ExecutePreprocessor.timeout = {cell_timeout}
'''
