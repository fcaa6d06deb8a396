"""Reading what a learner submitted: a .py file, a notebook, or a folder holding one of them.

Reading never follows a symbolic link (the submission itself, or anything inside a submitted folder: a
link to the hidden reference is not the learner's work), never opens a FIFO or a device, and never reads
more than the size limit. Every problem is a SubmissionError with one line of explanation.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".py", ".ipynb")
MAX_SOURCE_BYTES = 1_000_000  # a .py file, and the code extracted from a notebook
MAX_NOTEBOOK_BYTES = 20 * 2**20  # a raw .ipynb file (outputs and images included); refused unparsed beyond
MAX_FOLDER_ENTRIES = 10_000  # files and folders looked at inside one submitted folder
# Left by operating systems and tools, never a learner's work (besides names starting with a dot).
JUNK_NAMES = frozenset({"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db"})
_MAX_INT_DIGITS = 100  # a notebook's numbers are counts and versions

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_LINK_ERRNOS = {errno.ELOOP, errno.EMLINK, getattr(errno, "EFTYPE", errno.ELOOP)}  # Linux, FreeBSD, NetBSD


class SubmissionError(ValueError):
    """The submission cannot be read at all (missing, not a file we grade, broken notebook)."""


class NotARegularFile(SubmissionError):
    """The submission is a symbolic link, a FIFO, a device or a socket: it is not read."""


class SubmissionTooLarge(SubmissionError):
    """The file (or the code extracted from a notebook) is larger than `limit` bytes; `size` is its size."""

    def __init__(self, file, size: int, limit: int):
        self.file, self.size, self.limit = file, size, limit
        super().__init__(f"{file}: too large to grade ({size} bytes; the limit is {limit} bytes)")

    def __reduce__(self):
        return type(self), (self.file, self.size, self.limit)


@dataclass(frozen=True)
class Submission:
    path: Path
    source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


def is_junk(name: str) -> bool:
    """Hidden files and tool/OS leftovers: never a submission."""
    return name in JUNK_NAMES or name.startswith(".")


def _not_regular(path: Path, mode: int) -> NotARegularFile:
    what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
    return NotARegularFile(f"{path.name} is {what}; submit the file itself")


def resolve(path: Path, preferred_stem: str | None = None) -> Path:
    """The file to grade: the path itself, or the one solution file inside a folder. Symbolic links (the
    path itself or inside the folder) are never followed; hidden files and tool leftovers in a folder are
    ignored."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise SubmissionError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISREG(mode):
        if path.suffix not in SUFFIXES:
            raise SubmissionError(f"{path}: not a .py or .ipynb file")
        return path
    if not stat.S_ISDIR(mode):
        raise _not_regular(path, mode)
    candidates, links = _walk(path)
    if preferred_stem:
        preferred = [p for p in candidates if p.stem == preferred_stem]
        if preferred:
            return preferred[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        note = ""
        if links:
            note = f" (symbolic links are not followed: {', '.join(str(p.relative_to(path)) for p in links[:5])})"
        raise SubmissionError(f"{path}: a directory with no .py or .ipynb file in it{note}")
    names = ", ".join(str(p.relative_to(path)) for p in candidates[:5])
    raise SubmissionError(f"{path}: a directory with several candidate files ({names}); name one")


def _walk(root: Path) -> tuple[list[Path], list[Path]]:
    """The .py/.ipynb regular files under root (sorted), and the .py/.ipynb symbolic links seen (not
    followed). No recursion, no link followed, at most MAX_FOLDER_ENTRIES entries looked at."""
    candidates, links, stack, seen = [], [], [root], 0
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    seen += 1
                    if seen > MAX_FOLDER_ENTRIES:
                        raise SubmissionError(f"{root}: a directory with more than {MAX_FOLDER_ENTRIES} files "
                                              "and folders in it; submit the exercise file itself")
                    if is_junk(entry.name):
                        continue
                    path = Path(entry.path)
                    if entry.is_symlink():
                        if path.suffix in SUFFIXES:
                            links.append(path)
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append(path)
                    elif entry.is_file(follow_symlinks=False) and path.suffix in SUFFIXES:
                        candidates.append(path)
        except OSError as exc:
            raise SubmissionError(f"{folder}: cannot be read ({exc.strerror})") from None
    return sorted(candidates), sorted(links)


def read_limited(file: Path, limit: int) -> bytes:
    """The bytes of a regular file, opened without following a symbolic link and never read beyond `limit`
    bytes: SubmissionTooLarge (unread) when it has more, NotARegularFile for a link, FIFO, device or socket."""
    try:
        fd = os.open(file, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS and os.path.islink(file):  # O_NOFOLLOW met a link
            raise _not_regular(Path(file), stat.S_IFLNK) from None
        raise SubmissionError(f"{file}: cannot be read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(Path(file), st.st_mode)
        if st.st_size > limit:
            raise SubmissionTooLarge(file, st.st_size, limit)
        chunks, remaining = [], limit
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        size = os.fstat(fd).st_size
        if size > limit:  # it grew while being read
            raise SubmissionTooLarge(file, size, limit)
        return b"".join(chunks)
    except OSError as exc:
        raise SubmissionError(f"{file}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def load(path: Path, preferred_stem: str | None = None) -> Submission:
    """The source to grade. SubmissionError (NotARegularFile, SubmissionTooLarge) when there is none."""
    file = resolve(Path(path), preferred_stem)
    if file.suffix == ".ipynb":
        return Submission(file, notebook_source(read_limited(file, MAX_NOTEBOOK_BYTES), file))
    return Submission(file, read_limited(file, MAX_SOURCE_BYTES).decode("utf-8", errors="replace"))


class _LongNumber(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise _LongNumber(text)
    return int(text)


def notebook_source(raw: bytes, file: Path) -> str:
    """Code cells in order; IPython magics (%, %%) and shell escapes (!) are dropped. Anything that is not
    a notebook (bad JSON, nesting too deep, numbers too long, cells that are not objects, sources that are
    not text, lone surrogates) is a SubmissionError; so is code longer than MAX_SOURCE_BYTES."""
    def invalid(why: str) -> SubmissionError:
        return SubmissionError(f"{file}: not a valid notebook ({why})")

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid(f"not UTF-8 text: byte {exc.start}") from None
    try:
        notebook = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise invalid(f"not JSON: {str(exc).splitlines()[0]}") from None
    except _LongNumber as exc:
        raise invalid(f"a number with {len(str(exc))} digits") from None
    except RecursionError:
        raise invalid("nested too deeply") from None
    except ValueError as exc:
        raise invalid(f"not JSON: {(str(exc).splitlines() or [''])[0][:200]}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise invalid("no list of cells")
    parts = []
    for number, cell in enumerate(notebook["cells"], 1):
        if not isinstance(cell, dict):
            raise invalid(f"cell {number} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            if not all(isinstance(s, str) for s in source):
                raise invalid(f"cell {number} has a source line that is not text")
            source = "".join(source)
        if not isinstance(source, str):
            raise invalid(f"cell {number} has no source text")
        try:
            source.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise invalid(f"cell {number} contains a lone surrogate, {source[exc.start]!r}") from None
        if source.lstrip().startswith("%%"):
            continue
        lines = [("pass  # " + line.strip()) if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        parts.append(f"# --- notebook cell {number}\n" + "\n".join(lines))
    source = "\n\n".join(parts) + "\n"
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise SubmissionTooLarge(file, size, MAX_SOURCE_BYTES)
    return source
