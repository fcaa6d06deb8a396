"""The Gradescope bundle, end to end: build the zip with the CLI, lay it out as Gradescope does (/autograder/source,
/autograder/run_autograder, /autograder/submission), run run_autograder per submission and read results.json.

Each run happens inside an outer bubblewrap that binds the simulated tree at the literal /autograder, has no
network, and sees the rest of the system read-only and none of the repository (so the bundle must be
self-contained). The nested grading sandbox does start in there (host /proc is bound); if it could not, the
runs fall back to GRADEKIT_AUTOGRADER_ROOT without the outer bubblewrap. One run always uses that variable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graders.exercises import get
from graders.gradescope import GRADER_REQUIREMENTS, ROOT_ENV
from tests.conftest import HAS_BWRAP, REPO, SUBMISSIONS
from tests.test_release import reference_lines

EXERCISE = get("residual_unit")
TIME_LIMIT = "2"
NOTEBOOK = {"cells": [{"cell_type": "markdown", "source": ["# My residual unit\n"]},
                      {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n"]},
                      {"cell_type": "code", "source": [(SUBMISSIONS / "mistakes" / "transposed_weights__both.py").read_text()]}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
# name -> files in /autograder/submission
SCENARIOS = {
    "correct": {"my_solution.py": (SUBMISSIONS / "correct" / "einsum.py").read_text()},
    "buggy": {"homework.ipynb": json.dumps(NOTEBOOK)},
    "looping": {"residual_unit.py": (SUBMISSIONS / "hostile" / "loop_in_call.py").read_text(),
                "helpers.py": "def residual_block(x, w1, w2):\n    return x\n"},
    "broken_notebook": {"residual_unit.ipynb": '{"cells": [ {"cell_type": "code", "source": '},
    "nothing": {"answer.txt": "I think it is ReLU(w2 @ ReLU(w1 @ x) + x)\n"},
    "symlink": {"residual_unit.py": "-> /autograder/source/" + EXERCISE.reference},  # "submit" the reference
    "ambiguous": {"a.py": "def residual_block(x, w1, w2):\n    return x\n",
                  "b.py": "def residual_block(x, w1, w2):\n    return 2 * x\n"},
}
ENV_SCENARIO = "correct_env"  # the correct submission again, run directly with GRADEKIT_AUTOGRADER_ROOT
# Without bubblewrap, as root (Gradescope's containers), the learner's code runs as nobody in an empty chroot:
# it cannot reach /autograder/results, and results.json is the grader's, written after the code has stopped.
FALLBACK_SCENARIO = "forge_fallback"
FORGER = """import json
import numpy as np

try:
    with open("/autograder/results/results.json", "w") as f:
        json.dump({"score": 20, "output": "forged", "tests": []}, f)
    open("/autograder/results/FORGED", "w").close()
except OSError:
    pass


def residual_block(x, w1, w2):
    return np.zeros_like(np.asarray(x, dtype=float))
