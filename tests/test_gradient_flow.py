"""The gradient_flow exercise: reference, stub, correct styles, catalog (mutation score), structural
mistakes, public tests, experiment check, CLI, and the learner files' consistency with the grader."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graders.engine.grading import grade_source
from graders.exercises import get
from graders.exercises.gradient_flow import DEPTHS, EXPERIMENT_SETS, experiment_inputs
from graders.exercises.gradient_flow.model import model

REPO = Path(__file__).resolve().parents[1]
EXERCISE = get("gradient_flow")
FOLDER = REPO / "exercises" / "gradient_flow"
MODEL_SOURCE = (REPO / "graders" / "exercises" / "gradient_flow" / "model.py").read_text()
REFERENCE = REPO / "solutions" / "gradient_flow.py"
STUB = FOLDER / "gradient_flow.py"
POINTS = {c.name: c.points for c in EXERCISE.checks}
EXPERIMENT_CHECK = "experiment_shows_vanishing_and_bounded_gradients"


@pytest.fixture(scope="module")
def grade(sandbox):
    def run(source: str):
        return grade_source(EXERCISE, source, sandbox=sandbox, submission="test")

    return run


def variant_source(overrides: dict) -> str:
    """Learner source for a catalog variant: the model file plus a layer_gradient_norms that calls it."""
    return MODEL_SOURCE + ("\n\ndef layer_gradient_norms(x, weights, residual):\n"
                           f"    return model(x, weights, residual, **{overrides!r})\n")


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------ correct styles
CORRECT = {
    "python_loops": '''
import math
import numpy as np

def layer_gradient_norms(x, weights, residual):
    L, n = len(weights), len(x)
    hs = [[float(v) for v in x]]
    acts = []
    for l in range(L):
        z = [sum(float(weights[l][i][j]) * hs[-1][j] for j in range(n)) for i in range(n)]
        a = [math.tanh(v) for v in z]
        acts.append(a)
        hs.append([hs[-1][i] + a[i] for i in range(n)] if residual else a)
    g = list(hs[-1])
    out = [0.0] * L
    for l in range(L - 1, -1, -1):
        d = [g[i] * (1 - acts[l][i] ** 2) for i in range(n)]
        back = [sum(float(weights[l][i][j]) * d[i] for i in range(n)) for j in range(n)]
        g = [back[j] + g[j] for j in range(n)] if residual else back
        out[l] = math.sqrt(sum(v * v for v in g))
    return np.array(out)
''',
    "einsum_sech": '''
import numpy as np

def layer_gradient_norms(x, weights, residual):
    zs, hs = [], [x]
    for w in weights:
        zs.append(np.einsum("ij,j->i", w, hs[-1]))
        hs.append(np.tanh(zs[-1]) + (hs[-1] if residual else 0))
    g = hs[-1]
    norms = []
    for w, z in zip(weights[::-1], zs[::-1]):
        delta = g / np.cosh(z) ** 2
        g = np.einsum("ij,i->j", w, delta) + (g if residual else 0)
        norms.append(np.sqrt(np.einsum("i,i->", g, g)))
    return np.array(norms[::-1])
''',
    "float32": '''
import numpy as np

def layer_gradient_norms(x, weights, residual):
    x = np.asarray(x, dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float32)
    cache = []
    h = x
    for w in weights:
        a = np.tanh(w @ h)
        cache.append(a)
        h = h + a if residual else a
    g = h
    out = np.empty(len(weights), dtype=np.float32)
    for l in range(len(weights) - 1, -1, -1):
        delta = g * (1 - cache[l] * cache[l])
        g = weights[l].T @ delta + (g if residual else 0)
        out[l] = np.linalg.norm(g)
    return out
''',
    "printing_and_warnings": '''
import sys
import warnings
import numpy as np

def layer_gradient_norms(x, weights, residual):
    print("forward", x.shape, weights.shape, residual)
    warnings.warn("computing gradient norms")
    print("to stderr", file=sys.stderr)
    acts, h = [], x.copy()
    for W in weights:
        acts.append(np.tanh(np.dot(W, h)))
        h = h + acts[-1] if residual else acts[-1]
    grads = [h]
    for W, a in zip(reversed(weights), reversed(acts)):
        up = grads[-1]
        grads.append(np.dot(up * (1 - a ** 2), W) + (up if residual else 0))
    print("done")
    return np.linalg.norm(np.array(grads[1:][::-1]), axis=1)
''',
    "jacobian_matrices_recursive": '''
import numpy as np

def forward(h, weights, residual):
    if len(weights) == 0:
        return [h]
    a = np.tanh(weights[0] @ h)
    return [h] + forward(h + a if residual else a, weights[1:], residual)

def layer_gradient_norms(x, weights, residual):
    hs = forward(x, weights, residual)
    n = len(x)
    g = hs[-1]
    result = np.zeros(len(weights))
    for l in reversed(range(len(weights))):
        a = np.tanh(weights[l] @ hs[l])
        jacobian = np.diag(1 - a ** 2) @ weights[l] + (np.eye(n) if residual else 0)
        g = jacobian.T @ g
        result[l] = np.sqrt(g @ g)
    return result
''',
    "in_place_on_copies": '''
import numpy as np

def layer_gradient_norms(x, weights, residual):
    h = np.array(x, dtype=float, copy=True)
    L = weights.shape[0]
    A = np.zeros((L, h.size))
    for l in range(L):
        A[l] = np.tanh(weights[l] @ h)
        if residual:
            h += A[l]
        else:
            h = A[l].copy()
    g = h
    norms = np.zeros(L)
    for l in range(L - 1, -1, -1):
        delta = g * (1.0 - A[l] ** 2)
        new = weights[l].T @ delta
        if residual:
            new += g
        g = new
        norms[l] = np.linalg.norm(g)
    return norms
''',
}


# ---------------------------------------------------------------------------------- reference, stub
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_solution_gets_full_marks(grade, name):
    report = grade(CORRECT[name])
    failed = [(c.name, c.feedback and c.feedback.rationale) for c in report.checks if not c.passed]
    assert report.score == report.max_score, failed
    assert report.diagnoses == ()


def test_the_correct_styles_really_differ_from_the_reference_text():
    for source in CORRECT.values():
        assert "def layer_gradient_norms" in source and source.strip() != REFERENCE.read_text().strip()


# ------------------------------------------------------------------------------ structural mistakes
def wrapped(body: str) -> str:
    return MODEL_SOURCE + "\n\ndef layer_gradient_norms(x, weights, residual):\n" + body


@pytest.mark.parametrize(("body", "code"), [
    ("    return model(x, weights, residual).reshape(-1, 1)\n", "wrong_shape"),
    ("    return model(x, weights, residual).tolist()\n", "not_an_array"),
    ("    return model(x, weights, residual).astype(int)\n", "wrong_dtype"),
    ("    return float(model(x, weights, residual)[0])\n", "not_an_array"),
])
def test_wrong_type_or_shape_gets_the_structural_code(grade, body, code):
    report = grade(wrapped(body))
    assert code in report.codes
    by_name = {c.name: c for c in report.checks}
    assert not by_name["returns_float_array_of_shape_L"].passed
    assert report.score < report.max_score


def test_mutating_the_input_is_named(grade):
    report = grade(wrapped("    out = model(x, weights, residual)\n    x *= 2.0\n    return out\n"))
    assert "mutates_input" in report.codes
    assert not {c.name: c for c in report.checks}["leaves_inputs_unmodified"].passed


_OUTPUTS: dict[str, list] = {}


def test_catalog_has_the_required_entries():
    required = {"missing_identity_backward", "subtracted_skip", "wrong_activation_derivative",
                "missing_activation_derivative", "untransposed_weights", "reversed_order", "squared_norm",
                "ignores_residual"}
    assert required <= set(EXERCISE.codes)
    assert len(set(EXERCISE.codes)) == len(EXERCISE.codes)
    assert all(m.hint for m in EXERCISE.catalog)
    forms = [f.name for m in EXERCISE.catalog for f in m.forms]
    assert len(set(forms)) == len(forms)


# --------------------------------------------------------------------------------------- the experiment
def test_experiment_cases_are_the_readme_experiment():
    x, weights = experiment_inputs()
    assert len(EXPERIMENT_SETS) == 2 * len(DEPTHS)
    stub = load(STUB, "_gradient_flow_stub_for_test")
    sx, sw = stub.experiment_inputs()
    assert np.array_equal(sx, x) and np.array_equal(sw, weights)
    assert stub.EXPERIMENT_DEPTHS == DEPTHS


def experiment_ratios(**overrides):
    x, weights = experiment_inputs()
    return {flag: [(lambda v: v[0] / v[-1])(model(x, weights[:d], flag, **overrides)) for d in DEPTHS]
            for flag in (False, True)}


def test_the_reference_shows_the_qualitative_result():
    ratios = experiment_ratios()
    plain, residual = ratios[False], ratios[True]
    assert all(b < a / 2 for a, b in zip(plain, plain[1:])) and plain[-1] < 1e-8
    assert all(0.5 < r < 5 for r in residual)


@pytest.mark.parametrize("overrides", [{"identity_backward": False}, {"ignore_residual": True}, {"reverse": True}])
def test_the_experiment_check_fails_a_stack_without_the_effect_and_states_its_ratios(grade, overrides):
    report = grade(variant_source(overrides))
    check = {c.name: c for c in report.checks}[EXPERIMENT_CHECK]
    assert not check.passed
    plain = experiment_ratios(**overrides)[False]
    assert f"L=32: {plain[-1]:.3g}" in check.feedback.rationale  # the learner's own ratios, as computed


def test_the_experiment_check_is_qualitative(grade):
    # squared norms are wrong, yet they show the effect: only the agreement checks fail
    report = grade(variant_source({"squared": True}))
    assert {c.name: c for c in report.checks}[EXPERIMENT_CHECK].passed


# ------------------------------------------------------------------------------------------------ CLI
def gradekit(*args):
    return subprocess.run([sys.executable, "-m", "graders", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_cli_lists_the_exercise():
    result = gradekit("list", "--json")
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["name"] == "gradient_flow")
    assert entry["title"] == EXERCISE.title
    assert entry["stub"] == "exercises/gradient_flow/gradient_flow.py"
    assert entry["reference"] == "solutions/gradient_flow.py"
    assert entry["max_score"] == EXERCISE.max_score


# ------------------------------------------------------------------------------- learner files agree
def test_readme_shows_the_worked_examples_and_experiment_numbers():
    readme = (FOLDER / "README.md").read_text()
    for example in EXERCISE.examples:
        assert np.allclose(model(*example.args), example.expected)
        for value in example.expected:
            assert f"{value:.7g}" in readme or f"{value:.1f}" in readme
    ratios = experiment_ratios()
    for flag in (False, True):
        for r in ratios[flag]:
            assert f"{r:.3g}" in readme
    assert "![" in readme and "(gradient_ratio.svg)" in readme


def test_committed_plot_is_what_the_script_draws_from_the_reference(tmp_path):
    out = tmp_path / "plot.svg"
    result = subprocess.run([sys.executable, str(FOLDER / "plot_experiment.py"), "--solution", str(REFERENCE),
                             "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert out.read_text() == (FOLDER / "gradient_ratio.svg").read_text()

