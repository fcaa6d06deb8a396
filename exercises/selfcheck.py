"""Shared helpers for the self-check tests in every exercise folder (test_*.py): loading your function (or,
for a quiz, reading your answers) from the file you edit, calling it, and comparing what it returns with what
a worked example or a property states.

You never need to edit this file. The tests only check the worked examples and properties that every correct
solution has; the grader compares your function with a hidden reference on many more inputs.

One failure per untouched exercise: while an exercise's file is untouched (its function still raises
NotImplementedError, or no answer of a quiz is filled in) or cannot be loaded, the first of its tests fails
with a message saying what to do, and its other tests are skipped (a skip is not a pass: the run still fails).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

NOT_IMPLEMENTED = ("{function} is not implemented yet: edit {file} (see the README in that folder), then run the "
                   "tests again.")

# per-session state, keyed by the exercise folder's path (several copies of exercises/ may run in one session)
_LOADED: dict[str, object] = {}  # "<learner file>::<function>" -> the function, or a _Problem
_ORIGIN: dict[int, tuple[str, Path]] = {}  # id(loaded function) -> (its name, the learner file)
_ANSWERS: dict[str, object] = {}  # quiz file -> its answers, or a _Problem
_STOPPED: dict[str, str] = {}  # exercise folder -> "not started" or "does not load", once its first test failed


def reset() -> None:
    """Forget every loaded file (the exercises' conftest.py calls this when a pytest session starts)."""
    for state in (_LOADED, _ORIGIN, _ANSWERS, _STOPPED):
        state.clear()


def fail(message: str) -> None:
    """Fail the test with a plain message (no traceback into the test machinery)."""
    pytest.fail(message, pytrace=False)


# ------------------------------------------------------------------------ one failure per exercise
def folder_of(test_file: str | Path) -> Path:
    """The exercise folder of a test file (exercises/NAME/)."""
    return Path(test_file).resolve().parent


def learner_file(test_file: str | Path) -> Path:
    """The file the learner edits: named like its folder, next to the test file (residual_unit/residual_unit.py)."""
    folder = folder_of(test_file)
    return folder / f"{folder.name}.py"


def exercise_status(folder: str | Path) -> str:
    """What a test of this exercise folder found in this session: "not started", "does not load", or "" (neither)."""
    return _STOPPED.get(str(Path(folder).resolve()), "")


def not_started(test_file: str | Path, message: str) -> None:
    """This exercise is untouched: the first of its tests to get here fails with `message`, every later one is
    skipped, so an untouched exercise gives one failure, not one per test."""
    _stop(test_file, message, "not started")


def _stop(test_file: str | Path, message: str, status: str) -> None:
    """The exercise cannot be tested yet (`status`: "not started" or "does not load"): fail its first test with
    `message`, skip the others."""
    folder = folder_of(test_file)
    if str(folder) in _STOPPED:
        pytest.skip(f"{folder.name}: {_STOPPED[str(folder)]}, see the failure of its first test")
    _STOPPED[str(folder)] = status
    fail(message)


class _Problem:
    def __init__(self, message: str, status: str):
        self.message, self.status = message, status


# ------------------------------------------------------------------------------ the learner's function
def learner_function(test_file: str, function: str, probe: tuple | None = None, signature: str = ""):
    """Your `function`, loaded from the file named like its folder next to `test_file` (e.g.
    residual_unit/residual_unit.py). If the file is missing or does not import, if it defines no such function
    (`signature`, e.g. "x, w1, w2", completes the message), or (when `probe` arguments are given) if calling it
    still raises NotImplementedError, the exercise's first test fails with one clear line and the others are
    skipped."""
    path = learner_file(test_file)
    key = f"{path}::{function}"
    if key not in _LOADED:
        _LOADED[key] = _load(path, function, probe, signature)
    loaded = _LOADED[key]
    if isinstance(loaded, _Problem):
        _stop(test_file, loaded.message, loaded.status)
    return loaded


def _load(path: Path, function: str, probe: tuple | None, signature: str):
    shown = f"exercises/{path.parent.name}/{path.name}"
    if not path.exists():
        return _Problem(f"{path.name} was not found: the tests look for {shown}.", "does not load")
    problem = None
    try:
        spec = importlib.util.spec_from_file_location(f"_learner_{path.stem}_{len(_LOADED)}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any import problem is the learner's to see
        problem = f"{type(error).__name__}: {error}"
    if problem is not None:
        return _Problem(f"{path.name} could not be imported: {problem}", "does not load")
    found = getattr(module, function, None)
    if not callable(found):
        return _Problem(f"{path.name} does not define a function {function}({signature}).", "does not load")
    _ORIGIN[id(found)] = (function, path)
    if probe is not None:
        try:
            found(*copied(probe))
        except NotImplementedError:
            return _Problem(NOT_IMPLEMENTED.format(function=function, file=shown), "not started")
        except Exception:  # noqa: BLE001 - the tests themselves report other errors, with a hint
            pass
    return found


def _name_and_file(function) -> tuple[str, str]:
    name, path = _ORIGIN.get(id(function), (getattr(function, "__name__", "your function"), None))
    return name, (f"exercises/{path.parent.name}/{path.name}" if path else "your exercise file")


def not_implemented_text(function) -> str:
    """The message for a NotImplementedError raised by `function` (a function learner_function loaded)."""
    name, file = _name_and_file(function)
    return NOT_IMPLEMENTED.format(function=name, file=file)


def copied(args) -> tuple:
    """The arguments with every numpy array copied (so that your function cannot change the test's own)."""
    return tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)


def shapes_text(names: tuple[str, ...], args) -> str:
    """ "x of shape (2,), w1 of shape (3, 2), ws=None, residual=True": what a call got, in one line."""
    return ", ".join(f"{n} of shape {a.shape}" if isinstance(a, np.ndarray) else f"{n}={a!r}"
                     for n, a in zip(names, args))


def call_learner(function, names: tuple[str, ...], args, hint: str):
    """`function(*args)` on copies of the arguments. If it raises, the test fails with the exception, the shapes
    of the arguments (`names` are the parameters' names) and `hint`."""
    name, _ = _name_and_file(function)
    try:
        return function(*copied(args))
    except NotImplementedError:
        problem = None
    except Exception as error:  # noqa: BLE001 - any exception is a failure of the learner's code
        problem = f"{type(error).__name__}: {error}"
    # fail outside the except block, so the report is not cluttered with the chained exception
    if problem is None:
        fail(not_implemented_text(function))
    fail(f"{name} raised {problem}\n  for {shapes_text(names, args)}.\n  Hint: {hint}")


def expect_unmodified(function, names: tuple[str, ...], args, hint: str) -> None:
    """Calling `function` leaves its array arguments as they were; else the test fails naming the argument,
    before and after, with `hint`. (If it raises, other tests report that.)"""
    name, _ = _name_and_file(function)
    after = copied(args)
    try:
        function(*after)
    except Exception:  # noqa: BLE001 - errors are reported by the other tests
        return
    for arg, before, now in zip(names, args, after):
        if isinstance(before, np.ndarray) and not np.array_equal(before, now):
            with np.printoptions(precision=6, suppress=True):
                fail(f"{name} modified its input {arg}: before {before!r}, after {now!r}.\n  Hint: {hint}")


def as_vector(result, size: int, function: str, expected: str, hint: str = "") -> np.ndarray:
    """The returned values as a float vector of `size` numbers (the result's type and shape have a test of their
    own); else the test fails saying what came back and what was `expected` (e.g. "n = 3 values (shape (3,))")."""
    got, problem = None, None
    try:
        got = np.asarray(result, dtype=float)
    except (TypeError, ValueError) as error:
        problem = str(error)
    if got is None:
        fail(f"{function} returned {type(result).__name__}, which is not a vector of numbers ({problem}).")
    if got.size != size:
        fail(f"{function} returned {got.size} values (shape {got.shape}), expected {expected}." +
             (f"\n  Hint: {hint}" if hint else ""))
    return got.reshape(size)


# ------------------------------------------------------------------------------------ comparing
def within(got, want, tol) -> bool:
    """`got` has `want`'s shape and every element within `tol` of it."""
    return want is not None and np.shape(got) == np.shape(want) and bool(np.all(np.abs(got - want) <= tol))


def first_matching_hint(got, tol, candidates, default: str) -> str:
    """The hint of the first candidate (a value a typical mistake would produce) that `got` matches."""
    for value, hint in candidates:
        if value is not None and within(got, value, tol):
            return hint
    return default


def show_inputs(names: tuple[str, ...], args) -> str:
    """One line per input, `  name = value` (arrays as numpy shows them), names aligned (call it inside
    np.printoptions to choose the precision)."""
    width = max(len(n) for n in names)
    return "\n".join(f"  {n.ljust(width)} = {repr(a) if isinstance(a, np.ndarray) else a}" for n, a in zip(names, args))


def report_mismatch(what: str, names: tuple[str, ...], args, want, got, hint: str, precision: int = 6,
           suppress: bool = True) -> None:
    """Fail with what went wrong, the inputs, what was expected and what came back, and a hint."""
    with np.printoptions(precision=precision, suppress=suppress):
        fail(f"{what}\n{show_inputs(names, args)}\n  expected {want!r}\n  got      {got!r}\n  Hint: {hint}")


def show(value) -> str:
    """A value as you would type it: arrays as nested lists."""
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    return repr(value)


def call_text(function: str, names: tuple[str, ...], args: tuple) -> str:
    return f"{function}(" + ", ".join(f"{n}={show(a)}" for n, a in zip(names, args)) + ")"


def expect_array(result, expected: np.ndarray, call: str, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """`result` is a float numpy array of `expected`'s shape with (nearly) its values; else the test fails
    naming the call, what was expected and what came back."""
    if not isinstance(result, np.ndarray):
        fail(f"{call} returned {type(result).__name__}, expected a numpy array. Return a numpy array, e.g. "
             "np.asarray(...).")
    if result.shape != expected.shape:
        fail(f"{call} returned shape {result.shape}, expected {expected.shape}. {hint}".strip())
    if result.dtype.kind != "f":
        fail(f"{call} returned an array of dtype {result.dtype}, expected a float dtype.")
    if not np.allclose(result, expected, rtol=rtol, atol=atol):
        fail(f"{call} returned {show(result)}, expected {show(expected)}. {hint}".strip())


# ------------------------------------------------------------------------------------- quiz answers
NOT_ASSIGNED = object()  # the value of an answer the file does not assign (readably) at its top level


def unanswered(value) -> bool:
    """An answer still to be given: not assigned, None, or blank text."""
    return value is NOT_ASSIGNED or value is None or (isinstance(value, str) and not value.strip())


def quiz_answers(test_file: str, names, max_bytes: int) -> dict:
    """name -> (value, problem) for each answer `names` of the quiz file next to `test_file`, read the way the
    grader reads it: without running it. Only plain top-level assignments of a literal count; value is
    NOT_ASSIGNED (with a problem saying why, unless the name is simply not assigned) otherwise. If the file is
    missing, too large or does not parse, the quiz's first test fails saying so and the others are skipped."""
    path = learner_file(test_file)
    if str(path) not in _ANSWERS:
        _ANSWERS[str(path)] = _read_answers(path, list(names), max_bytes)
    answers = _ANSWERS[str(path)]
    if isinstance(answers, _Problem):
        _stop(test_file, answers.message, answers.status)
    return answers


def _read_answers(path: Path, names: list[str], max_bytes: int):
    if not path.exists():
        return _Problem(f"{path.name} was not found: the tests look for exercises/{path.parent.name}/{path.name}.",
                        "does not load")
    raw = path.read_bytes()
    if len(raw) > max_bytes:
        return _Problem(f"{path.name} is {len(raw)} bytes; the grader refuses files over {max_bytes} bytes.",
                        "does not load")
    problem = None
    try:
        tree = ast.parse(raw.decode("utf-8", errors="replace"))
    except SyntaxError as error:
        problem = f"line {error.lineno}: {error.msg}"
    except (RecursionError, MemoryError, ValueError) as error:
        problem = f"{type(error).__name__} (nested too deeply?)"
    if problem is not None:
        return _Problem(f"{path.name} does not parse ({problem}): the grader cannot read any answer.", "does not load")
    found = {name: (NOT_ASSIGNED, "") for name in names}
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
                    got, kind = _literal(value)
                    found[target.id] = (NOT_ASSIGNED, f"line {value.lineno} assigns it {kind}") if kind else (got, "")
                continue
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and node.id in found:
                    found[node.id] = (NOT_ASSIGNED, f"line {node.lineno} does not assign it plainly (unpacking or +=)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in found \
                and found[node.id] == (NOT_ASSIGNED, ""):
            found[node.id] = (NOT_ASSIGNED, f"it is assigned only at line {node.lineno}, inside an indented block "
                                            "or an expression")
    return found


def _literal(node):
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
