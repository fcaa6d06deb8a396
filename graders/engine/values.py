"""What a learner's call produced, decoded from the worker's plain data without trusting it."""

from __future__ import annotations

import binascii
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 8
try:  # Python 3.11+: reject anything but canonical base64 (3.10 skips characters outside the alphabet)
    binascii.a2b_base64("", strict_mode=True)
    _STRICT_BASE64 = {"strict_mode": True}
except TypeError:
    _STRICT_BASE64 = {}


# Value and Outcome are made ~110 times per submission: plain slotted classes (cheap to build), never
# changed after decoding.
@dataclass(eq=False, slots=True)
class Value:
    """A returned value. ``array`` is a float view for comparison when one can be made; an array too large
    or of a non-numeric dtype arrives as its type, ``dtype`` and ``meta_shape`` only."""

    kind: str  # ndarray | scalar | sequence | none | other
    type_name: str
    array: np.ndarray | None = None
    dtype: str | None = None
    text: str = ""
    items: tuple[Value, ...] = ()  # a sequence's elements
    meta_shape: tuple[int, ...] | None = None  # the shape of an array whose numbers were not sent

    @property
    def shape(self) -> tuple[int, ...] | None:
        return tuple(self.array.shape) if self.array is not None else self.meta_shape

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
        if self.kind == "ndarray":
            return f"<array of shape {self.shape} and dtype {self.dtype}>"
        return self.text or self.type_name


@dataclass(frozen=True, eq=False)
class ErrorInfo:
    type: str
    message: str
    traceback: str = ""
    lineno: int | None = None
    is_memory: bool = False
    bases: tuple[str, ...] = ()
    is_exit: bool = False  # SystemExit

    def short(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    def is_a(self, type_name: str) -> bool:
        return type_name == self.type or type_name in self.bases


@dataclass(eq=False, slots=True)
class Outcome:
    """One call: returned a value, raised, or did not run (the session ended before it)."""

    kind: str  # returned | raised | not_run
    value: Value | None = None
    error: ErrorInfo | None = None
    mutated: tuple[str, ...] = ()


NOT_RUN = Outcome("not_run")
UNREADABLE = Value("other", "?", text="<a result the grader could not read>")


def clean_text(obj, limit: int = 500) -> str:
    """Learner-supplied text as a valid string: clipped, lone surrogates replaced (they cannot be written
    as UTF-8). Anything that is not a string is ""."""
    if not isinstance(obj, str):
        return ""
    if obj.isascii():  # the common case: nothing to replace
        return obj[:limit]
    return obj[:limit].encode("utf-8", "replace").decode("utf-8")


_str = clean_text


def _int(obj) -> int | None:
    return obj if isinstance(obj, int) and not isinstance(obj, bool) else None


@lru_cache(maxsize=64)
def numeric_dtype(name: str) -> tuple[np.dtype, str]:
    """The dtype a learner's process names (only plain numbers are accepted), and its display name."""
    dtype = np.dtype(name)
    if dtype.kind not in "biuf" or dtype.hasobject or dtype.itemsize > 16:
        raise ValueError("unsupported dtype")
    return dtype, dtype.name


def decode_shape(obj) -> tuple[int, ...]:
    if type(obj) is not list or len(obj) > 32:
        raise ValueError("bad shape")
    shape = tuple(obj)
    for s in shape:  # exact ints only (the JSON parser makes no subclasses; bool is not one)
        if type(s) is not int or s < 0 or s > 1 << 62:
            raise ValueError("bad shape")
    return shape


def decode_array(obj) -> tuple[np.ndarray, str]:
    """A learner's array as floats for comparison, and the name of the dtype it had."""
    dtype, name = numeric_dtype(_str(obj.get("__nd__"), 20))
    shape = decode_shape(obj.get("shape"))
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError("bad shape")
    text = obj.get("data")
    if type(text) is not str or len(text) > 16 * MAX_ELEMENTS or not text.isascii():
        raise ValueError("bad data")
    data = binascii.a2b_base64(text, **_STRICT_BASE64)
    return np.asarray(np.frombuffer(data, dtype=dtype).reshape(shape), dtype=float), name


def decode_value(obj, depth: int = 0) -> Value:
    """A described return value (see worker.describe); anything malformed is an unreadable value."""
    if not isinstance(obj, dict) or depth > MAX_DEPTH:
        return UNREADABLE
    kind, type_name = _str(obj.get("kind"), 20), _str(obj.get("type"), 120) or "?"
    try:
        if kind == "ndarray":
            arr, dtype_name = decode_array(obj)
            return Value("ndarray", type_name, arr, dtype_name)
        if kind == "array_meta":
            return Value("ndarray", type_name, None, _str(obj.get("dtype"), 40) or "?",
                         meta_shape=decode_shape(obj.get("shape")))
        if kind == "scalar":
            number = obj.get("value")
            arr = np.array(float(number)) if isinstance(number, (int, float)) and not isinstance(number, bool) else None
            return Value("scalar", type_name, arr, None)
        if kind == "sequence":
            raw = obj.get("items")
            if not isinstance(raw, list):
                return UNREADABLE
            items = [decode_value(i, depth + 1) for i in raw[:MAX_ELEMENTS]]
            return Value("sequence", type_name, _sequence_array(items), None, _sequence_text(type_name, items),
                         tuple(items))
        if kind == "none":
            return Value("none", "NoneType", text="None")
    except (ValueError, TypeError, OverflowError, binascii.Error):
        return UNREADABLE
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
    bases = obj.get("bases") if isinstance(obj.get("bases"), list) else []
    return ErrorInfo(_str(obj.get("type"), 120) or "Exception", _str(obj.get("message")),
                     _str(obj.get("traceback"), 4000), _int(obj.get("lineno")),
                     obj.get("is_memory") is True, tuple(_str(b, 120) for b in bases[:8]), obj.get("is_exit") is True)


def decode_outcome(raw, parameters: tuple[str, ...]) -> Outcome:
    """One raw result from the learner's process, checked field by field: it is whatever the learner's
    process chose to send, so nothing in it is trusted."""
    if not isinstance(raw, dict):
        return NOT_RUN
    if raw.get("kind") == "raised":
        return Outcome("raised", error=decode_error(raw.get("error")))
    if raw.get("kind") == "returned":
        mutated = raw.get("mutated") if isinstance(raw.get("mutated"), list) else []
        return Outcome("returned", value=decode_value(raw.get("value")),
                       mutated=tuple(m for m in mutated if isinstance(m, str) and m in parameters))
    return Outcome("returned", value=UNREADABLE)


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
