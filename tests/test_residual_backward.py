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
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graders.engine.cases import case_book
from graders.engine.diagnose import variants_of_size
from graders.engine.grade import grade_source
from graders.exercises import get
from graders.exercises.residual_backward import (
    EXAMPLE_3,
    away_from_kinks,
    both_signs,
    forward_parts,
    numerical_gradients,
)
from graders.exercises.residual_backward.model import model
from graders.release import reference_lines
from tests.public_runs import concurrent_runs, explain, last_line

REPO = Path(__file__).resolve().parents[1]
NAME = "residual_backward"
FOLDER = REPO / "exercises" / NAME
MODEL_SOURCE = (REPO / "graders" / "exercises" / NAME / "model.py").read_text()
REFERENCE = REPO / "solutions" / f"{NAME}.py"
STUB = FOLDER / f"{NAME}.py"
EXERCISE = get(NAME)
SINGLES = variants_of_size(EXERCISE, 1)
PAIRS = variants_of_size(EXERCISE, 2)
# Codes about the returned structure, which a behavioural mistake can bring along: a missing transpose
# raises when h != n, a reversed outer product has the wrong shape when h != n.
STRUCTURAL = {"raises", "wrong_shape"}


@pytest.fixture(scope="module")
def grade(sandbox):
    def run(source: str):
        return grade_source(EXERCISE, source, sandbox=sandbox, submission="test")

    return run


def variant_source(overrides: dict) -> str:
    """Learner source for a catalog variant: the model file plus the learner's function calling it."""
    return MODEL_SOURCE + (f"\n\ndef residual_block_backward(x, w1, w2, grad_y):\n"
                           f"    return model(x, w1, w2, grad_y, **{overrides!r})\n")


def behaviour_codes(report):
    return tuple(sorted(c for c in report.codes if c not in STRUCTURAL))


