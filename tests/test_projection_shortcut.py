"""The projection-shortcut exercise: reference full marks, stub zero, correct styles full marks, every
catalog form (and pair) caught and named, the ValueError and its message, public tests, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graders.engine.cases import case_book
from graders.engine.grading import grade_source
from graders.exercises import get
from graders.exercises.projection_shortcut import message_problems
from graders.exercises.projection_shortcut.model import model
from tests.test_release import reference_lines  # the release test's rule: every code line

REPO = Path(__file__).resolve().parents[1]
NAME = "projection_shortcut"
EXERCISE = get(NAME)
PUBLIC_TESTS = REPO / "exercises" / NAME / f"test_{NAME}.py"
def points(*names: str) -> int:
    return sum(c.points for c in EXERCISE.checks if c.name in names)


@pytest.fixture(scope="module")
def grade(sandbox):
    def run(source: str):
        return grade_source(EXERCISE, source, sandbox=sandbox, submission="test")

    return run


def failed(report) -> list[str]:
    return [c.name for c in report.checks if not c.passed]


# ------------------------------------------------------------------------------ reference and stub
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.booleans(), st.data())
def test_reference_on_random_inputs(n, h, m, projection, data):
    elements = st.floats(-10, 10, allow_nan=False)
    x = data.draw(arrays(float, n, elements=elements))
    w1 = data.draw(arrays(float, (h, n), elements=elements))
    w2 = data.draw(arrays(float, (m, h), elements=elements))
    ws = data.draw(arrays(float, (m, n), elements=elements)) if projection else None
    originals = [None if a is None else a.copy() for a in (x, w1, w2, ws)]
    if ws is None and m != n:
        with pytest.raises(ValueError) as error:
            EXERCISE.reference_function(x, w1, w2, ws)
        assert message_problems(str(error.value), m, n) == []
    else:
        y = EXERCISE.reference_function(x, w1, w2, ws)
        assert y.shape == (m,) and y.dtype == np.float64 and np.all(y >= 0)
        np.testing.assert_allclose(y, model(x, w1, w2, ws), rtol=1e-12, atol=1e-12)
    for before, after in zip(originals, (x, w1, w2, ws)):
        assert before is None or np.array_equal(before, after)


# ----------------------------------------------------------------------------------- worked examples
def test_case_book_has_the_promised_variety():
    book = case_book(EXERCISE)
    by_set: dict[str, list] = {}
    for c in book.cases:
        by_set.setdefault(c.set_name, []).append(c.args)

    def nm(args):
        return args[0].shape[0], args[2].shape[0]

    assert all(a[3] is None and nm(a)[0] == nm(a)[1] for a in by_set["identity"])
    assert all(a[3] is not None and nm(a)[0] == nm(a)[1] for a in by_set["projection_same_size"])
    assert all(a[3] is not None and nm(a)[0] != nm(a)[1] for a in by_set["projection_resize"])
    assert all(a[3] is None and nm(a)[0] != nm(a)[1] and min(nm(a)) >= 2 for a in by_set["missing_projection"])
    assert all(a[3] is None and nm(a)[0] == 1 < nm(a)[1] for a in by_set["missing_projection_one_feature"])
    resize = [nm(a) for a in by_set["projection_resize"] + by_set["missing_projection"]]
    assert any(m < n for n, m in resize) and any(m > n for n, m in resize)
    # square weights (h = n = m) occur, so transposed weights give values, not only errors
    assert any(a[1].shape[0] == a[0].shape[0] for a in by_set["identity"] + by_set["projection_same_size"])
    values = np.concatenate([a.ravel() for c in book.cases for a in c.args if isinstance(a, np.ndarray)])
    assert (values < 0).any() and (values > 0).any() and (values == 0).any()


# --------------------------------------------------------------------------------- correct solutions
CORRECT = {
    "plain": '''
import numpy as np

def projection_block(x, w1, w2, ws=None):
    branch = w2 @ np.maximum(0, w1 @ x)
    if ws is None:
        if branch.shape != x.shape:
            raise ValueError(f"shapes {branch.shape} and {x.shape} differ: a projection ws is needed")
        return np.maximum(0, branch + x)
    return np.maximum(0, branch + ws @ x)
''',
    "loops": '''
def projection_block(x, w1, w2, ws=None):
    import numpy as np
    n, h, m = len(x), len(w1), len(w2)
    if ws is None and m != n:
        raise ValueError("Projection needed: output size m=%d, input size n=%d" % (m, n))
    hidden = [max(0.0, sum(w1[j][i] * x[i] for i in range(n))) for j in range(h)]
    out = []
    for k in range(m):
        s = x[k] if ws is None else sum(ws[k][i] * x[i] for i in range(n))
        out.append(max(0.0, sum(w2[k][j] * hidden[j] for j in range(h)) + s))
    return np.array(out, dtype=float)
''',
    "einsum_float32": '''
import numpy as np

class ShapeMismatch(ValueError):
    pass

def projection_block(x, w1, w2, ws=None):
    x32 = np.asarray(x, dtype=np.float32)
    if ws is None and w2.shape[0] != x.shape[0]:
        raise ShapeMismatch(f"cannot add x {tuple(x.shape)} to an output {(w2.shape[0],)} without a PROJECTION")
    a = np.einsum("hn,n->h", w1.astype(np.float32), x32).clip(min=0)
    s = x32 if ws is None else np.einsum("mn,n->m", ws.astype(np.float32), x32)
    return np.maximum(np.einsum("mh,h->m", w2.astype(np.float32), a) + s, 0)
''',
    "printing_and_warnings": '''
import sys
import warnings
import numpy as np

def projection_block(x, w1, w2, ws=None):
    print("shapes:", x.shape, w1.shape, w2.shape, None if ws is None else ws.shape)
    warnings.warn("debugging projection_block")
    print("to stderr", file=sys.stderr)
    shortcut = x
    if ws is not None:
        shortcut = np.dot(ws, x)
    elif w2.shape[0] != x.size:
        raise ValueError("x has shape (%d,), the branch (%d,): use a projection" % (x.size, w2.shape[0]))
    return np.where(np.dot(w2, np.where(np.dot(w1, x) > 0, np.dot(w1, x), 0)) + shortcut > 0,
                    np.dot(w2, np.where(np.dot(w1, x) > 0, np.dot(w1, x), 0)) + shortcut, 0.0)
''',
    "column_vectors_and_copies": '''
import numpy as np

def projection_block(x, w1, w2, ws=None):
    x = np.array(x, dtype=float).reshape(-1, 1)
    m, n = w2.shape[0], x.shape[0]
    if ws is None:
        if m != n:
            raise ValueError(f"Dimension mismatch between output ({m},) and input ({n},); "
                             "pass a projection matrix ws")
        ws = np.eye(n)
    hidden = np.matmul(w1, x)
    hidden[hidden < 0] = 0
    y = np.matmul(w2, hidden) + np.matmul(ws, x)
    y[y < 0] = 0
    return y.ravel()
''',
    "check_first_with_shapes_in_words": '''
import numpy as np

def relu(v):
    return v * (v > 0)

def projection_block(x, w1, w2, ws=None):
    if ws is None and w2.shape[0] != x.shape[0]:
        raise ValueError("identity shortcut impossible: x has shape " + str(x.shape)
                         + " but w2 has shape " + str(w2.shape) + "; a projection is needed")
    s = x if ws is None else ws @ x
    return relu(w2 @ relu(w1 @ x) + s) + 0.0
''',
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_solutions_get_full_marks(grade, name):
    report = grade(CORRECT[name])
    assert report.score == report.max_score, [(c.name, c.feedback and c.feedback.rationale) for c in report.checks
                                              if not c.passed]
    assert report.diagnoses == ()


# ---------------------------------------------------------------------------- the error and its message
WRONG_ERROR_TYPE = '''
import numpy as np

def projection_block(x, w1, w2, ws=None):
    if ws is None and w2.shape[0] != x.shape[0]:
        raise TypeError(f"shapes ({w2.shape[0]},) and ({x.shape[0]},): a projection is needed")
    s = x if ws is None else ws @ x
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + s)
'''

VAGUE_MESSAGE = '''
import numpy as np

def projection_block(x, w1, w2, ws=None):
    if ws is None and w2.shape[0] != x.shape[0]:
        raise ValueError("shapes do not match")
    s = x if ws is None else ws @ x
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + s)
'''

NUMPY_MESSAGE = '''
import numpy as np

def projection_block(x, w1, w2, ws=None):
    s = x if ws is None else ws @ x  # no check: numpy refuses most mismatches, but broadcasts n = 1
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + s)
'''


def test_wrong_error_type_fails_the_error_checks_only(grade):
    report = grade(WRONG_ERROR_TYPE)
    assert set(failed(report)) == {"worked_example_3", "raises_without_projection", "error_message_names_shapes"}
    assert report.score == report.max_score - points(*failed(report))
    check = next(c for c in report.checks if c.name == "raises_without_projection")
    assert "TypeError" in check.feedback.rationale and "ValueError" in check.feedback.rationale
    assert "raises" in report.codes


def test_vague_message_loses_only_the_message_check(grade):
    report = grade(VAGUE_MESSAGE)
    assert failed(report) == ["error_message_names_shapes"]
    assert report.score == report.max_score - points("error_message_names_shapes")
    feedback = next(c for c in report.checks if c.name == "error_message_names_shapes").feedback
    assert "shapes do not match" in feedback.actual and "shapes do not match" in feedback.rationale
    assert feedback.call.startswith("projection_block(x=") and "ws=None" in feedback.call
    assert "projection" in feedback.rationale and "projection" in feedback.expected


def test_numpy_message_fails_the_message_check_and_the_n_is_1_cases(grade):
    report = grade(NUMPY_MESSAGE)
    assert set(failed(report)) == {"raises_without_projection", "error_message_names_shapes"}
    assert report.codes == ("no_shape_check",)
    feedback = next(c for c in report.checks if c.name == "error_message_names_shapes").feedback
    assert "operands could not be broadcast" in feedback.actual


@pytest.mark.parametrize(("message", "m", "n", "ok"), [
    ("branch has shape (3,) but x has shape (2,): a projection is needed", 3, 2, True),
    ("Projection needed: m=4, n=1", 4, 1, True),
    ("PROJECTION required for 5 -> 2", 2, 5, True),
    ("shapes (3,) and (2,) differ", 3, 2, False),
    ("a projection is needed for shape (3,)", 3, 2, False),
    ("a projection is needed: (13,) vs (22,)", 3, 2, False),
    ("", 3, 2, False),
])
def test_message_is_judged_loosely(message, m, n, ok):
    assert (message_problems(message, m, n) == []) is ok


_OUTPUTS: dict[str, list] = {}


def test_catalog_has_the_required_entries():
    required = {"ignores_projection", "adds_both_shortcuts", "relu_on_projection", "projection_transposed",
                "missing_final_relu", "truncates_or_pads", "missing_first_relu", "skip_after_final_relu"}
    assert required <= set(EXERCISE.codes)
    assert len(set(EXERCISE.codes)) == len(EXERCISE.codes)
    assert all(m.hint for m in EXERCISE.catalog)
    forms = {f.name for m in EXERCISE.catalog for f in m.forms}
    assert {"truncate_x", "zero_pad_x"} <= forms


# ------------------------------------------------------------------------------ structural mistakes
@pytest.mark.parametrize(("body", "code"), [
    ("return (w2 @ np.maximum(0, w1 @ x) + s).tolist()", "not_an_array"),
    ("return (w2 @ np.maximum(0, w1 @ x) + s).reshape(-1, 1)", "wrong_shape"),
    ("return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + s).astype(int)", "wrong_dtype"),
])
def test_wrong_type_or_shape_gets_the_structural_code(grade, body, code):
    source = ("import numpy as np\n\ndef projection_block(x, w1, w2, ws=None):\n"
              "    if ws is None and len(w2) != len(x):\n        raise ValueError('(%d,) vs (%d,): projection' % (len(w2), len(x)))\n"
              f"    s = x if ws is None else ws @ x\n    {body}\n")
    report = grade(source)
    assert code in report.codes
    assert "returns_float_array_of_shape_m" in failed(report)
    assert report.score < report.max_score


def test_mutating_an_input_is_reported(grade):
    source = ("import numpy as np\n\ndef projection_block(x, w1, w2, ws=None):\n"
              "    if ws is None and len(w2) != len(x):\n        raise ValueError('(%d,) vs (%d,): projection' % (len(w2), len(x)))\n"
              "    y = np.maximum(0, w2 @ np.maximum(0, w1 @ x) + (x if ws is None else ws @ x))\n"
              "    x *= 0.5  # in place: the caller's x changes\n"
              "    return y\n")
    report = grade(source)
    assert "mutates_input" in report.codes
    assert "leaves_inputs_unmodified" in failed(report)


def test_public_tests_do_not_import_the_kit_or_contain_the_reference():
    imports = [line for line in PUBLIC_TESTS.read_text().splitlines() if line.lstrip().startswith(("import ", "from "))]
    assert not [line for line in imports if "graders" in line or "solutions" in line or "gradekit" in line]
    # as strict as the release test: no code line of any reference, of any length, anywhere in a shipped file
    hidden = {line for ref in sorted((REPO / "solutions").glob("*.py")) for line in reference_lines(ref.read_text())}
    assert "raise ValueError(f\"the residual branch has shape ({m},) but x has shape ({n},): the identity \"" in hidden
    for path in (REPO / "exercises" / NAME).iterdir():
        if path.is_file():
            text = path.read_text()
            assert not [line for line in hidden if line in text], path.name


# ----------------------------------------------------------------------------------------- CLI
def gradekit(*args):
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=180)


def test_cli_lists_the_exercise():
    result = gradekit("list", "--json")
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["name"] == NAME)
    assert entry["title"] == EXERCISE.title and entry["max_score"] == EXERCISE.max_score
    assert (REPO / entry["stub"]).exists() and (REPO / entry["reference"]).exists()