"""
REFERENCE_LINES = reference_lines((REPO / EXERCISE.reference).read_text())


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = subprocess.run([sys.executable, "-m", "graders", "gradescope", "--exercise", EXERCISE.name,
                             "--out", str(out), "--time-limit", TIME_LIMIT],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"set the assignment to {EXERCISE.max_score} points" in result.stdout
    return out


def extract(bundle: Path, root: Path) -> None:
    """What Gradescope does: unzip into /autograder/source (keeping the modes), copy run_autograder up."""
    source = root / "source"
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            target = source / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()


def outer_bwrap(root: Path, home: Path) -> list[str]:
    """Bubblewrap with root at /autograder, no network, the system read-only and the repository hidden."""
    args = ["bwrap", "--die-with-parent", "--unshare-net", "--dev", "/dev", "--bind", "/proc", "/proc",
            "--tmpfs", "/tmp", "--ro-bind", str(home), str(home)]
    for entry in sorted(Path("/").iterdir()):
        if entry.name in ("proc", "dev", "tmp", "sys", "autograder"):
            continue
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry), str(entry)]
        else:
            args += ["--ro-bind", str(entry), str(entry)]
    if not Path(sys.prefix).resolve().is_relative_to(REPO.resolve()):
        args += ["--tmpfs", str(REPO)]  # the bundle must not need the kit
    return args + ["--bind", str(root), "/autograder", "--chdir", "/autograder"]


def clean_env(home: Path) -> dict:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "LANG": "C.UTF-8"}


def build_image(bundle: Path, tmp: Path) -> Path:
    """The last step of setup.sh, as when Gradescope builds the image: draw the cases into ~/.cache/gradekit
    (the package installs before it are not run). Returns that HOME, shared read-only by the runs."""
    root, home = tmp / "image", tmp / "home"
    extract(bundle, root)
    home.mkdir()
    warm = re.search(r'python3 -B -c "([^"]+)"', (root / "source" / "setup.sh").read_text())
    assert warm, "setup.sh no longer pre-draws the cases"
    subprocess.run(["python3", "-B", "-c", warm.group(1)], cwd=root / "source", env=clean_env(home), check=True,
                   timeout=120)
    assert list((home / ".cache" / "gradekit").glob(f"cases-{EXERCISE.name}-*.npz"))
    return home


def outer_bwrap_works(root: Path, home: Path) -> bool:
    """Can we run inside the outer bubblewrap, and does the grading sandbox still start in there?"""
    if not HAS_BWRAP:
        return False
    probe = "from graders.sandbox.launcher import Sandbox\ns = Sandbox().start()\nprint(s.mode)\ns.stop()\n"
    result = subprocess.run([*outer_bwrap(root, home), "--chdir", "/autograder/source", "python3", "-c", probe],
                            env=clean_env(home), capture_output=True, text=True, timeout=60)
    return result.returncode == 0 and result.stdout.strip() == "bwrap"


def run(bundle: Path, root: Path, home: Path, files: dict[str, str], *, outer: bool,
        isolation: str | None = None) -> dict:
    extract(bundle, root)
    if isolation:
        config = root / "source" / "gradekit-autograder.json"
        config.write_text(json.dumps({**json.loads(config.read_text()), "isolation": isolation}))
    for name, content in files.items():
        if content.startswith("-> "):
            (root / "submission" / name).symlink_to(content[3:])
        else:
            (root / "submission" / name).write_text(content)
    if outer:
        command, env = [*outer_bwrap(root, home), "/autograder/run_autograder"], clean_env(home)
    else:
        command, env = [str(root / "run_autograder")], {**clean_env(home), ROOT_ENV: str(root)}
    proc = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=120)
    text = (root / "results" / "results.json").read_text()
    return {"proc": proc, "text": text, "results": json.loads(text), "root": root}


@pytest.fixture(scope="module")
def graded(bundle, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("autograder")
    home = build_image(bundle, tmp)
    outer = outer_bwrap_works(tmp / "image", home)
    jobs = {name: (files, outer, None) for name, files in SCENARIOS.items()}
    jobs[ENV_SCENARIO] = (SCENARIOS["correct"], False, None)
    if outer:
        jobs[FALLBACK_SCENARIO] = ({"solution.py": FORGER}, True, "none")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run, bundle, tmp / name, home, files, outer=o, isolation=i)
                   for name, (files, o, i) in jobs.items()}
        out = {name: f.result() for name, f in futures.items()}
    out["outer_bwrap"] = outer
    return out


# ------------------------------------------------------------------------------------------ the bundle
def test_bundle_layout(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run_script = zf.read("run_autograder").decode()
    names = set(infos)
    assert {"setup.sh", "run_autograder", "gradekit-autograder.json", "pyproject.toml", "graders/__init__.py",
            "graders/gradescope.py", "graders/sandbox/worker.py", EXERCISE.reference} <= names
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    # only what the exercise needs: its reference, no other solutions, no learner or test files, no caches
    assert [n for n in names if n.startswith("solutions/")] == [EXERCISE.reference]
    assert not [n for n in names if n.startswith(("exercises/", "tests/", "examples/")) or "__pycache__" in n
                or n.endswith(".pyc")]
    assert setup.startswith("#!/usr/bin/env bash\n") and "apt-get install" in setup
    for word in ("bubblewrap", "numpy", "hypothesis", "python3-pip"):
        assert word in setup
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(GRADER_REQUIREMENTS) == sorted(declared)
    assert run_script.startswith("#!/usr/bin/env bash\n") and ROOT_ENV in run_script


def test_bundle_is_reproducible(bundle, tmp_path):
    again = tmp_path / "again.zip"
    result = subprocess.run([sys.executable, "-m", "graders", "gradescope", "--exercise", EXERCISE.name,
                             "--out", str(again), "--time-limit", TIME_LIMIT], cwd=REPO, capture_output=True)
    assert result.returncode == 0
    assert again.read_bytes() == bundle.read_bytes()


def test_bad_requests_are_one_line_errors(tmp_path):
    for args, fragment in ((["--exercise", "nope", "--out", str(tmp_path / "a.zip")], "unknown exercise 'nope'"),
                           (["--exercise", EXERCISE.name, "--out", str(tmp_path)], "is a directory")):
        result = subprocess.run([sys.executable, "-m", "graders", "gradescope", *args], cwd=REPO,
                                capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stderr.startswith("gradekit: error: ") and fragment in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------ results.json
def check_format(results: dict) -> None:
    assert {"score", "execution_time", "output", "tests", "stdout_visibility"} <= results.keys()
    assert isinstance(results["execution_time"], (int, float)) and results["execution_time"] >= 0
    assert [t["name"] for t in results["tests"]] == [c.label for c in EXERCISE.checks]
    assert [t["max_score"] for t in results["tests"]] == [c.points for c in EXERCISE.checks]
    for t in results["tests"]:
        assert t["status"] in ("passed", "failed") and t["visibility"] == "visible"
        assert (t["status"] == "passed") == (t["score"] == t["max_score"] > 0)
    assert results["score"] == sum(t["score"] for t in results["tests"])


@pytest.mark.parametrize("name", [*SCENARIOS, ENV_SCENARIO, FALLBACK_SCENARIO])
def test_results_are_well_formed_and_leak_nothing(graded, name):
    if name not in graded:
        pytest.skip("needs the outer bubblewrap")
    run_ = graded[name]
    assert run_["proc"].returncode == 0, run_["proc"].stdout + run_["proc"].stderr
    check_format(run_["results"])
    assert "Traceback" not in run_["text"]
    leaked = [line for line in REFERENCE_LINES if line in run_["text"]]
    assert not leaked
    left = sorted(p.name for p in (run_["root"] / "results").iterdir())
    assert left == ["results.json"]  # no temp files, and nothing a submission wrote


@pytest.mark.parametrize("name", ["correct", ENV_SCENARIO])
def test_correct_submission_gets_full_marks(graded, name):
    results = graded[name]["results"]
    assert results["score"] == EXERCISE.max_score
    assert all(t["status"] == "passed" for t in results["tests"])
    assert results["output"].startswith("Graded file: my_solution.py\n\nresidual_unit: 20/20")
    if HAS_BWRAP:
        assert results["extra_data"]["gradekit"]["sandbox"] == "bwrap"


def test_buggy_notebook_is_graded_and_the_mistake_named(graded):
    results = graded["buggy"]["results"]
    assert 0 < results["score"] < EXERCISE.max_score / 2
    assert results["extra_data"]["gradekit"]["diagnoses"] == ["transposed_weights"]
    assert "Graded file: homework.ipynb" in results["output"]
    assert "[transposed_weights]" in results["output"] and "both weights are applied transposed" in results["output"]
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["score"] == 0 for t in failed)
    # a failing test shows its own failing call, never one the overall output already shows
    assert any(t["output"] for t in failed)
    summary = results["output"].split("\nChecks:\n")[0]
    assert "Smallest input on which this mistake alone changes the result" in summary
    assert not any(line.strip() in summary for t in failed for line in t["output"].splitlines() if line.strip())


def test_looping_submission_times_out_and_the_stub_name_wins(graded):
    results = graded["looping"]["results"]
    assert "Graded file: residual_unit.py" in results["output"]  # not helpers.py
    assert results["score"] == 0
    assert "timeout" in results["extra_data"]["gradekit"]["diagnoses"]
    assert f"did not finish within {TIME_LIMIT} s" in results["output"]
    assert results["execution_time"] < 30


@pytest.mark.parametrize(("name", "fragments"), [
    ("broken_notebook", ["residual_unit.ipynb: not a valid notebook", "Fix it and submit again"]),
    ("nothing", ["No .py or .ipynb file", "answer.txt", "residual_unit.py"]),
    ("ambiguous", ["several files", "a.py", "b.py", "Submit only one"]),
    ("symlink", ["No .py or .ipynb file"]),
])
def test_ungradable_submission_gets_zero_and_a_clear_message(graded, name, fragments):
    results = graded[name]["results"]
    assert results["score"] == 0
    assert all(t["status"] == "failed" and t["score"] == 0 for t in results["tests"])
    assert "could not be graded" in results["output"]
    for fragment in fragments:
        assert fragment in results["output"]
    assert "/autograder" not in results["output"]


def test_results_are_the_graders_even_without_the_sandbox(graded):
    if FALLBACK_SCENARIO not in graded:
        pytest.skip("needs the outer bubblewrap (a literal /autograder)")
    run_ = graded[FALLBACK_SCENARIO]
    assert not (run_["root"] / "results" / "FORGED").exists()  # the submission cannot reach the results directory
    results = run_["results"]
    assert results["output"] != "forged" and len(results["tests"]) == len(EXERCISE.checks)
    assert results["score"] < EXERCISE.max_score and "Graded file: solution.py" in results["output"]
    assert results["extra_data"]["gradekit"]["sandbox"] == "chroot"
    assert "gradekit: warning:" in run_["proc"].stdout  # the instructor-only log says what isolation it got


def test_unisolated_grading_is_refused_unless_allowed(bundle, tmp_path, monkeypatch):
    """Where learners' code could run neither in bubblewrap nor as another user, the runner does not grade
    (a forged grade would look real) unless the bundle was built with --allow-unsandboxed."""
    from graders import gradescope
    from graders.sandbox.launcher import Sandbox

    # neither bubblewrap nor root: the plain fallback
    monkeypatch.setattr(Sandbox, "start", lambda self: self if self.proc is not None else self._spawn("plain") or self)
    for allowed, score in ((False, 0), (True, EXERCISE.max_score)):
        root = tmp_path / str(allowed)
        extract(bundle, root)
        (root / "submission" / "residual_unit.py").write_text((REPO / EXERCISE.reference).read_text())
        config = {**json.loads((root / "source" / gradescope.CONFIG_NAME).read_text()), "allow_unsandboxed": allowed}
        monkeypatch.setattr(gradescope, "read_config", lambda config=config: config)
        status = gradescope.run_autograder(root)
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == score
        if allowed:
            assert status == 0 and "forged" in results["output"]  # graded, and the report says what it is worth
        else:
            assert status == 1 and results["extra_data"]["gradekit"]["diagnoses"] == ["sandbox_unavailable"]
            assert "did not run it" in results["output"]


def test_runs_used_the_literal_autograder_root_when_possible(graded):
    if HAS_BWRAP and not graded["outer_bwrap"]:
        pytest.skip("the grading sandbox cannot start inside an outer bubblewrap here; runs used " + ROOT_ENV)
    if not HAS_BWRAP:
        pytest.skip("bubblewrap is not installed: runs used " + ROOT_ENV)
    assert graded["outer_bwrap"]
    assert "wrote /autograder/results/results.json" in graded["correct"]["proc"].stdout


def test_results_even_when_the_grader_cannot_start(bundle, tmp_path):
    root = tmp_path / "root"
    extract(bundle, root)
    (root / "submission" / "residual_unit.py").write_text("def residual_block(x, w1, w2):\n    return x\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\necho 'ModuleNotFoundError: numpy' >&2\nexit 1\n")
    (fake / "python3").chmod(0o755)
    proc = subprocess.run([str(root / "run_autograder")], env={"PATH": f"{fake}:/usr/bin:/bin", ROOT_ENV: str(root)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "problem with the autograder" in results["output"]
