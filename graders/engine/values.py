"""What a learner's call produced, decoded from the worker's plain data without trusting it."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MAX_ELEMENTS = 1_000_000


@dataclass(frozen=True, eq=False)
class Value:
    """A returned value. ``array`` is a float view for comparison when one can be made."""

    kind: str  # ndarray | scalar | sequence | none | other
    type_name: str
    array: np.ndarray | None = None
    dtype: str | None = None
    text: str = ""
    items: tuple[Value, ...] = ()  # a sequence's elements

    @property
    def shape(self) -> tuple[int, ...] | None:
        return None if self.array is None else tuple(self.array.shape)

    def describe(self) -> str:
        if self.kind == "ndarray":
            return f"{self.type_name} of shape {self.shape} and dtype {self.dtype}"
        if self.kind == "sequence":
            return self.type_name
        if self.kind == "none":
            return "None"
        return self.type_name

    def show(self) -> str:
        if self.array is not None:
            return format_array(self.array)
        return self.text or self.type_name


@dataclass(frozen=True, eq=False)
class ErrorInfo:
    type: str
    message: str
    traceback: str = ""
    lineno: int | None = None
    is_memory: bool = False
    bases: tuple[str, ...] = ()

    def short(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    def is_a(self, type_name: str) -> bool:
        return type_name == self.type or type_name in self.bases


@dataclass(frozen=True, eq=False)
class Outcome:
    """One call: returned a value, raised, or did not run (the session ended before it)."""

    kind: str  # returned | raised | not_run
    value: Value | None = None
    error: ErrorInfo | None = None
    mutated: tuple[str, ...] = ()


NOT_RUN = Outcome("not_run")


def _str(obj, limit=500) -> str:
    return obj[:limit] if isinstance(obj, str) else ""


@lru_cache(maxsize=64)
def numeric_dtype(name: str) -> np.dtype:
    dtype = np.dtype(name)
    if dtype.kind not in "biuf":
        raise ValueError("unsupported dtype")
    return dtype


def decode_array(obj) -> np.ndarray:
    dtype = numeric_dtype(_str(obj.get("__nd__"), 20))
    shape = tuple(int(s) for s in obj.get("shape", ()))
    if len(shape) > 8 or any(s < 0 for s in shape) or math.prod(shape) > MAX_ELEMENTS:
        raise ValueError("bad shape")
    data = base64.b64decode(_str(obj.get("data"), 16 * MAX_ELEMENTS), validate=True)
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def decode_value(obj) -> Value:
    if not isinstance(obj, dict):
        return Value("other", "?")
    kind, type_name = _str(obj.get("kind"), 20), _str(obj.get("type"), 120) or "?"
    try:
        if kind == "ndarray":
            arr = decode_array(obj)
            return Value("ndarray", type_name, arr.astype(float), arr.dtype.name)
        if kind == "scalar":
            number = obj.get("value")
            arr = np.array(float(number)) if isinstance(number, (int, float)) else None
            return Value("scalar", type_name, arr, None)
        if kind == "sequence":
            items = [decode_value(i) for i in obj.get("items", [])[:MAX_ELEMENTS]]
            return Value("sequence", type_name, _sequence_array(items), None, _sequence_text(type_name, items),
                         tuple(items))
        if kind == "none":
            return Value("none", "NoneType", text="None")
    except (ValueError, TypeError, OverflowError):
        pass
    return Value("other", type_name, text=_str(obj.get("repr"), 200) or type_name)


def _sequence_array(items: list[Value]) -> np.ndarray | None:
    if any(i.array is None for i in items):
        return None
    try:
        return np.array([i.array for i in items], dtype=float)
    except ValueError:
        return None


def _sequence_text(type_name: str, items: list[Value]) -> str:
    inner = ", ".join(i.show() for i in items[:8]) + (", ..." if len(items) > 8 else "")
    return f"[{inner}]" if type_name == "list" else f"({inner})"


def decode_error(obj) -> ErrorInfo:
    obj = obj if isinstance(obj, dict) else {}
    lineno = obj.get("lineno")
    bases = obj.get("bases") if isinstance(obj.get("bases"), list) else []
    return ErrorInfo(_str(obj.get("type"), 120) or "Exception", _str(obj.get("message")),
                     _str(obj.get("traceback"), 4000), lineno if isinstance(lineno, int) else None,
                     bool(obj.get("is_memory")), tuple(_str(b, 120) for b in bases[:8]))


def decode_outcome(raw, parameters: tuple[str, ...]) -> Outcome:
    if not isinstance(raw, dict):
        return NOT_RUN
    if raw.get("kind") == "raised":
        return Outcome("raised", error=decode_error(raw.get("error")))
    if raw.get("kind") == "returned":
        mutated = raw.get("mutated") if isinstance(raw.get("mutated"), list) else []
        return Outcome("returned", value=decode_value(raw.get("value")),
                       mutated=tuple(m for m in mutated if m in parameters))
    return NOT_RUN


def format_number(v: float) -> str:
    if not np.isfinite(v):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{v:.1f}"
    return f"{v:.6g}"


def format_arg(arg) -> str:
    """An argument as learners would type it: arrays as nested lists, None/True/3 as Python."""
    if arg is None or isinstance(arg, (bool, int)):
        return repr(arg)
    return format_array(arg)


def format_array(arr) -> str:
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return format_number(float(arr))
    if arr.size > 64:
        return f"<array of shape {arr.shape}>"
    return "[" + ", ".join(format_array(a) for a in arr) + "]"
