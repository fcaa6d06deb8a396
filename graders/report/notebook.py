"""An nbgrader source notebook, rendered from an exercise: the problem statement, the cells its kind needs
(for a function exercise: the solution cell between nbgrader's markers, a try-it cell), and one graded test
cell per check. The first test cell carries gradekit's helper, graders/report/nbgrader_cell.py, as source."""

from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import numpy as np

from graders.engine.kind import REPO_ROOT, Exercise, ExerciseError

MARKER = "# gradekit-nbgrader test cell"
HELPER_SOURCE = (Path(__file__).parent / "nbgrader_cell.py").read_text(encoding="utf-8")
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

# The `if` keeps the cell inert when gradekit itself loads the notebook as a module (`gradekit grade` or
# `batch` on nbgrader's submitted/ folders): there __name__ is the exercise's module name.
TEST_CELL = '''\
if __name__ == "__main__":
    _gradekit_ok, _gradekit_why = _gradekit_check({check!r}{summary})
    assert _gradekit_ok, _gradekit_why
'''




def build_notebook(exercise: Exercise, options: list[str], grader_timeout: int) -> dict:
    """The source notebook; NotSupported when the exercise's kind has no notebook form."""
    kind_cells = exercise.notebook_cells()
    readme = _read(exercise, "readme")
    cells = [markdown("problem", drop_sections(readme), nbgrader=readonly("problem")), *kind_cells,
             markdown("tests_intro", "## Tests\n\nEach cell below is one graded check of gradekit.\n",
                      nbgrader=readonly("tests_intro"))]
    config = json.dumps({"exercise": exercise.name, "options": options, "timeout": grader_timeout})
    for index, check in enumerate(exercise.checks):
        points = f"{check.points} point{'s' if check.points != 1 else ''}"
        body = TEST_CELL.format(check=check.name, summary=", summary=True" if index == 0 else "")
        head = f"{MARKER}: {check.label} ({points})\n"
        source = head + (f"_GRADEKIT = {config}\n{HELPER_SOURCE}\n\n" if index == 0 else "") + body
        grade_id = f"test_{check.name}"
        cells.append(code(grade_id, source, nbgrader=meta(grade_id, grade=True, locked=True, points=check.points)))
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def function_cells(exercise) -> list[dict]:
    """A function exercise's cells: how to work in the notebook, the stub's imports, the solution cell (the
    stub's signature and docstring around the reference body) and a try-it cell."""
    imports, solution = solution_cell(exercise.function, _read(exercise, "stub"), _read(exercise, "reference"))
    cells = [markdown("working", NOTEBOOK_NOTE.format(function=exercise.function, stub=Path(exercise.stub).name),
                      nbgrader=readonly("working"))]
    if imports:
        cells.append(code("imports", imports, nbgrader=readonly("imports")))
    cells.append(code("solution", solution, nbgrader=meta("solution", solution=True)))
    if exercise.examples:
        cells.append(code("try_it", try_it(exercise)))
    return cells


def _read(exercise: Exercise, field: str) -> str:
    relative = getattr(exercise, field)
    try:
        return (REPO_ROOT / relative).read_text(encoding="utf-8")
    except OSError as exc:
        raise ExerciseError(exercise.name, field, f"{relative} cannot be read ({exc.strerror})") from None


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
        raise ValueError(f"the reference defines no function {function!r}")
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
    label = f"worked example 1 ({example.note})" if example.note else "worked example 1"
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
