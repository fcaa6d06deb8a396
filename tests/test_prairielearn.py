"""PrairieLearn, end to end: export the question with the CLI, lay out what PrairieLearn's grading
container gets (/grade/tests from the question's tests/, /grade/student with the upload), run the entry
script per submission and read /grade/results/results.json.

Each run happens inside an outer bubblewrap that binds the simulated tree at the literal /grade, has no
network, sees the system read-only and none of the repository, and runs Python from a virtual environment
holding only numpy, hypothesis and pytest (so the question must carry the whole kit). The grading sandbox
nests inside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graders.exercises import get
from graders.prairielearn import CONFIG_NAME, ROOT_ENV
from graders.report.visibility import RESULT_ONLY
from tests.conftest import HAS_BWRAP, REPO, SUBMISSIONS
from tests.test_release import reference_lines

EXERCISE = get("residual_unit")
REFERENCE_LINES = reference_lines((REPO / EXERCISE.reference).read_text())
FORGER = """import json, os
import numpy as np

for target in ("/grade/results/results.json", "/grade/results/FORGED"):
    try:
        os.makedirs("/grade/results", exist_ok=True)
        with open(target, "w") as f:
            json.dump({"gradable": True, "score": 1.0, "message": "forged"}, f)
    except OSError:
        pass
if os.fork() == 0:  # a child that outlives the call and tries again later
    import time
    time.sleep(1.5)
    try:
        with open("/grade/results/results.json", "w") as f:
            f.write('{"gradable": true, "score": 1.0}')
    except OSError:
        pass
    os._exit(0)


def residual_block(x, w1, w2):
    return np.zeros_like(np.asarray(x, dtype=float))