def variant_id(variant) -> str:
    """Unique, unlike a label: several mistakes have a form named "both"."""
    return " + ".join(f"{m.code}:{f.name}" for m, f in variant.parts)


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


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_model_without_overrides_is_the_reference(n, h, data):
    elements = st.floats(-10, 10, allow_nan=False)
    args = (data.draw(arrays(float, n, elements=elements)), data.draw(arrays(float, (h, n), elements=elements)),
            data.draw(arrays(float, (n, h), elements=elements)), data.draw(arrays(float, n, elements=elements)))
    for got, want in zip(model(*args), EXERCISE.reference_function(*args), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ reference and stub
def test_reference_gets_full_marks(grade):
    report = grade(REFERENCE.read_text())
    assert report.score == report.max_score == EXERCISE.max_score
    assert report.diagnoses == ()
    assert report.counterexample is None


def test_stub_gets_zero_without_crashing(grade):
    report = grade(STUB.read_text())
    assert report.score == 0
    assert report.codes == ("raises",)
    assert "NotImplementedError" in report.diagnoses[0].message
    assert all(c.status in ("failed", "skipped") for c in report.checks)


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


@pytest.mark.parametrize("variant", SINGLES, ids=variant_id)
def test_every_catalog_form_is_caught_and_named(grade, variant):
    report = grade(variant_source(variant.overrides))
    assert report.score < report.max_score
    assert behaviour_codes(report) == variant.codes
    diagnosis = next(d for d in report.diagnoses if d.code == variant.codes[0])
    assert diagnosis.detail == variant.parts[0][1].detail
    assert report.counterexample is not None
    shrunk = tuple(np.array(report.counterexample.args[p], dtype=float) for p in EXERCISE.parameters)
    assert away_from_kinks(shrunk)  # shrinking never moves onto ReLU's kink (Exercise.admissible)
    fd_check = next(c for c in report.checks if c.name == "agrees_with_finite_differences")
    assert not fd_check.passed


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


def fresh_inputs(count=200, seed=11):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, h = rng.integers(1, 6, size=2)
        yield rng.normal(size=n) * 2, rng.normal(size=(h, n)) * 2, rng.normal(size=(n, h)) * 2, rng.normal(size=n)


_OUTPUTS: dict[tuple, list] = {}


def outputs(variant):
    if variant_id(variant) not in _OUTPUTS:
        out = _OUTPUTS[variant_id(variant)] = []
        for args in fresh_inputs():
            try:
                out.append(np.concatenate([np.ravel(p) for p in model(*args, **variant.overrides)]))
            except ValueError:
                out.append(None)
    return _OUTPUTS[variant_id(variant)]


def same(a, b):
    return all((x is None and y is None) or (x is not None and y is not None and np.allclose(x, y, rtol=1e-9,
                                                                                             atol=1e-12))
               for x, y in zip(a, b))


def simplest_equivalent(pair):
    """The first variant in the engine's order (fewest mistakes, then catalog order) that is mathematically
    the same function as the pair on fresh random inputs."""
    mine = outputs(pair)
    return next(c for c in [*SINGLES, *PAIRS] if same(mine, outputs(c)))


@pytest.mark.slow
@pytest.mark.parametrize("pair", PAIRS, ids=variant_id)
def test_every_pair_of_mistakes_is_caught_and_named(grade, pair):
    report = grade(variant_source(pair.overrides))
    assert report.score < report.max_score
    assert behaviour_codes(report) == tuple(sorted(simplest_equivalent(pair).codes))


# -------------------------------------------------------------------------------- public tests
PUBLIC_JOBS = {"reference": (REFERENCE.read_text(), ()), "stub": (STUB.read_text(), ())}
PUBLIC_JOBS.update({f"form:{variant_id(v)}": (variant_source(v.overrides), ("-x",)) for v in SINGLES})


@pytest.fixture(scope="module")
def public_run():
    yield from concurrent_runs(EXERCISE, PUBLIC_JOBS)


def test_public_tests_pass_on_the_reference(public_run):
    result = public_run("reference")
    assert result.returncode == 0, explain(result)
    assert "passed" in last_line(result) and "failed" not in last_line(result), explain(result)


def test_public_tests_fail_cleanly_on_the_stub(public_run):
    result = public_run("stub")
    last = last_line(result)
    assert result.returncode == 1, explain(result)
    assert "not implemented yet" in result.stdout, explain(result)
    assert "error" not in last.lower() and "passed" not in last, explain(result)
    assert "Traceback" not in result.stdout and "hypothesis/" not in result.stdout, explain(result)


@pytest.mark.parametrize("variant", SINGLES, ids=variant_id)
def test_public_tests_catch_every_catalog_form(public_run, variant):
    result = public_run(f"form:{variant_id(variant)}")
    assert result.returncode == 1, explain(result)  # a test failure, not a collection error or a crash
    assert "error" not in last_line(result).lower(), explain(result)


# --------------------------------------------------------------------------------- command line
def gradekit(*args):
    return subprocess.run([sys.executable, "-m", "graders", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_cli_grades_the_reference_with_full_marks():
    result = gradekit("grade", str(REFERENCE), "--exercise", NAME, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["exercise"] == NAME
    assert data["score"] == data["max_score"] == EXERCISE.max_score


def test_cli_lists_the_exercise():
    result = gradekit("list", "--json")
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["name"] == NAME)
    assert entry["title"] == EXERCISE.title
    assert entry["stub"] == EXERCISE.stub and entry["reference"] == EXERCISE.reference
    assert entry["max_score"] == EXERCISE.max_score


# ------------------------------------------------------------------------------------- no leak
def test_learner_files_hold_no_line_of_any_reference():
    hidden = set()
    for ref in (REPO / "solutions").glob("*.py"):
        hidden |= reference_lines(ref.read_text())
    for path in FOLDER.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md"):
            leaked = [line.strip() for line in path.read_text().splitlines() if line.strip() in hidden]
            assert not leaked, f"{path.name} contains reference lines {leaked}"
    mine = reference_lines(REFERENCE.read_text())
    for path in (REPO / "exercises").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".ipynb"):
            assert not mine & {line.strip() for line in path.read_text().splitlines()}, path


def test_public_tests_import_neither_graders_nor_solutions():
    text = (FOLDER / f"test_{NAME}.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+(graders|solutions)\b", text, re.M)
    assert "solutions/" not in text and "/graders" not in text
