"""The engine beyond single-array functions: tuple results, None arguments and errors the reference raises
by design, on a toy exercise declared here (so these features are tested independently of any course unit)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graders.authoring import CaseSet, Example, FunctionExercise, agreement, loads, mistake
from graders.engine import messages as M
from graders.engine.grading import grade_source

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
REFERENCE = "tests/toy/reference.py"
SOURCE = (REPO / REFERENCE).read_text()


def model(x, w, ws=None, *, half=False, ignore_ws=False):
    if ws is None and w.shape[0] != x.shape[0]:
        raise ValueError("projection needed")
    shortcut = x if (ws is None or ignore_ws) else ws @ x
    y = np.maximum(0.0, w @ x + shortcut)
    return y, (1.0 if half else 2.0) * y


NUMBER = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def inputs(draw, *, project):
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = draw(arrays(float, n, elements=NUMBER))
    w = draw(arrays(float, (m, n), elements=NUMBER))
    return x, w, (draw(arrays(float, (m, n), elements=NUMBER)) if project else None)


loads()
agreement("identity", "projection", points=4, name="agrees")

TOY = FunctionExercise(
    name="toy_pair", title="toy", version="1", function="scaled_pair", parameters=("x", "w", "ws"),
    dims={"x": ("n",), "w": ("m", "n"), "ws": ("m", "n")}, output_dims=(),
    output_parts=(("y", ("m",)), ("y2", ("m",))), expected_errors=("ValueError",),
    examples=(Example((np.ones(2), np.eye(2), None), (np.full(2, 2.0), np.full(2, 4.0))),),
    case_sets=(CaseSet("identity", inputs(project=False), 20, "ws=None"),
               CaseSet("projection", inputs(project=True), 20, "with ws")),
    catalog=(mistake("half", "y2 is twice y", half=True),
             mistake("ignores_ws", "use ws @ x as the shortcut when ws is given", ignore_ws=True)),
    model=model, seed=7, reference=REFERENCE,
)


@pytest.fixture(scope="module")
def grade(sandbox):
    return lambda source: grade_source(TOY, source, sandbox=sandbox, submission="toy")


def test_the_toy_has_cases_where_the_reference_raises():
    from graders.engine.compare import reference_data

    raises = [e for e in reference_data(TOY).expected if e.raises]
    assert raises and all(e.raises == "ValueError" for e in raises)


def test_reference_full_marks(grade):
    report = grade(SOURCE)
    assert report.score == report.max_score and not report.diagnoses


def test_a_catalog_mistake_in_a_tuple_result_is_named(grade):
    report = grade(SOURCE.replace("2.0 * y", "1.0 * y"))
    assert report.codes == ("half",)
    assert report.score == 0  # wrong on every generated case: no points for loading either


def test_a_catalog_mistake_that_also_breaks_shapes_is_named_with_the_shape(grade):
    # ignoring ws broadcasts x into some results (m = 1 < n): the shape is wrong there, the values elsewhere
    report = grade(SOURCE.replace("x if ws is None else ws @ x", "x"))
    assert set(report.codes) == {"wrong_shape", "ignores_ws"}


def test_returning_instead_of_raising_fails_and_is_reported(grade):
    source = SOURCE.replace("raise ValueError", "return np.zeros(1), np.zeros(1)  #")
    report = grade(source)
    assert report.score < report.max_score
    failing = next(c for c in report.checks if c.name == "agrees")
    assert "ValueError to be raised" in failing.feedback.rationale


def test_wrong_kind_of_error_is_named_raises(grade):
    report = grade(SOURCE.replace("raise ValueError", "raise TypeError"))
    assert "raises" in report.codes
    failing = next(c for c in report.checks if c.name == "agrees")
    assert M.WRONG_ERROR_DETAIL.format(expected="ValueError") in failing.feedback.rationale


def test_a_subclass_of_the_expected_error_is_accepted(grade):
    source = "class ShapeError(ValueError):\n    pass\n\n" + SOURCE.replace("raise ValueError", "raise ShapeError")
    report = grade(source)
    assert report.score == report.max_score


def test_single_array_instead_of_a_tuple_is_not_an_array(grade):
    report = grade(SOURCE.replace("return y, 2.0 * y", "return y"))
    assert report.codes[0] == "not_an_array"
    assert M.TUPLE_EXPECTED.format(count=2, names="y, y2") in report.diagnoses[0].message


def test_wrong_shape_names_the_part(grade):
    report = grade(SOURCE.replace("return y, 2.0 * y", "return y, (2.0 * y)[:, None]"))
    assert report.codes == ("wrong_shape",)
    assert report.diagnoses[0].message.startswith(M.STRUCTURAL_OF_PART["wrong_shape"].split("{part}")[0].format(
        function="scaled_pair"))
    assert " y2 with shape (1, 1), expected (1,)" in report.diagnoses[0].message


def test_none_arguments_reach_the_learner_and_show_in_calls(grade):
    report = grade(SOURCE.replace("2.0 * y", "2.0 * y if ws is not None else 3.0 * y"))
    assert report.counterexample is not None and "ws=None" in report.counterexample.call
