"""Exercise authoring (issue 10): a sixth exercise made in a copy of the kit with `graders new` and edits to
the files it writes passes `graders check`; each planted defect makes `graders check` exit 1 naming it; a
wrong declaration is one line naming the exercise and the field; the quiz regrades when its answer key
changes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graders.authoring import CaseSet, Example, ExerciseError, FunctionExercise, agreement, loads, mistake, strategies
from tests.conftest import REPO

IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", ".pytest_cache", "*.egg-info", "out")

# The toy exercise an instructor writes over what `graders new toy --function relu_scale --params x,a` wrote:
# y = ReLU(a * x), with two misconceptions.
TOY_MODEL = '''import numpy as np


def model(x, a, *, relu=True, scale_sign=1.0):
    y = scale_sign * np.asarray(a, dtype=float) * np.asarray(x, dtype=float)
    return np.maximum(0.0, y) if relu else y
'''
TOY_SOLUTION = '''import numpy as np


def relu_scale(x, a):
    """y = ReLU(a * x)."""
    return np.maximum(0.0, np.asarray(a, dtype=float) * np.asarray(x, dtype=float))
'''
TOY_CATALOG = '''CATALOG = (
    mistake("missing_relu", "Apply ReLU to a * x: the result is never negative.", detail="you return a * x",
            relu=False),
    mistake("negated_scale", "Scale by a, not by -a.", detail="you multiply by -a", scale_sign=-1.0),
)
'''
TOY_EXAMPLES = ((([1.0, -2.0], [2.0, 2.0]), [2.0, 0.0]), (([3.0, 1.0], [-1.0, 0.5]), [0.0, 0.5]))


def kit_copy(tmp_path: Path) -> Path:
    root = tmp_path / "kit"
    shutil.copytree(REPO, root, ignore=IGNORED)
    return root


def run(root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def write_toy(root: Path) -> None:
    """The instructor's edits to the generated files."""
    grader = root / "graders" / "exercises" / "toy"
    (grader / "model.py").write_text(TOY_MODEL)
    (root / "solutions" / "toy.py").write_text(TOY_SOLUTION)
    init = grader / "__init__.py"
    text = init.read_text()
    text = re.sub(r"CATALOG = \(.*?\n\)\n", TOY_CATALOG, text, count=1, flags=re.S)
    examples = "\n".join(f"        Example((np.array({x}), np.array({a})), np.array({y}))," for (x, a), y in TOY_EXAMPLES)
    text = re.sub(r"(examples=\(.*?\n)(.*?)(\n    \),)", lambda m: m.group(1) + examples + m.group(3), text, count=1,
                  flags=re.S)
    init.write_text(text)
    readme = root / "exercises" / "toy" / "README.md"
    blocks = "\n\n".join(f"### Example {i + 1}\n\n```\nx = {x}\na = {a}\nexpected output: {y}\n```"
                         for i, ((x, a), y) in enumerate(TOY_EXAMPLES))
    text = readme.read_text()
    readme.write_text(re.sub(r"## Worked examples\n.*?\n## Self-check", f"## Worked examples\n\n{blocks}\n\n## Self-check",
                             text, flags=re.S).replace("y = x + a", "y = ReLU(a * x)"))
    tests = root / "exercises" / "toy" / "test_toy.py"
    text = tests.read_text()
    rows = "\n".join(f"    ({(x, a)!r}, {y!r})," for (x, a), y in TOY_EXAMPLES)
    tests.write_text(re.sub(r"EXAMPLES = \[.*?\n\]", f"EXAMPLES = [\n{rows}\n]", text, count=1, flags=re.S))


@pytest.fixture(scope="module")
def toy_kit(tmp_path_factory) -> Path:
    root = kit_copy(tmp_path_factory.mktemp("authoring"))
    done = run(root, "new", "toy", "--function", "relu_scale", "--params", "x,a", "--title", "ReLU of a scaled input")
    assert done.returncode == 0, done.stderr
    assert "wrote graders/exercises/toy/__init__.py" in done.stdout
    write_toy(root)
    return root


def check(root: Path) -> tuple[int, str, dict]:
    done = run(root, "check", "toy", "--json")
    data = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    failing = {s["step"]: s["detail"] for e in data.get("exercises", []) for s in e["steps"] if not s["ok"]}
    return done.returncode, done.stdout + done.stderr, failing


