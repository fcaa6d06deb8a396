"""The residual_backward exercise: reference full marks, stub zero, correct styles full marks, every
catalogued mistake (and pair of them) caught and named, the numerical gradient check, the public tests,
the command line, and no leak of the reference into what learners get."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graders.engine.cases import case_book
from graders.engine.grading import grade_source
from graders.exercises import get
from graders.exercises.residual_backward import (
    EXAMPLE_3,
    away_from_kinks,
    both_signs,
    forward_parts,
    numerical_gradients,
)

REPO = Path(__file__).resolve().parents[1]
NAME = "residual_backward"
FOLDER = REPO / "exercises" / NAME
MODEL_SOURCE = (REPO / "graders" / "exercises" / NAME / "model.py").read_text()
EXERCISE = get(NAME)
@pytest.fixture(scope="module")
def grade(sandbox):
    def run(source: str):
        return grade_source(EXERCISE, source, sandbox=sandbox, submission="test")

    return run


def variant_source(overrides: dict) -> str:
    """Learner source for a catalog variant: the model file plus the learner's function calling it."""
    return MODEL_SOURCE + (f"\n\ndef residual_block_backward(x, w1, w2, grad_y):\n"
                           f"    return model(x, w1, w2, grad_y, **{overrides!r})\n")


def generated_cases():
    return [c for c in case_book(EXERCISE).cases if c.set_name != "examples"]


# ------------------------------------------------------------------------------- the declaration
def test_declared_shape():
    assert EXERCISE.part_names == ("grad_x", "grad_w1", "grad_w2")
    assert EXERCISE.output_dims == ()
    assert EXERCISE.version == "1" and isinstance(EXERCISE.seed, int)
    points = {c.name: c.points for c in EXERCISE.checks}
    assert points["agrees_with_finite_differences"] > 0 and points["shortcut_carries_gradient"] > 0
    assert EXERCISE.max_score == sum(points.values())