"""
SCENARIOS = {
    "correct": {"residual_unit.py": (SUBMISSIONS / "correct" / "einsum.py").read_text()},
    "buggy": {"residual_unit.py": (SUBMISSIONS / "mistakes" / "transposed_weights__both.py").read_text()},
    "hostile": {"residual_unit.py": FORGER},
    "looping": {"residual_unit.py": (SUBMISSIONS / "hostile" / "loop_in_call.py").read_text()},
    "nothing": {"notes.txt": "I could not do it\n"},
}
RESTRICTED = "restricted"  # the buggy upload, graded by a question exported with visibility restrictions
BROKEN = "broken_config"  # a grader failure: the question's config is damaged


def export(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "prairielearn", "--exercise", EXERCISE.name,
                           "--out", str(out), "--time-limit", "2", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def question(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("question") / "residual_unit"
    result = export(out)
    assert result.returncode == 0, result.stderr
    return out


def outer_bwrap(root: Path, venv: Path) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--unshare-net", "--dev", "/dev", "--bind", "/proc", "/proc",
            "--tmpfs", "/tmp"]
    for entry in sorted(Path("/").iterdir()):
        if entry.name in ("proc", "dev", "tmp", "sys", "grade"):
            continue
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry), str(entry)]
        else:
            args += ["--ro-bind", str(entry), str(entry)]
    args += ["--ro-bind", str(venv), str(venv)]
    if not Path(sys.prefix).resolve().is_relative_to(REPO.resolve()):
        args += ["--tmpfs", str(REPO)]  # the question must not need the repository
    return args + ["--bind", str(root), "/grade", "--chdir", "/grade"]


def run(question: Path, root: Path, venv: Path, files: dict[str, str]) -> dict:
    shutil.copytree(question / "tests", root / "tests")
    (root / "student").mkdir(parents=True)
    for name, content in files.items():
        (root / "student" / name).write_text(content)
    env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
    if HAS_BWRAP:
        command = [*outer_bwrap(root, venv), "/grade/tests/run.sh"]
    else:
        command, env = [str(root / "tests" / "run.sh")], {**env, ROOT_ENV: str(root)}
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    text = (root / "results" / "results.json").read_text()
    return {"proc": proc, "text": text, "results": json.loads(text), "root": root}


@pytest.fixture(scope="module")
def graded(question, tmp_path_factory, minimal_venv) -> dict:
    tmp = tmp_path_factory.mktemp("grade")
    restricted = tmp / "restricted-question"
    result = export(restricted, "--visibility",
                    "matches_reference_edge_cases=after_due,matches_reference_hidden_width=result")
    assert result.returncode == 0, result.stderr
    broken = tmp / "broken-question"
    shutil.copytree(question, broken)
    (broken / "tests" / CONFIG_NAME).write_text("{not json")
    jobs = {name: (question, files) for name, files in SCENARIOS.items()}
    jobs[RESTRICTED] = (restricted, SCENARIOS["buggy"])
    jobs[BROKEN] = (broken, SCENARIOS["correct"])
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run, q, tmp / name, minimal_venv, files) for name, (q, files) in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


# ------------------------------------------------------------------------------------------ the question
def test_question_directory_is_what_prairielearn_reads(question):
    info = json.loads((question / "info.json").read_text())
    assert set(info) == {"uuid", "type", "title", "topic", "tags", "gradingMethod", "singleVariant",
                         "externalGradingOptions"}
    assert info["type"] == "v3" and info["gradingMethod"] == "External" and info["title"] == EXERCISE.title
    options = info["externalGradingOptions"]
    assert set(options) == {"image", "entrypoint", "timeout"} and options["entrypoint"] == "/grade/tests/run.sh"
    assert 0 < options["timeout"] <= 600
    page = (question / "question.html").read_text()
    assert '<pl-file-upload file-names="residual_unit.py"></pl-file-upload>' in page
    assert "<pl-external-grader-results>" in page and "{{" not in page
    assert os.access(question / "tests" / "run.sh", os.X_OK)
    names = {p.relative_to(question / "tests").as_posix() for p in (question / "tests").rglob("*") if p.is_file()}
    assert {"graders/prairielearn.py", "graders/sandbox/worker.py", EXERCISE.reference, CONFIG_NAME} <= names
    assert [n for n in names if n.startswith("solutions/")] == [EXERCISE.reference]
    leaked = [line for line in REFERENCE_LINES if line in page]
    assert not leaked


def test_re_exporting_keeps_the_question_uuid(question, tmp_path):
    copy = tmp_path / "q"
    shutil.copytree(question, copy)
    before = json.loads((copy / "info.json").read_text())["uuid"]
    assert export(copy).returncode == 0
    assert json.loads((copy / "info.json").read_text())["uuid"] == before


def test_bad_requests_are_one_line_errors(tmp_path):
    (tmp_path / "file").write_text("")
    for args, fragment in ((["--exercise", "nope", "--out", str(tmp_path / "q")], "unknown exercise 'nope'"),
                           (["--exercise", EXERCISE.name, "--out", str(tmp_path / "file")], "not a directory"),
                           (["--exercise", EXERCISE.name, "--out", str(tmp_path / "q"), "--visibility", "x=all"],
                            "no check 'x'")):
        result = subprocess.run([sys.executable, "-m", "graders", "prairielearn", *args], cwd=REPO,
                                capture_output=True, text=True)
        assert result.returncode == 2 and result.stderr.startswith("gradekit: error: ") and fragment in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------ results.json
@pytest.mark.parametrize("name", [*SCENARIOS, RESTRICTED, BROKEN])
def test_every_run_exits_0_and_writes_well_formed_results(graded, name):
    run_ = graded[name]
    assert run_["proc"].returncode == 0, run_["proc"].stdout + run_["proc"].stderr
    results = run_["results"]
    assert isinstance(results["gradable"], bool) and "Traceback" not in run_["text"]
    assert not [line for line in REFERENCE_LINES if line in run_["text"]]
    assert sorted(p.name for p in (run_["root"] / "results").iterdir()) == ["results.json"]
    if results["gradable"]:
        assert 0.0 <= results["score"] <= 1.0 and results["message"]
        for test in results["tests"]:
            assert {"name", "description", "points", "max_points", "message", "output"} <= set(test)
    else:
        assert results["message"]


def test_a_correct_upload_gets_full_score(graded):
    results = graded["correct"]["results"]
    assert results["gradable"] and results["score"] == 1.0
    assert [t["points"] for t in results["tests"]] == [c.points for c in EXERCISE.checks]


def test_a_buggy_upload_is_named_and_shows_its_evidence(graded):
    results = graded["buggy"]["results"]
    assert results["gradable"] and 0 < results["score"] < 0.5
    assert "[transposed_weights]" in results["output"] and "Smallest input on which" in results["output"]
    assert results["gradekit"]["diagnoses"] == ["transposed_weights"]


def test_a_hostile_upload_cannot_forge_its_results(graded):
    run_ = graded["hostile"]
    assert run_["results"]["score"] == 0.0 and "forged" not in run_["text"]
    assert not (run_["root"] / "results" / "FORGED").exists()


def test_a_looping_upload_times_out(graded):
    results = graded["looping"]["results"]
    assert results["gradable"] and results["score"] == 0.0 and "did not finish within 2 s" in results["output"]


def test_an_upload_without_code_is_not_gradable_and_says_why(graded):
    results = graded["nothing"]["results"]
    assert results["gradable"] is False and "No .py or .ipynb file" in results["message"]


def test_a_grader_failure_is_not_gradable_never_a_missing_file(graded):
    results = graded[BROKEN]["results"]
    assert results["gradable"] is False and "problem with the autograder" in results["message"]


def test_visibility_restrictions_are_honoured(graded):
    results = graded[RESTRICTED]["results"]
    names = [t["description"] for t in results["tests"]]
    assert "matches_reference_edge_cases" not in names  # nothing until after the due date
    hidden_width = next(t for t in results["tests"] if t["description"] == "matches_reference_hidden_width")
    assert hidden_width["output"] in ("", RESULT_ONLY) and "residual_block(x=" not in hidden_width["message"]
    assert "Smallest failing input" not in results["output"]
    assert "shown after the due date" in results["output"]
