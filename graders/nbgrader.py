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

import ast
import json
import re
import textwrap
from pathlib import Path

import numpy as np

from graders import exercises
from graders.cli import UsageError, limits_from
from graders.engine.exercise import REPO_ROOT, Exercise

MARKER = "# gradekit-nbgrader test cell"
GRADER_MARGIN = 60  # seconds the grader process may take beyond 2 x --time-limit (startup, cases, shrinking)
CELL_MARGIN = 30  # seconds a cell may take beyond the grader process (kernel round trips)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
DROPPED_SECTIONS = ("self-check",)  # README sections about the .py workflow, replaced by NOTEBOOK_NOTE

NOTEBOOK_NOTE = """\
## Working in this notebook

Implement `{function}` in the cell marked `# YOUR CODE HERE` below: in this notebook it takes the place of
the file `{stub}` the text above mentions. You may add cells of your own.

The test cells at the end are graded, one per check, each worth the points it shows. They send the code
cells you ran to **gradekit**, which runs your function in a separate, sandboxed process and compares it with
a hidden reference on the worked examples and on many generated inputs. Run them (or press *Validate*) to
see your feedback; run them again after you change your code. Printing or warning in your own code is fine:
it never costs points. If gradekit is not installed where you work, the test cells say so; they are graded
when your instructor autogrades the notebook.
"""

HELPER = '''\
{marker}: {label} ({points})
# gradekit grades the code cells run so far in a separate process (the hidden reference never enters this
# kernel) and caches the report; each test cell below is one of its checks, worth the points it shows.
def _gradekit_check(check, summary=False):
    """(passed, message) of one gradekit check for the code cells this kernel has run."""
    import contextlib, hashlib, io, json, os, subprocess, sys, tempfile, warnings
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return False, "run this notebook in a Jupyter kernel: the tests grade the code cells it ran"
    cells = [c for c in shell.history_manager.input_hist_raw if c.strip() and {marker!r} not in c]
    python = os.environ.get("GRADEKIT_PYTHON") or sys.executable
    key = hashlib.sha256("\\0".join([python, *cells]).encode()).hexdigest()
    cache = globals().setdefault("_gradekit_reports", {{}})
    if key not in cache:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), \\
                tempfile.TemporaryDirectory(prefix="gradekit-") as tmp:
            warnings.simplefilter("ignore")
            path = os.path.join(tmp, "submission.ipynb")
            with open(path, "w", encoding="utf-8") as fh:
                json.dump({{"nbformat": 4, "nbformat_minor": 5, "metadata": {{}}, "cells": [
                    {{"cell_type": "code", "metadata": {{}}, "source": c, "outputs": [], "execution_count": None}}
                    for c in cells]}}, fh)
            command = [python, "-m", "graders", "grade", path, "--exercise", {exercise!r}, "--json", *{options!r}]
            try:
                done = subprocess.run(command, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                                      text=True, timeout={timeout})
                report = json.loads(done.stdout)
            except subprocess.TimeoutExpired:
                report = {{"error": "the grader did not finish within {timeout} s"}}
            except OSError as exc:
                report = {{"error": f"cannot start {{python}} ({{exc.strerror}})"}}
            except ValueError:
                last = (done.stderr.strip().splitlines() or [""])[-1]
                if "No module named graders" in done.stderr:
                    report = {{"error": "gradekit is not installed in this kernel's Python; your instructor's "
                                        "autograder runs these tests"}}
                elif last.startswith("gradekit: error:"):
                    report = {{"error": last}}
                else:
                    report = {{"error": f"the grader failed (exit status {{done.returncode}})"}}
            if not isinstance(report, dict) or not isinstance(report.get("checks", []), list):
                report = {{"error": "the grader sent an unreadable report"}}
        cache.clear()
        cache[key] = report
    report = cache[key]
    if "error" in report:
        return False, "gradekit could not grade this notebook: " + str(report["error"])
    if summary:
        print(f"gradekit: {{report.get('score')}}/{{report.get('max_score')}} for {exercise}")
        for d in report.get("diagnosis_details") or []:
            detail = d.get("detail") or ""
            print(f"- [{{d.get('code')}}] {{d.get('message')}}" + (f" ({{detail}})" if detail else ""))
        ce = report.get("counterexample")
        if ce:
            print(f"Smallest failing input: {{ce.get('call')}}\\n  expected: {{ce.get('expected')}}\\n"
                  f"  got:      {{ce.get('actual')}}")
    for c in report["checks"]:
        if isinstance(c, dict) and c.get("name") == check:
            head = f"{{c.get('label')}} [{{c.get('score')}}/{{c.get('max_score')}}]"
            if c.get("passed"):
                print("PASS", head)
                return True, head
            why = c.get("feedback") or ""
            if c.get("status") == "skipped":
                return False, f"NOT CHECKED {{head}}: the code did not load (see the first test cell)\\n{{why}}"
            return False, f"FAIL {{head}}\\n{{why}}"
    return False, f"gradekit reported no check {{check!r}}: this notebook is from another version of the exercise"


'''