@pytest.mark.slow
def test_a_new_exercise_from_the_scaffold_passes_check(toy_kit):
    code, out, failing = check(toy_kit)
    assert code == 0 and failing == {}, out
    listed = run(toy_kit, "list", "--json")
    assert "toy" in [e["name"] for e in json.loads(listed.stdout)]


def planted(toy_kit: Path, tmp_path: Path) -> Path:
    root = tmp_path / "planted"
    shutil.copytree(toy_kit, root, ignore=IGNORED)
    return root


PLANTS = {
    "catalog form equal to the reference": (
        lambda root: edit(root / "graders/exercises/toy/__init__.py", 'scale_sign=-1.0),',
                          'scale_sign=-1.0),\n    mistake("no_op", "-", detail="-", scale_sign=1.0),'),
        "forms distinguishable", "no_op gives the reference's outputs"),
    "two indistinguishable forms": (
        lambda root: edit(root / "graders/exercises/toy/__init__.py", 'scale_sign=-1.0),',
                          'scale_sign=-1.0),\n    mistake("twice_negated", "-", detail="-", scale_sign=-1.0000000000000002),'),
        "forms distinguishable", "negated_scale and twice_negated give the same outputs"),
    "a README example with a wrong output": (
        lambda root: edit(root / "exercises/toy/README.md", "expected output: [0.0, 0.5]", "expected output: [0.0, 0.7]"),
        "README examples", "example 2 states [0.0, 0.7]"),
    "a stub that returns the right answer": (
        lambda root: (root / "exercises/toy/toy.py").write_text(TOY_SOLUTION),
        "stub zero, no crash", "the stub must earn nothing"),
    "public tests that pass on a catalog form": (
        lambda root: edit(root / "exercises/toy/test_toy.py", "(([1.0, -2.0], [2.0, 2.0]), [2.0, 0.0]),\n"
                          "    (([3.0, 1.0], [-1.0, 0.5]), [0.0, 0.5]),", "(([1.0, 2.0], [2.0, 2.0]), [2.0, 4.0]),\n"
                          "    (([3.0, 1.0], [1.0, 0.5]), [3.0, 0.5]),"),  # only inputs where the ReLU changes nothing
        "public tests", "no public test fails on missing_relu"),
}


@pytest.mark.slow
@pytest.mark.parametrize("defect", list(PLANTS))
def test_each_planted_defect_fails_check_naming_it(toy_kit, tmp_path, defect):
    plant, step, words = PLANTS[defect]
    root = planted(toy_kit, tmp_path)
    plant(root)
    code, out, failing = check(root)
    assert code == 1, out
    assert step in failing and words in failing[step], failing


def test_graders_new_refuses_an_existing_or_invalid_name(tmp_path):
    root = kit_copy(tmp_path)
    for args, words in ((["residual_unit"], "already exists"), (["Bad-Name"], "not a valid exercise name"),
                        (["fine", "--function", "class"], "not a valid Python identifier"),
                        (["fine2", "--params", "x,x"], "distinct Python identifiers")):
        full = [*args, *(["--function", "f"] if "--function" not in args else []),
                *(["--params", "x"] if "--params" not in args else [])]
        done = run(root, "new", *full)
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (root / "graders" / "exercises" / "fine").exists()


# --------------------------------------------------------------------------------- declaration errors
def declare(**changes):
    """A small valid exercise, with ``changes`` to its declaration (declared in this module: its checks are
    the built-ins registered just before)."""
    loads()
    agreement("general", points=2)
    fields = dict(name="toy_inline", title="toy", function="relu_scale", parameters=("x", "a"),
                  dims={"x": ("n",), "a": ("n",)}, output_dims=("n",),
                  examples=(Example((np.array([1.0, -2.0]), np.array([2.0, 2.0])), np.array([2.0, 0.0])),),
                  case_sets=(CaseSet("general", strategies.array(2).map(lambda v: (v, v)), 5, "pairs"),),
                  catalog=(mistake("missing_relu", "hint", relu=False),), model=TOY_MODEL_FN, seed=1)
    fields.update(changes)
    return FunctionExercise(**fields)


