"""Self-check for the ResNet concepts quiz: is every answer filled in, in a form the grader can read?

Run them from the repository root with ``pytest exercises`` (or ``pytest`` inside this folder).

These tests never tell you whether an answer is right (the grader does that, and explains its reasoning).
They read resnet_concepts.py exactly the way the grader does: without running it. Only plain assignments at
the top level of the file count, and each value must be written out as a literal:

    NAME = "d"                 # a choice: one letter in quotes (upper case works too)
    NAME = (None, 8, 8, 16)    # a shape: a tuple (or list) of ints; None is fine for the batch

(the values only show the format). A function call, a variable or an f-string cannot be read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LEARNER_FILE = HERE / "resnet_concepts.py"
MAX_BYTES = 1_000_000  # the grader refuses larger files

CHOICES = {  # answer name -> the option letters of that question
    "Q1_WHY_SKIP": "abcd",
    "Q3_CHANNEL_MISMATCH": "abcd",
    "Q4_LOSS_CURVES": "abcd",
    "Q5_PYTORCH_ERROR": "abcde",
}
SHAPES = {  # answer name -> the axes of the shape
    "Q2_OUTPUT_SHAPE": ("batch", "height", "width", "channels"),
}
NAMES = sorted([*CHOICES, *SHAPES])


def _fail(message: str) -> None:
    """Fail the test with a plain message (no traceback into the test machinery)."""
    pytest.fail(message, pytrace=False)


def letter_format(name: str) -> str:
    return "one letter in quotes, one of " + ", ".join(f'"{c}"' for c in CHOICES[name])


def shape_format(name: str) -> str:
    axes = SHAPES[name]
    return f"a tuple of {len(axes)} ints ({', '.join(axes)}), None allowed for the batch, e.g. (None, 8, 8, 16)"


def answer_format(name: str) -> str:
    return letter_format(name) if name in CHOICES else shape_format(name)


# ------------------------------------------------------------------------------------------ reading
_SHEET: dict = {}
_UNREAD = object()


def literal(node):
    """The value of a literal answer (str, number, None, or a flat tuple/list of those), else (None, what it is)."""
    kinds = {ast.Call: "a function call", ast.Name: "a name (a variable)", ast.JoinedStr: "an f-string",
             ast.Attribute: "an attribute"}

    def scalar(n):
        if isinstance(n, ast.Constant) and (n.value is None or isinstance(n.value, (str, int, float))):
            return n.value, ""
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)) \
                and isinstance(n.operand, ast.Constant) and type(n.operand.value) in (int, float):
            return (-n.operand.value if isinstance(n.op, ast.USub) else n.operand.value), ""
        if isinstance(n, (ast.Tuple, ast.List)):
            return None, "a nested tuple or list"
        return None, kinds.get(type(n), "an expression")

    if isinstance(node, (ast.Tuple, ast.List)):
        items = []
        for element in node.elts:
            item, kind = scalar(element)
            if kind:
                return None, f"a {'tuple' if isinstance(node, ast.Tuple) else 'list'} holding {kind}"
            items.append(item)
        return (tuple(items) if isinstance(node, ast.Tuple) else items), ""
    return scalar(node)


def sheet() -> dict:
    """name -> (value, problem); value is _UNREAD when the name is not assigned at the top level. Fails the
    test cleanly when the file is missing, too large or does not parse."""
    if not _SHEET:
        if not LEARNER_FILE.exists():
            _fail(f"{LEARNER_FILE.name} was not found next to {Path(__file__).name}.")
        raw = LEARNER_FILE.read_bytes()
        if len(raw) > MAX_BYTES:
            _fail(f"{LEARNER_FILE.name} is {len(raw)} bytes; the grader refuses files over {MAX_BYTES} bytes.")
        problem = None
        try:
            tree = ast.parse(raw.decode("utf-8", errors="replace"))
        except SyntaxError as error:
            problem = f"line {error.lineno}: {error.msg}"
        except (RecursionError, MemoryError, ValueError) as error:
            problem = f"{type(error).__name__} (nested too deeply?)"
        if problem is not None:
            _fail(f"{LEARNER_FILE.name} does not parse ({problem}): the grader cannot read any answer.")
        found = {name: (_UNREAD, "") for name in NAMES}
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                pairs = [(t, statement.value if isinstance(t, ast.Name) else None) for t in statement.targets]
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                pairs = [(statement.target, statement.value)]
            elif isinstance(statement, ast.AugAssign):
                pairs = [(statement.target, None)]
            else:
                continue
            for target, value in pairs:
                if isinstance(target, ast.Name) and value is not None:
                    if target.id in found:
                        got, kind = literal(value)
                        found[target.id] = (_UNREAD, f"line {value.lineno} assigns it {kind}") if kind else (got, "")
                    continue
                for node in ast.walk(target):
                    if isinstance(node, ast.Name) and node.id in found:
                        found[node.id] = (_UNREAD, f"line {node.lineno} does not assign it plainly (unpacking or +=)")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in found \
                    and found[node.id] == (_UNREAD, ""):
                found[node.id] = (_UNREAD, f"it is assigned only at line {node.lineno}, inside an indented block "
                                           "or an expression")
        _SHEET.update(found)
    return _SHEET


# ------------------------------------------------------------------------------------------ the test
def check_choice(name: str, value) -> str:
    if not isinstance(value, str):
        return f"{name} is {value!r}, expected {letter_format(name)}."
    if value.strip().lower() not in CHOICES[name] or len(value.strip()) != 1:
        return f"{name} is {value!r}, which is not one of the options: expected {letter_format(name)}."
    return ""


def check_shape(name: str, value) -> str:
    axes = SHAPES[name]
    if not isinstance(value, (tuple, list)):
        return f"{name} is {value!r}, expected {shape_format(name)}."
    if len(value) != len(axes):
        return (f"{name} has {len(value)} entries, expected {len(axes)}: one per axis ({', '.join(axes)}); "
                "None is fine for the batch.")
    for index, entry in enumerate(value):
        if entry is None:
            continue
        if isinstance(entry, bool) or not isinstance(entry, int) or entry <= 0:
            return (f"{name}: entry {index} ({axes[index]}) is {entry!r}; sizes are positive ints, and an unknown "
                    "batch size is None (not -1).")
    return ""


@pytest.mark.parametrize("name", NAMES)
def test_answer_is_filled_in_and_well_formed(name):
    value, problem = sheet()[name]
    if problem:
        _fail(f"{name} cannot be read: {problem}. The grader reads your file without running it, so write "
              f"`{name} = ...` at the top level with the value itself: {answer_format(name)}.")
    if value is _UNREAD or value is None or (isinstance(value, str) and not value.strip()):
        _fail(f"{name} is not answered yet: replace None in `{name} = None` (in {LEARNER_FILE.name}) with your "
              f"answer, {answer_format(name)}.")
    wrong_form = check_choice(name, value) if name in CHOICES else check_shape(name, value)
    if wrong_form:
        _fail(wrong_form)
