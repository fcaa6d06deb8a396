"""Learner release: `python -m graders release OUT_DIR` writes what learners get, and nothing else.

OUT_DIR/
  exercises/<name>/   every registered exercise's folder: stub, README.md, public tests (and conftest.py)
  requirements.txt    numpy, hypothesis, pytest
  pytest.ini          so that a bare `pytest` runs exercises/
  README.md           how to self-check and how to submit

Never solutions/, graders/, caches or dot-files. As a last guard the release is refused if a copied file
contains a line of a hidden reference in solutions/ (e.g. a solution pasted into a stub by mistake).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from graders import exercises
from graders.engine.kind import REPO_ROOT, Exercise

REQUIREMENTS = ("numpy>=1.24", "hypothesis>=6.80", "pytest>=7.4")  # as in pyproject.toml (a test checks it)
WRITTEN = ("exercises", "requirements.txt", "pytest.ini", "README.md")  # what --force replaces
FORBIDDEN = ("solutions", "graders")  # never next to a release, even with --force
SKIPPED_PARTS = ("__pycache__", ".hypothesis", ".pytest_cache", ".ipynb_checkpoints")
MIN_LEAK_LENGTH = 16  # shorter reference lines (`return y`) may legitimately appear in a stub

PYTEST_INI = "[pytest]\ntestpaths = exercises\n"


def register(subparsers, add_sandbox_options) -> None:
    p = subparsers.add_parser("release", help="write the learners' release: exercises, requirements.txt, README.md")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty OUT_DIR, replacing a previous release (other files are kept)")
    p.set_defaults(run=cmd_release)


def cmd_release(args) -> int:
    from graders.options import UsageError

    out = Path(args.out_dir)
    try:
        written = release(out, force=args.force)
    except ReleaseError as exc:
        raise UsageError(str(exc)) from None
    items = ", ".join(e.name for e in exercises.all_exercises())
    print(f"wrote {out}: {len(written)} files ({items}); learners run "
          f"`pip install -r requirements.txt && pytest exercises`")
    return 0


class ReleaseError(Exception):
    pass


# ------------------------------------------------------------------------------------------- content
def exercise_folder(exercise: Exercise) -> Path:
    folder = Path(exercise.stub).parent
    if not exercise.stub or folder.parts[:1] != ("exercises",) or len(folder.parts) < 2:
        raise ReleaseError(f"{exercise.name}: its stub {exercise.stub!r} is not in a folder under exercises/")
    return folder


def skipped(rel: Path) -> bool:
    return any(part in SKIPPED_PARTS or part.startswith(".") for part in rel.parts) or rel.suffix == ".pyc"


def release_files() -> dict[str, Path]:
    """Name in the release -> source file, for every file learners get from the kit."""
    files: dict[str, Path] = shared_files()
    for exercise in exercises.all_exercises():
        files.update(exercise_files(exercise))
    return files


def shared_files() -> dict[str, Path]:
    """The files directly in exercises/ (its conftest.py and the public tests' shared helper)."""
    files: dict[str, Path] = {}
    top = REPO_ROOT / "exercises"
    for path in sorted(top.iterdir()) if top.is_dir() else []:
        if path.is_file() and not skipped(path.relative_to(REPO_ROOT)):
            files[path.relative_to(REPO_ROOT).as_posix()] = path
    return files


def exercise_files(exercise: Exercise) -> dict[str, Path]:
    """Name in the release -> source file, for one exercise's folder (stub, README, public tests, ...)."""
    files: dict[str, Path] = {}
    folder = REPO_ROOT / exercise_folder(exercise)
    if not folder.is_dir():
        raise ReleaseError(f"{exercise.name}: {folder} is missing")
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(REPO_ROOT)
        if path.is_file() and not skipped(rel):
            files[rel.as_posix()] = path
    for needed in (exercise.stub, exercise.readme):
        if needed and needed not in files:
            raise ReleaseError(f"{exercise.name}: {needed} is missing from {folder}")
    return files


def readme_text() -> str:
    lines = ["# Exercises", ""]
    for e in exercises.all_exercises():
        folder = exercise_folder(e).as_posix()
        lines.append(f"- **{e.title}** (`{folder}/`): {e.task()} in `{e.stub}`. Start with `{e.readme}`.")
    stub = exercises.all_exercises()[0].stub if exercises.all_exercises() else "the file you edited"
    lines += [
        "",
        "## Self-check",
        "",
        "With Python 3.10 or newer (a virtual environment is a good idea: `python -m venv .venv && . .venv/bin/activate`):",
        "",
        "```sh",
        "pip install -r requirements.txt && pytest exercises",
        "```",
        "",
        "Until you write a function, its exercise's first test fails with \"not implemented yet\" and the others are",
        "skipped; every run ends with one line per exercise (`residual_unit  not started`, later `k/17 passing`). The tests check the worked",
        "examples, the type and shape of the result, that the inputs are left unchanged, and properties that every",
        "correct solution has, on many generated inputs; each failure shows the smallest input it found and a hint.",
        "Passing them is a good sign, not the grade: the autograder compares your function with a hidden reference",
        "on many more inputs, and names the mistake it sees.",
        *(f"\n{note}" for note in dict.fromkeys(e.self_check_note() for e in exercises.all_exercises()) if note),
        "",
        "## Submit",
        "",
        f"Submit one file per exercise: the file you edited (for example `{stub}`),",
        "or a Jupyter notebook (`.ipynb`) that defines the same function; any file name works. Upload it where your",
        "instructor tells you (for example to the Gradescope assignment); you get your score and feedback back.",
        "",
    ]
    return "\n".join(lines)


def requirements_text() -> str:
    return "\n".join(REQUIREMENTS) + "\n"


# ------------------------------------------------------------------------------------------- guard
def reference_lines(text: str) -> set[str]:
    """The lines of a reference that would give its solution away: code, not blank lines, imports,
    comments, docstrings or `def` lines."""
    out, in_doc = set(), None
    for raw in text.splitlines():
        line = raw.strip()
        if in_doc:
            if in_doc in line:
                in_doc = None
            continue
        quote = next((q for q in ('"""', "'''") if line.startswith(q)), None)
        if quote:
            if line.count(quote) < 2 or line == quote:
                in_doc = quote
            continue
        if not line or line.startswith(("#", "import ", "from ", "def ", "async def ", "@")):
            continue
        if len(line) >= MIN_LEAK_LENGTH:
            out.add(line)
    return out


def check_no_leak(files: dict[str, Path]) -> None:
    hidden = {}
    for ref in sorted((REPO_ROOT / "solutions").rglob("*.py")) if (REPO_ROOT / "solutions").is_dir() else []:
        for line in reference_lines(ref.read_text(encoding="utf-8", errors="replace")):
            hidden.setdefault(line, ref.relative_to(REPO_ROOT).as_posix())
    for name, path in files.items():
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip() in hidden:
                raise ReleaseError(f"{name} contains a line of the hidden reference {hidden[line.strip()]} "
                                   f"({line.strip()!r}); refusing to release it")


# ------------------------------------------------------------------------------------------- write
def prepare(out: Path, force: bool) -> None:
    resolved = out.resolve()
    kit = REPO_ROOT.resolve()
    if resolved == kit or resolved in kit.parents:
        raise ReleaseError(f"{out}: is the kit itself or contains it; write the release somewhere else")
    if any(kit / name in (resolved, *resolved.parents) for name in ("exercises", *FORBIDDEN)):
        raise ReleaseError(f"{out}: is inside the kit's exercises/, solutions/ or graders/; write the release "
                           "somewhere else")
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out}: exists and is not a directory")
    if not out.is_dir():
        return
    present = sorted(p.name for p in out.iterdir())
    if not present:
        return
    if not force:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise ReleaseError(f"{out}: not empty ({shown}); use --force to replace a previous release")
    bad = [name for name in present if name in FORBIDDEN]
    if bad:
        raise ReleaseError(f"{out}: contains {', '.join(bad)}/, which learners must never get; "
                           "release into another directory")
    for name in WRITTEN:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def release(out: Path, *, force: bool = False) -> list[str]:
    files = release_files()
    check_no_leak(files)
    prepare(out, force)
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, source in files.items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(name)
        for name, text in (("requirements.txt", requirements_text()), ("pytest.ini", PYTEST_INI),
                           ("README.md", readme_text())):
            (out / name).write_text(text, encoding="utf-8")
            written.append(name)
    except OSError as exc:
        raise ReleaseError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return written