def TOY_MODEL_FN(x, a, *, relu=True, scale_sign=1.0):  # noqa: N802 - a model function, named as a constant
    y = scale_sign * np.asarray(a, dtype=float) * np.asarray(x, dtype=float)
    return np.maximum(0.0, y) if relu else y


@pytest.mark.parametrize("changes, field, words", [
    ({"catalog": (mistake("typo", "hint", rleu=False),)}, "catalog['typo'].typo", "accepts no keyword ['rleu']"),
    ({"catalog": (mistake("a", "hint", relu=False), mistake("a", "hint", scale_sign=-1.0))}, "catalog",
     "duplicate codes ['a']"),
    ({"catalog": (mistake("timeout", "hint", relu=False),)}, "catalog", "the engine's own"),
    ({"case_sets": (CaseSet("other", strategies.array(2).map(lambda v: (v, v)), 5, "pairs"),)},
     "checks['matches_reference_general']", "unknown case set 'general'"),
    ({"case_sets": (CaseSet("general", strategies.array(2).map(lambda v: (v, v)), 0, "pairs"),)},
     "case_sets['general'].count", "positive int"),
    ({"dims": {"x": ("n",), "b": ("n",)}}, "dims", "names no parameter ['b']"),
    ({"examples": (Example((np.array([1.0]),), np.array([1.0])),)}, "examples[0]", "1 arguments for 2 parameters"),
])
def test_a_wrong_declaration_is_one_line_naming_exercise_and_field(changes, field, words):
    with pytest.raises(ExerciseError) as error:
        declare(**changes)
    message = str(error.value)
    assert message.startswith(f"exercise toy_inline: {field}: ") and words in message and "\n" not in message


def test_non_positive_points_are_refused():
    with pytest.raises(ValueError, match="points must be a positive int"):
        agreement("general", points=0)


@pytest.fixture
def reference_file(tmp_path):
    path = tmp_path / "toy_reference.py"
    path.write_text(TOY_SOLUTION)
    return str(path)


@pytest.mark.parametrize("changes, field, words", [
    ({"examples": (Example((np.array([1.0, -2.0]), np.array([2.0, 2.0])), np.array([2.0, 1.0])),)},
     "examples[0].expected", "states [2.0, 1.0] but the reference gives [2.0, 0.0]"),
    ({"model": lambda x, a, *, relu=True: np.asarray(a) * np.asarray(x)}, "model", "disagrees with the reference"),
])
def test_what_needs_the_reference_is_checked_before_grading(reference_file, changes, field, words):
    exercise = declare(reference=reference_file, **changes)
    with pytest.raises(ExerciseError) as error:
        exercise.validate()
    assert str(error.value).startswith(f"exercise toy_inline: {field}: ") and words in str(error.value)


# --------------------------------------------------------------------------------------- regrading
@pytest.mark.slow
def test_the_quiz_regrades_when_its_answer_key_changes(tmp_path):
    """The batch fingerprint covers the quiz's own package: fixing the answer key regrades (it did not when
    the fingerprint hashed the engine's quiz module instead)."""
    root = kit_copy(tmp_path)
    learners = tmp_path / "class"
    learners.mkdir()
    reference = (root / "solutions" / "resnet_concepts.py").read_text()
    (learners / "ann.py").write_text(reference)
    out = tmp_path / "out"
    first = run(root, "batch", str(learners), "--exercise", "resnet_concepts", "--out", str(out))
    assert first.returncode == 0 and "graded 1" in first.stdout, first.stderr
    again = run(root, "batch", str(learners), "--exercise", "resnet_concepts", "--out", str(out))
    assert "graded 0, unchanged 1" in again.stdout
    quiz = root / "graders" / "exercises" / "resnet_concepts" / "__init__.py"
    edit(quiz, "expected=(32, 64, 64, 64),", "expected=(32, 64, 64, 63),")  # the key of Q2 changes
    fixed = run(root, "batch", str(learners), "--exercise", "resnet_concepts", "--out", str(out))
    assert fixed.returncode == 0 and "graded 1, unchanged 0" in fixed.stdout, fixed.stdout + fixed.stderr
    result = json.loads((out / "results" / "ann.json").read_text())
    assert result["score"] < result["max_score"]
