"""Shared helpers for the self-check tests in every exercise folder (test_*.py): loading your function from
the file you edit, and comparing what it returns with what a worked example states.

You never need to edit this file. The tests only check the worked examples and properties that every correct
solution has; the grader compares your function with a hidden reference on many more inputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_LOADED: dict[str, object] = {}
NOT_IMPLEMENTED = ("{function} is not implemented yet: edit {file} (see the README in that folder), then run the "
                   "tests again.")


def fail(message: str) -> None:
    """Fail the test with a plain message (no traceback into the test machinery)."""
    pytest.fail(message, pytrace=False)


def learner_function(test_file: str, function: str, probe: tuple | None = None):
    """Your `function`, loaded from the file named like its folder next to `test_file` (e.g.
    residual_unit/residual_unit.py). A test fails with one clear line if the file is missing or does not
    import, if it defines no such function, or (when `probe` arguments are given) if calling it still raises
    NotImplementedError."""
    folder = Path(test_file).resolve().parent
    path = folder / f"{folder.name}.py"
    key = f"{path}::{function}"
    if key not in _LOADED:
        _LOADED[key] = _load(path, function, probe)
    loaded = _LOADED[key]
    if isinstance(loaded, str):
        fail(loaded)
    return loaded


def _load(path: Path, function: str, probe: tuple | None):
    if not path.exists():
        return f"{path.name} was not found in {path.parent.name}/."
    try:
        spec = importlib.util.spec_from_file_location(f"_selfcheck_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any import problem is the learner's to see
        return f"{path.name} could not be imported: {type(error).__name__}: {error}"
    found = getattr(module, function, None)
    if not callable(found):
        return f"{path.name} does not define a function {function}()."
    if probe is not None:
        try:
            found(*probe)
        except NotImplementedError:
            return NOT_IMPLEMENTED.format(function=function, file=f"{path.parent.name}/{path.name}")
        except Exception:  # noqa: BLE001 - the tests themselves report other errors, with a hint
            pass
    return found


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
