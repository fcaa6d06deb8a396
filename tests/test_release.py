"""The learners' release (`python -m graders release OUT_DIR`): exactly what learners get, no hidden code, and
its public tests work in a fresh environment with only requirements.txt installed."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from graders import exercises
from graders import release as release_module
from tests.conftest import MINIMAL_REQUIREMENTS, REPO

SOLUTIONS = sorted((REPO / "solutions").rglob("*.py"))


def reference_lines(text: str) -> list[str]:
    """The non-trivial lines of a reference file, stripped: no blank lines, imports, comments, docstrings,
    decorators or `def` signatures."""
    tree = ast.parse(text)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                skip.update(range(first.lineno, first.end_lineno + 1))
            if not isinstance(node, ast.Module):
                skip.update(range(node.lineno, body[0].lineno))  # decorators are before node.lineno
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if number in skip or not line or line.startswith(("#", "@", "import ", "from ")):
            continue
        out.append(line)
    return out


def gradekit(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def assert_one_line_error(result, fragment):
    assert result.returncode == 2, result
    assert result.stderr.startswith("gradekit: error: ") and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "learners"
    result = gradekit("release", str(out))
    assert result.returncode == 0, result.stderr
    return out


def released_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------ contents
def test_release_holds_the_exercises_and_nothing_hidden(released):
    assert sorted(p.name for p in released.iterdir()) == ["README.md", "exercises", "pytest.ini", "requirements.txt"]
    for exercise in exercises.all_exercises():
        folder = REPO / Path(exercise.stub).parent
        expected = sorted(p.relative_to(REPO).as_posix() for p in folder.rglob("*")
                          if p.is_file() and "__pycache__" not in p.parts and ".hypothesis" not in p.parts)
        got = sorted(p.relative_to(released).as_posix() for p in (released / Path(exercise.stub).parent).rglob("*")
                     if p.is_file())
        assert got == expected
        for needed in (exercise.stub, exercise.readme):
            assert (released / needed).read_bytes() == (REPO / needed).read_bytes()
        assert any(p.name.startswith("test_") for p in (released / Path(exercise.stub).parent).iterdir())
    parts = {part for p in released.rglob("*") for part in p.relative_to(released).parts}
    assert not parts & {"solutions", "graders", "__pycache__", ".hypothesis", ".pytest_cache", "tests"}
    requirements = (released / "requirements.txt").read_text().split()
    assert sorted(r.split(">=")[0] for r in requirements) == ["hypothesis", "numpy", "pytest"]
    readme = (released / "README.md").read_text()
    assert "pip install -r requirements.txt && pytest exercises" in readme
    assert "Submit" in readme and ".ipynb" in readme


def test_no_line_of_any_reference_is_released(released):
    hidden = {line: ref.name for ref in SOLUTIONS for line in reference_lines(ref.read_text())}
    assert "hidden = np.maximum(0.0, np.asarray(w1, dtype=float) @ x)" in hidden  # the scan is not vacuous
    assert not [line for line in hidden if line.startswith(('"""', "def ", "import "))]
    for path in released_files(released):
        text = path.read_text(encoding="utf-8", errors="replace")
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{path.relative_to(released)} contains reference lines {leaked}"


def test_release_refuses_a_stub_holding_reference_code(tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    shutil.copytree(REPO / "exercises", kit / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "solutions", kit / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    exercise = exercises.get("residual_unit")
    line = "    hidden = np.maximum(0.0, np.asarray(w1, dtype=float) @ x)\n"
    with (kit / exercise.stub).open("a") as fh:
        fh.write(line)
    monkeypatch.setattr(release_module, "REPO_ROOT", kit)
    with pytest.raises(release_module.ReleaseError, match="hidden reference"):
        release_module.release(tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------ OUT_DIR rules
def test_refuses_a_non_empty_directory_unless_forced(tmp_path):
    out = tmp_path / "learners"
    (out / "exercises" / "old").mkdir(parents=True)
    (out / "exercises" / "old" / "stale.py").write_text("x = 1\n")
    (out / ".git").mkdir()
    (out / "NOTES.md").write_text("mine\n")
    assert_one_line_error(gradekit("release", str(out)), "not empty")
    assert (out / "exercises" / "old" / "stale.py").exists()
    result = gradekit("release", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "exercises" / "old").exists()  # a previous release is replaced...
    assert (out / ".git").is_dir() and (out / "NOTES.md").read_text() == "mine\n"  # ...other files are kept
    assert (out / "exercises" / "residual_unit" / "residual_unit.py").is_file()


def test_refuses_unsafe_targets(tmp_path):
    (tmp_path / "with_solutions" / "solutions").mkdir(parents=True)
    assert_one_line_error(gradekit("release", str(tmp_path / "with_solutions"), "--force"), "solutions/")
    assert_one_line_error(gradekit("release", str(REPO), "--force"), "the kit itself")
    assert_one_line_error(gradekit("release", str(REPO / "exercises" / "out")), "inside the kit")
    (tmp_path / "file").write_text("")
    assert_one_line_error(gradekit("release", str(tmp_path / "file"), "--force"), "not a directory")


# ------------------------------------------------------------------------------------------ a learner's venv
@pytest.fixture(scope="module")
def learner_venv(released, minimal_venv) -> Path:
    """A virtual environment with only the release's requirements installed (the session's minimal venv)."""
    wanted = sorted(line.split(">")[0].split("=")[0].strip() for line in
                    (released / "requirements.txt").read_text().splitlines() if line.strip())
    assert wanted == sorted(MINIMAL_REQUIREMENTS)
    return minimal_venv / "bin" / "python"


def run_public_tests(python: Path, tree: Path, home: Path) -> tuple[subprocess.CompletedProcess, ET.Element]:
    report = home / "junit.xml"
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    result = subprocess.run([str(python), "-I", "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider",
                             f"--junitxml={report}"], cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    return result, ET.parse(report).getroot()


@pytest.mark.slow
def test_public_tests_run_with_only_the_requirements(learner_venv, released, tmp_path):
    python = learner_venv
    check = subprocess.run([str(python), "-I", "-c", "import numpy, hypothesis, pytest\nimport graders"],
                           capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert "No module named 'graders'" in check.stderr  # the venv is clean: the kit is not importable

    tree = tmp_path / "learner"
    shutil.copytree(released, tree)
    result, junit = run_public_tests(python, tree, tmp_path)
    cases = junit.findall(".//testcase")
    assert result.returncode == 1, result.stdout[-3000:]  # tests failed; 2+ would be an error or interruption
    assert cases and not junit.findall(".//error")
    failed = [case for case in cases if case.findall("failure")]
    # an untouched stub: one failure per exercise that says what to edit, the rest of its tests skipped
    assert len(failed) == len(exercises.all_exercises())
    assert len(failed) + len(junit.findall(".//skipped")) == len(cases)
    for case in failed:
        message = case.findall("failure")[0].get("message", "")
        assert "not implemented yet" in message or "not answered yet" in message, ET.tostring(case)[:500]

    for exercise in exercises.all_exercises():  # the reference in place of each stub: everything passes
        shutil.copyfile(REPO / exercise.reference, tree / exercise.stub)
    result, junit = run_public_tests(python, tree, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(junit.findall(".//testcase")) == len(cases) and not junit.findall(".//failure")
