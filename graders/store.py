"""Where a batch keeps what it graded: learner identity <-> file key, and the results store itself.

Learner identity <-> file key: the name of a learner's files in a batch output directory.

A learner's identity is the name of their entry in the class directory (`李雷.py` -> `李雷`), as Python
reads it (undecodable bytes as surrogate escapes). Its key names results/<key>.json and
feedback/<key>.md|.html. The mapping is one-to-one and reversible, and two different identities never get
keys that differ only in case, so no file system (case-insensitive ones included) can merge two learners:

- `a`-`z`, `0`-`9`, `_` and `-` stay as they are, and so does `.` when it is not the first character;
- an upper-case ASCII letter X is written `^x` (`Alice` -> `^alice`);
- every other byte of the identity's UTF-8 encoding is `%XX` with upper-case hex (`%` and `^` included:
  `é` -> `%C3%A9`, a leading `.` -> `%2E`, an undecodable byte 0xFF -> `%FF`).

Keys contain only ASCII and never start with a dot. A key longer than MAX_KEY_BYTES is cut (at a character
of the key, never inside an escape) and ends in `~` and 16 hex digits of the SHA-256 of the identity's
bytes; `~` appears in no other key. Only these pathological names (a file name of over 200 escaped bytes)
rely on a hash, and their key cannot be turned back into the identity: the result file stores it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from graders.submission import SubmissionError, read_limited

if TYPE_CHECKING:
    from graders.engine.kind import Exercise

RESULTS = "results"
UNREADABLE = "unreadable"
GRADER_ERROR = "grader_error"
MAX_RESULT_BYTES = 64 * 2**20  # a saved result is a few kB (output previews are capped): larger is not ours

MAX_KEY_BYTES = 200
HASH_MARK = "~"
HASH_HEX = 16
_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
_HEX = frozenset("0123456789ABCDEF")


def identity_bytes(identity: str) -> bytes:
    """The bytes of a file name read by Python (surrogate escapes back to the bytes they stand for).
    ValueError for an empty string, or one no file name decodes to (a lone surrogate that is not an escape,
    or escapes of bytes that are valid UTF-8): such a string could share its bytes with another identity."""
    if not isinstance(identity, str) or not identity:
        raise ValueError(f"a learner identity is a non-empty string, not {identity!r}")
    try:
        raw = identity.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ValueError(f"{identity!r} is not a file name (it contains a lone surrogate)") from None
    if raw.decode("utf-8", "surrogateescape") != identity:
        raise ValueError(f"{identity!r} is not a file name (it escapes bytes that are valid UTF-8)")
    return raw


def _tokens(raw: bytes) -> list[str]:
    out = []
    for i, b in enumerate(raw):
        if b in _KEEP or (b == 0x2E and i > 0):
            out.append(chr(b))
        elif 0x41 <= b <= 0x5A:
            out.append("^" + chr(b + 32))
        else:
            out.append(f"%{b:02X}")
    return out


def learner_key(identity: str) -> str:
    """The file key of a learner identity (see the module docstring)."""
    raw = identity_bytes(identity)
    tokens = _tokens(raw)
    key = "".join(tokens)
    if len(key) <= MAX_KEY_BYTES:
        return key
    suffix = HASH_MARK + hashlib.sha256(raw).hexdigest()[:HASH_HEX]
    room, kept = MAX_KEY_BYTES - len(suffix), []
    for token in tokens:
        if len(token) > room:
            break
        kept.append(token)
        room -= len(token)
    return "".join(kept) + suffix


def learner_from_key(key: str) -> str:
    """The identity a key stands for: the inverse of learner_key. ValueError for a string that learner_key
    never returns, and for a shortened key (ending in `~` and a hash), whose identity only its result file
    knows."""
    if HASH_MARK in key:
        raise ValueError(f"{key!r} is a shortened key: its identity is the `learner` field of its result file")
    raw, i = bytearray(), 0
    while i < len(key):
        c = key[i]
        if c == "%" and len(key) >= i + 3 and set(key[i + 1:i + 3]) <= _HEX:
            raw.append(int(key[i + 1:i + 3], 16))
            i += 3
        elif c == "^" and i + 1 < len(key) and "a" <= key[i + 1] <= "z":
            raw.append(ord(key[i + 1]) - 32)
            i += 2
        elif c.isascii() and (ord(c) in _KEEP or (c == "." and i > 0)):
            raw.append(ord(c))
            i += 1
        else:
            raise ValueError(f"{key!r} is not a learner key (at position {i})")
    identity = bytes(raw).decode("utf-8", "surrogateescape")
    if not identity or learner_key(identity) != key:
        raise ValueError(f"{key!r} is not a learner key (not the canonical form)")
    return identity


def display_name(identity: str) -> str:
    """An identity as text that always encodes as UTF-8 (for grades.csv): an undecodable byte shows as
    `\\xNN`. Exact identities are kept in report.json and the result files."""
    try:
        identity.encode("utf-8")
        return identity
    except UnicodeEncodeError:
        pass
    try:
        return identity.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return identity.encode("utf-8", "backslashreplace").decode("utf-8")


# ------------------------------------------------------------------------------------- the results store
# OUT/results/<key>.json holds each learner's result (with its identity and the content hash of what was
# graded); OUT/feedback/<key>.md|.html what the learner reads. Written atomically, read defensively.
def result_path(out: Path, learner: str) -> Path:
    return Path(out) / RESULTS / f"{learner_key(learner)}.json"


_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_tmp_serial = itertools.count()


def write_atomic(path: Path, text: str) -> None:
    """``text`` (UTF-8) in ``path``, which never holds half of it: written beside it, then renamed over it.
    Readable by the grading user only, like tempfile's files; a batch writes three per learner, so the
    temporary name is made without tempfile's machinery (process id and a serial number, created exclusively)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    while True:
        tmp = f"{path.parent}/.{path.name}.{os.getpid()}.{next(_tmp_serial)}.tmp"
        try:
            fd = os.open(tmp, _TMP_FLAGS, 0o600)
            break
        except FileExistsError:  # left by a killed process that had this id
            continue
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _clear_slot(path: Path) -> None:
    """Make room for a per-learner output file: something that is not a regular file in its place (a
    folder, left by hand or by a broken tool) is removed. A symbolic link is replaced, never followed."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    elif not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
        os.unlink(path)


def write_result(out: Path, data: dict) -> None:
    path = result_path(out, data["learner"])
    _clear_slot(path)
    write_atomic(path, json.dumps(data, separators=(",", ":")))  # compact: the C encoder, a batch writes many

def write_feedback(out: Path, data: dict, visibility=None) -> None:
    """feedback/<key>.md and .html: what the learner reads (written next to the result), as the visibility
    settings let the learner see it now (graders/report/visibility.py)."""
    from graders.report.html import feedback_html
    from graders.report.text import render_text
    from graders.report.visibility import learner_view

    if visibility is not None:
        data = learner_view(data, visibility)

    key = learner_key(data["learner"])
    for suffix, text in ((".md", render_text(data, markdown=True)), (".html", feedback_html(data))):
        path = Path(out) / "feedback" / f"{key}{suffix}"
        _clear_slot(path)
        write_atomic(path, text)

def unreadable_result(exercise: Exercise, error: str) -> dict:
    return empty_result(exercise, UNREADABLE, f"Your submission could not be read: {error}")


def grader_error_result(exercise: Exercise, error: str) -> dict:
    return empty_result(exercise, GRADER_ERROR, f"The grader failed on this submission ({error}); ask your instructor.")


def empty_result(exercise: Exercise, code: str, message: str) -> dict:
    return {
        "exercise": exercise.name, "version": exercise.version, "submission": "", "score": 0,
        "max_score": exercise.max_score, "diagnoses": [code],
        "diagnosis_details": [{"code": code, "message": message, "detail": ""}],
        "checks": [{"name": c.name, "label": c.label, "score": 0, "max_score": c.points, "passed": False,
                    "status": "failed" if i == 0 else "skipped", "feedback": message if i == 0 else "", "details": None}
                   for i, c in enumerate(exercise.checks)],
        "counterexample": None, "worst_error": "", "seed": exercise.seed, "cases_digest": "", "generator": "",
        "sandbox": "", "output": {"stdout": "", "stderr": "", "stdout_bytes": 0, "stderr_bytes": 0}, "elapsed": 0.0,
    }

# --------------------------------------------------------------------------------------- saved results
def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text(value, optional: bool = False) -> bool:
    return isinstance(value, str) or (optional and value is None)


def valid_result(data, learner: str) -> bool:
    """Whether `data` is a result this batch wrote for `learner`: the stored identity is the learner's, and
    every field the gradebook and the feedback pages use has its type."""
    if not isinstance(data, dict) or data.get("learner") != learner:
        return False
    if not (_is_text(data.get("content_hash")) and _is_text(data.get("exercise"))
            and _is_number(data.get("score")) and _is_number(data.get("max_score"))):
        return False
    diagnoses, details, checks = data.get("diagnoses"), data.get("diagnosis_details"), data.get("checks")
    if not (isinstance(diagnoses, list) and all(_is_text(d) for d in diagnoses)):
        return False
    if not (isinstance(details, list) and all(
            isinstance(d, dict) and _is_text(d.get("code")) and _is_text(d.get("message"))
            and _is_text(d.get("detail"), optional=True) for d in details)):
        return False
    if not (isinstance(checks, list) and all(
            isinstance(c, dict) and _is_text(c.get("name")) and _is_text(c.get("label")) and _is_text(c.get("status"))
            and _is_number(c.get("score")) and _is_number(c.get("max_score"))
            and _is_text(c.get("feedback"), optional=True) for c in checks)):
        return False
    ce, output = data.get("counterexample"), data.get("output")
    if ce is not None and not (isinstance(ce, dict) and _is_text(ce.get("call"))):
        return False
    if output is not None and not (isinstance(output, dict) and all(
            _is_text(output.get(name), optional=True) and isinstance(output.get(f"{name}_bytes", 0), int)
            for name in ("stdout", "stderr"))):
        return False
    return True


def load_result(out: Path, learner: str) -> dict | None:
    """The saved result of this learner, or None when there is none that can be trusted: missing, not a
    regular file (a folder, a symbolic link: never followed), too large, not JSON (nested too deeply
    included), of the wrong shape, or recorded for another identity."""
    try:
        raw = read_limited(result_path(out, learner), MAX_RESULT_BYTES)
        data = json.loads(raw.decode("utf-8"))
    except (SubmissionError, ValueError, RecursionError):
        return None
    return data if valid_result(data, learner) else None

NO_RESULT = "no result was recorded for this submission"


def iter_result_rows(entries: list, out: Path, exercise: Exercise) -> Iterator[tuple[dict, bool]]:
    """(result, saved) per entry, in entry order, one in memory at a time. A learner without a trustworthy
    saved result (see load_result) still gets a row: a grader_error result (saved is False), which the
    next run retries."""
    for e in entries:
        data = load_result(out, e.learner)
        if data is not None:
            yield data, True
        else:
            data = grader_error_result(exercise, NO_RESULT)
            data.update(learner=e.learner, path=str(e.path), content_hash="")
            yield data, False


def iter_results(entries: list, out: Path, exercise: Exercise) -> Iterator[dict]:
    """Stream one result per entry, in entry order (see iter_result_rows)."""
    for data, _saved in iter_result_rows(entries, out, exercise):
        yield data
