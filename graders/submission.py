"""Reading what a learner submitted: a .py file, a notebook, or a folder holding one of them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".py", ".ipynb")


class SubmissionError(ValueError):
    """The submission cannot be read at all (missing, not a file we grade, broken notebook)."""


@dataclass(frozen=True)
class Submission:
    path: Path
    source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


def resolve(path: Path, preferred_stem: str | None = None) -> Path:
    """The file to grade: the path itself, or the one solution file inside a folder."""
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix not in SUFFIXES:
            raise SubmissionError(f"{path}: not a .py or .ipynb file")
        return path
    candidates = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                        and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts)
    if preferred_stem:
        preferred = [p for p in candidates if p.stem == preferred_stem]
        if preferred:
            return preferred[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SubmissionError(f"{path}: a directory with no .py or .ipynb file in it")
    names = ", ".join(str(p.relative_to(path)) for p in candidates[:5])
    raise SubmissionError(f"{path}: a directory with several candidate files ({names}); name one")


def load(path: Path, preferred_stem: str | None = None) -> Submission:
    file = resolve(Path(path), preferred_stem)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"{file}: cannot be read ({exc.strerror})") from None
    if file.suffix == ".ipynb":
        return Submission(file, notebook_source(raw, file))
    return Submission(file, raw.decode("utf-8", errors="replace"))


def notebook_source(raw: bytes, file: Path) -> str:
    """Code cells in order; IPython magics (%, %%) and shell escapes (!) are dropped."""
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(f"{file}: not a valid notebook (not JSON: {str(exc).splitlines()[0]})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{file}: not a valid notebook (no list of cells)")
    parts = []
    for number, cell in enumerate(notebook["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise SubmissionError(f"{file}: not a valid notebook (cell {number} has no source text)")
        if source.lstrip().startswith("%%"):
            continue
        lines = [("pass  # " + line.strip()) if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        parts.append(f"# --- notebook cell {number}\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"