def test_worked_examples_are_right_by_hand_and_numerically():
    by_hand = [  # the README's traces
        ([1.5, 1.5], [[0.5, 1.0], [0.5, 1.0]], [[1.0, 2.0], [1.0, 2.0]]),
        ([4.0, 0.0], [[2.0, -4.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, 0.0]]),
        ([4.0, 1.0], [[1.0, -1.0], [0.0, 0.0], [1.0, -1.0]], [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
    ]
    assert EXERCISE.examples[2].args is EXAMPLE_3
    for example, want in zip(EXERCISE.examples, by_hand, strict=True):
        assert away_from_kinks(example.args)
        ref = EXERCISE.reference_function(*example.args)
        for got, declared, traced, numeric in zip(ref, example.expected, want, numerical_gradients(*example.args)):
            np.testing.assert_array_equal(got, declared)
            np.testing.assert_array_equal(declared, traced)
            np.testing.assert_allclose(numeric, traced, atol=1e-8)


def test_generated_cases_keep_off_the_kinks_and_have_the_promised_variety():
    cases = generated_cases()
    assert len(cases) >= 150
    assert all(away_from_kinks(c.args) for c in cases)
    sizes = {(len(c.args[0]), c.args[1].shape[0]) for c in cases}
    assert any(n == h for n, h in sizes) and any(n != h for n, h in sizes)
    assert any(n == 1 for n, _ in sizes) and any(h == 1 for _, h in sizes)
    mixed = [c for c in cases if both_signs(forward_parts(*c.args[:3])[0]) and both_signs(forward_parts(*c.args[:3])[3])]
    assert len(mixed) >= 20
    numerical = [c for c in cases if c.set_name == "numerical"]
    assert len(numerical) >= 10 and any(len(c.args[0]) != c.args[1].shape[0] for c in numerical)
    assert all(not np.any(c.args[2]) for c in cases if c.set_name == "zero_w2")


def test_finite_differences_agree_with_the_reference_on_every_case():
    for case in case_book(EXERCISE).cases:
        ref = EXERCISE.reference_function(*case.args)
        scale = [np.abs(r).max(initial=0.0) + 1.0 for r in ref]
        for r, num, s in zip(ref, numerical_gradients(*case.args), scale):
            np.testing.assert_allclose(num, r, atol=1e-6 * s, err_msg=case.set_name)


# ------------------------------------------------------------------------------ reference and stub
# ------------------------------------------------------------------------ differently written, correct
CORRECT = {
    "loops": '''
def residual_block_backward(x, w1, w2, grad_y):
    import numpy as np
    n, h = len(x), len(w1)
    z1 = [sum(w1[j][i] * x[i] for i in range(n)) for j in range(h)]
    a = [v if v > 0 else 0.0 for v in z1]
    z = [sum(w2[i][j] * a[j] for j in range(h)) + x[i] for i in range(n)]
    gz = [grad_y[i] if z[i] > 0 else 0.0 for i in range(n)]
    gh = [sum(w2[i][j] * gz[i] for i in range(n)) if z1[j] > 0 else 0.0 for j in range(h)]
    gx = [sum(w1[j][i] * gh[j] for j in range(h)) + gz[i] for i in range(n)]
    gw1 = [[gh[j] * x[i] for i in range(n)] for j in range(h)]
    gw2 = [[gz[i] * a[j] for j in range(h)] for i in range(n)]
    return np.array(gx, dtype=float).reshape(n), np.array(gw1, dtype=float).reshape(h, n), \\
        np.array(gw2, dtype=float).reshape(n, h)
''',
    "einsum": '''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    z1 = np.einsum("hn,n->h", w1, x)
    a = np.clip(z1, 0, None)
    z = np.einsum("nh,h->n", w2, a) + x
    gz = np.where(z > 0, grad_y, 0)
    gh = np.einsum("nh,n->h", w2, gz) * (z1 > 0)
    return np.einsum("hn,h->n", w1, gh) + gz, np.einsum("h,n->hn", gh, x), np.einsum("n,h->nh", gz, a)
''',
    "float32": '''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    x, w1, w2, grad_y = (np.asarray(v, dtype=np.float32) for v in (x, w1, w2, grad_y))
    z1 = w1 @ x
    a = np.maximum(z1, np.float32(0))
    z = w2 @ a + x
    gz = grad_y * (z > 0).astype(np.float32)
    gh = (w2.T @ gz) * (z1 > 0).astype(np.float32)
    return w1.T @ gh + gz, gh[:, None] * x[None, :], gz[:, None] * a[None, :]
''',
    "printing_and_warnings": '''
import sys
import warnings
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    print("backward through a residual unit of width", len(w1))
    print("debug", file=sys.stderr)
    warnings.warn("experimental")
    z1 = np.dot(w1, x)
    a = z1 * (z1 > 0)
    z = np.dot(w2, a) + x
    gz = grad_y * np.heaviside(z, 0.0)
    gh = np.dot(gz, w2) * np.heaviside(z1, 0.0)
    return np.dot(gh, w1) + gz, np.outer(gh, x), np.outer(gz, a)
''',
    "column_vectors_and_layers": '''
import numpy as np

class Linear:
    def __init__(self, w):
        self.w = np.array(w, dtype=float)
    def forward(self, v):
        self.v = v
        return self.w @ v
    def backward(self, g):
        self.grad = g @ self.v.T
        return self.w.T @ g

def relu_backward(pre, g):
    return g * (pre > 0)

def residual_block_backward(x, w1, w2, grad_y):
    col = np.reshape(x, (-1, 1)).astype(float)
    first, second = Linear(w1), Linear(w2)
    z1 = first.forward(col)
    z = second.forward(np.maximum(z1, 0)) + col
    gz = relu_backward(z, np.reshape(grad_y, (-1, 1)))
    gx = first.backward(relu_backward(z1, second.backward(gz))) + gz  # the shortcut adds gz
    return gx.ravel(), first.grad, second.grad
''',
    "matmul_and_float_masks": '''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    mask1 = (np.matmul(w1, x) > 0).astype(float)
    a = np.matmul(w1, x) * mask1
    mask2 = (np.matmul(w2, a) + x > 0).astype(float)
    gz = grad_y * mask2
    gh = np.matmul(w2.transpose(), gz) * mask1
    grad_x = np.matmul(w1.transpose(), gh)
    grad_x = grad_x + gz
    return (grad_x.copy(), np.multiply.outer(gh, x), np.multiply.outer(gz, a))
''',
}


@pytest.mark.parametrize("source", CORRECT.values(), ids=CORRECT.keys())
def test_differently_written_correct_solutions_get_full_marks(grade, source):
    report = grade(source)
    failed = [(c.name, c.feedback and c.feedback.rationale) for c in report.checks if not c.passed]
    assert report.score == report.max_score, failed
    assert report.diagnoses == ()


# ------------------------------------------------------------------------------------ structure
WRONG_STRUCTURE = {
    "not_an_array": ('''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    return np.zeros(len(x) + 2 * w1.size)  # one array instead of three
''', "not_an_array"),
    "two_parts": ('''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    return np.zeros(len(x)), np.zeros(w1.shape)
''', "not_an_array"),
    "part_is_a_list": ('''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    return [0.0] * len(x), np.zeros(w1.shape), np.zeros(w2.shape)
''', "not_an_array"),
    "flattened_weight_gradient": ('''
import numpy as np
def residual_block_backward(x, w1, w2, grad_y):
    z1 = w1 @ x
    a = np.maximum(z1, 0)
    gz = grad_y * (w2 @ a + x > 0)
    gh = (w2.T @ gz) * (z1 > 0)
    return w1.T @ gh + gz, np.outer(gh, x).ravel(), np.outer(gz, a)
''', "wrong_shape"),
}


@pytest.mark.parametrize(("source", "code"), WRONG_STRUCTURE.values(), ids=WRONG_STRUCTURE.keys())
def test_wrong_structure_gets_the_structural_code(grade, source, code):
    report = grade(source)
    assert code in report.codes
    shape_check = next(c for c in report.checks if c.name == "returns_three_float_arrays")
    assert not shape_check.passed
    assert report.score < report.max_score


def test_flattened_gradient_with_right_numbers_is_only_a_shape_problem(grade):
    report = grade(WRONG_STRUCTURE["flattened_weight_gradient"][0])
    assert report.codes == ("wrong_shape",)
    assert "grad_w1" in report.diagnoses[0].message


# ------------------------------------------------------------------------------------- catalog
def test_catalog_has_the_required_entries():
    required = {"missing_shortcut_gradient", "missing_final_relu_mask", "missing_first_relu_mask",
                "outer_product_reversed", "weights_not_transposed", "preactivation_in_weight_gradient"}
    assert required <= set(EXERCISE.codes)
    assert len(set(EXERCISE.codes)) == len(EXERCISE.codes)
    assert all(m.hint for m in EXERCISE.catalog)


def test_reversed_outer_product_reads_as_a_shape_mistake(grade):
    report = grade(variant_source({"outer_w1": "reversed"}))
    assert report.codes == ("wrong_shape", "outer_product_reversed")
    shape = report.diagnoses[0].message
    assert "grad_w1" in shape and "expected (" in shape
    assert "wrong way round" in report.diagnoses[1].detail


def test_numerical_check_names_the_nudged_element(grade):
    report = grade(variant_source({"shortcut": "none"}))
    fd = next(c for c in report.checks if c.name == "agrees_with_finite_differences")
    assert not fd.passed
    assert "nudging x[" in fd.feedback.rationale and "your grad_x[" in fd.feedback.rationale


_OUTPUTS: dict[tuple, list] = {}


# --------------------------------------------------------------------------------- command line
def gradekit(*args):
    return subprocess.run([sys.executable, "-m", "graders", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_cli_lists_the_exercise():
    result = gradekit("list", "--json")
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["name"] == NAME)
    assert entry["title"] == EXERCISE.title
    assert entry["stub"] == EXERCISE.stub and entry["reference"] == EXERCISE.reference
    assert entry["max_score"] == EXERCISE.max_score


# ------------------------------------------------------------------------------------- no leak
def test_public_tests_import_neither_graders_nor_solutions():
    text = (FOLDER / f"test_{NAME}.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+(graders|solutions)\b", text, re.M)
    assert "solutions/" not in text and "/graders" not in text