# The `if` keeps the cell inert when gradekit itself loads the notebook as a module (`gradekit grade` or
# `batch` on nbgrader's submitted/ folders): there __name__ is the exercise's module name.
TEST_CELL = '''\
if __name__ == "__main__":
    _gradekit_ok, _gradekit_why = _gradekit_check({check!r}{summary})
    assert _gradekit_ok, _gradekit_why
'''


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
    p.set_defaults(run=cmd_nbgrader)


def cmd_nbgrader(args) -> int:
    try:
        exercise = exercises.get(args.exercise)
    except exercises.UnknownExercise as exc:
        raise UsageError(str(exc)) from None
    if exercise.grade_hook is not None:  # a quiz: there is no function to build the notebook around
        raise UsageError(f"{exercise.name} is a quiz (its answers are read, not run): nbgrader notebooks are not "
                         f"supported for it; hand out {exercise.stub} and grade with `gradekit batch`")
    limits = limits_from(args)
    options = ["--time-limit", f"{limits.time:g}", "--memory-limit", f"{args.memory_limit:g}"]
    options += ["--require-sandbox"] if args.require_sandbox else ["--isolation", args.isolation]
    course = Path(args.course_dir)
    if course.exists() and not course.is_dir():
        raise UsageError(f"{course}: not a directory")
    target = course / "source" / exercise.name / f"{exercise.name}.ipynb"
    if target.exists() and not args.force:
        raise UsageError(f"{target}: already exists (pass --force to overwrite it)")
    grader_timeout, cell_timeout = timeouts(limits.time)
    notebook = build_notebook(exercise, options, grader_timeout)
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


# -------------------------------------------------------------------------------------- the notebook
def build_notebook(exercise: Exercise, options: list[str], grader_timeout: int) -> dict:
    stub = _read(exercise.stub, "stub")
    reference = _read(exercise.reference, "reference")
    readme = _read(exercise.readme, "README") if exercise.readme else f"# {exercise.title}\n"
    imports, solution = solution_cell(exercise.function, stub, reference)
    cells = [
        markdown("problem", drop_sections(readme), nbgrader=readonly("problem")),
        markdown("working", NOTEBOOK_NOTE.format(function=exercise.function, stub=Path(exercise.stub).name),
                 nbgrader=readonly("working")),
    ]
    if imports:
        cells.append(code("imports", imports, nbgrader=readonly("imports")))
    cells.append(code("solution", solution, nbgrader=meta("solution", solution=True)))
    if exercise.examples:
        cells.append(code("try_it", try_it(exercise)))
    cells.append(markdown("tests_intro", "## Tests\n\nEach cell below is one graded check of gradekit.\n",
                          nbgrader=readonly("tests_intro")))
    for index, check in enumerate(exercise.checks):
        points = f"{check.points} point{'s' if check.points != 1 else ''}"
        body = TEST_CELL.format(check=check.name, summary=", summary=True" if index == 0 else "")
        if index == 0:
            source = HELPER.format(marker=MARKER, label=check.label, points=points, exercise=exercise.name,
                                   options=options, timeout=grader_timeout) + body
        else:
            source = f"{MARKER}: {check.label} ({points})\n" + body
        grade_id = f"test_{check.name}"
        cells.append(code(grade_id, source, nbgrader=meta(grade_id, grade=True, locked=True, points=check.points)))
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _read(relative: str, what: str) -> str:
    path = REPO_ROOT / relative
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the exercise's {what} ({exc.strerror})") from None


def meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    data = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if points is not None:
        data["points"] = points
    return data


def readonly(grade_id: str) -> dict:
    return meta(grade_id, locked=True)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def markdown(cell_id: str, text: str, nbgrader: dict | None = None) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {"nbgrader": nbgrader} if nbgrader else {},
            "source": _lines(text.rstrip("\n"))}


def code(cell_id: str, text: str, nbgrader: dict | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "outputs": [], "source": _lines(text.rstrip("\n"))}


def drop_sections(readme: str) -> str:
    """The README without the sections about the .py workflow (its `## Self-check`)."""
    out, dropping = [], False
    for line in readme.splitlines():
        heading = re.match(r"^(#{1,2})\s+(.*)", line)
        if heading:
            dropping = len(heading.group(1)) == 2 and heading.group(2).strip().lower() in DROPPED_SECTIONS
        if not dropping:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def solution_cell(function: str, stub: str, reference: str) -> tuple[str, str]:
    """(the stub's imports, the solution cell): the stub's signature and docstring around the reference body,
    which sits between the solution markers together with anything else the reference needs."""
    stub_tree, ref_tree = ast.parse(stub), ast.parse(reference)
    stub_lines, ref_lines = stub.splitlines(), reference.splitlines()
    stub_imports = [n for n in stub_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    imports = "\n".join(_segment(stub_lines, n) for n in stub_imports)
    known = {ast.dump(n) for n in stub_imports}
    ref_fn = _function(ref_tree, function)
    if ref_fn is None:
        raise UsageError(f"the reference defines no function {function!r}")
    extras = [_segment(ref_lines, n) for n in ref_tree.body
              if n is not ref_fn and not _is_docstring(n) and ast.dump(n) not in known]
    body_nodes = ref_fn.body[1:] if _is_docstring(ref_fn.body[0]) and len(ref_fn.body) > 1 else ref_fn.body
    body = textwrap.dedent("\n".join(ref_lines[body_nodes[0].lineno - 1: ref_fn.end_lineno]))
    stub_fn = _function(stub_tree, function)
    if stub_fn is not None:  # the learner-facing signature and docstring
        keep = stub_fn.body[0] if _is_docstring(stub_fn.body[0]) else None
        start = _start(stub_fn)
        end = keep.end_lineno if keep else stub_fn.body[0].lineno - 1
        header = "\n".join(stub_lines[start - 1: end])
    else:
        header = "\n".join(ref_lines[_start(ref_fn) - 1: ref_fn.body[0].lineno - 1])
    parts = []
    if extras:
        parts.append("### BEGIN SOLUTION\n" + "\n\n".join(extras) + "\n### END SOLUTION\n")
    parts.append(header + "\n" + textwrap.indent(f"### BEGIN SOLUTION\n{body}\n### END SOLUTION", "    "))
    return imports, "\n\n".join(parts) + "\n"


def _function(tree: ast.Module, name: str):
    return next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name),
                None)


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _start(node) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def _segment(lines: list[str], node) -> str:
    return "\n".join(lines[_start(node) - 1: node.end_lineno])


def try_it(exercise: Exercise) -> str:
    example = exercise.examples[0]
    assign = "\n".join(f"    {p} = {_literal(a)}" for p, a in zip(exercise.parameters, example.args))
    call = f"{exercise.function}({', '.join(exercise.parameters)})"
    label = example.label or "worked example"
    return ("# Try your function here. Not graded: the `if` keeps this call out of grading and autograding.\n"
            "import os\n\n"
            "if __name__ == \"__main__\" and \"NBGRADER_EXECUTION\" not in os.environ:\n"
            f"    import numpy as np\n\n{assign}\n"
            f"    print({call})  # {label}: expected {_expected_text(example.expected)}\n")


def _literal(value) -> str:
    """Python source for an example argument: arrays as np.array(...), None/bools/numbers as themselves."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    return repr(value)


def _expected_text(expected) -> str:
    if expected is None:
        return "an error (see the problem statement)"
    if isinstance(expected, (tuple, list)):
        return "(" + ", ".join(repr(np.asarray(e).tolist()) for e in expected) + ")"
    return repr(np.asarray(expected).tolist())
