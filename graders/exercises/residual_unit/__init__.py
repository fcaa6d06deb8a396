"""Grader for the residual unit y = ReLU(w2 @ ReLU(w1 @ x) + x). Hidden: never shipped to learners."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from graders.engine.exercise import CaseSet, Example, Exercise, Form, check, mistake
from graders.exercises.residual_unit.model import model, tolerance_scale

# ----------------------------------------------------------------------------------- mistake catalog
CATALOG = (
    mistake("missing_first_relu", "The hidden layer needs its ReLU: compute ReLU(w1 @ x) before multiplying by w2.",
            detail="you use w1 @ x without the first ReLU", first_act=False),
    mistake("missing_final_relu", "Apply ReLU to the sum w2 @ ReLU(w1 @ x) + x: the unit's output is never negative.",
            detail="you return w2 @ ReLU(w1 @ x) + x without the final ReLU", final_act=False),
    mistake("extra_relu_before_skip", "Do not apply ReLU to the branch before the addition: add x to w2 @ ReLU(w1 @ x) first, then apply ReLU once.",
            detail="you apply ReLU to w2 @ ReLU(w1 @ x) before adding x", branch_act=True),
    mistake("skip_after_final_relu", "Add the shortcut x before the final ReLU, not after it: y = ReLU(F(x) + x).",
            detail="you add the shortcut after the final ReLU", skip_after_final=True),
    mistake("missing_skip", "The residual unit adds the input x back (the skip connection) before the final ReLU.",
            detail="you never add the shortcut x", skip=0.0),
    mistake("skip_subtracted", "The shortcut is added, not subtracted: y = ReLU(F(x) + x).",
            detail="you subtract x instead of adding it", skip=-1.0),
    mistake("relu_on_shortcut", "The identity shortcut carries x itself, not ReLU(x).",
            detail="you add ReLU(x) instead of x", act_on_shortcut=True),
    mistake("transposed_weights", "w1 has shape (h, n) and maps x (n,) to the hidden layer as w1 @ x; w2 (n, h) maps back as w2 @ a.",
            forms=(Form("w1_transposed", {"transpose_w1": True}, "w1 is applied transposed (as x @ w1 or w1.T @ x)"),
                   Form("w2_transposed", {"transpose_w2": True}, "w2 is applied transposed (as a @ w2 or w2.T @ a)"),
                   Form("both_transposed", {"transpose_w1": True, "transpose_w2": True},
                        "both weights are applied transposed (x @ w1, then @ w2)"))),
    mistake("swapped_weights", "w1 is the first layer and w2 the second: y = ReLU(w2 @ ReLU(w1 @ x) + x).",
            detail="you apply w2 first and w1 second", swap=True),
    mistake("wrong_activation", "ReLU is max(0, v), applied element-wise.",
            forms=tuple(Form(name, {"act": name}, f"you use {label} where ReLU belongs")
                        for name, label in (("sigmoid", "a sigmoid"), ("tanh", "tanh"),
                                            ("leaky_relu", "a leaky ReLU"), ("min_relu", "min(0, v)")))),
)

# -------------------------------------------------------------------------------- generated inputs
NUMBERS = st.one_of(
    st.integers(-4, 4).map(float),
    st.sampled_from([0.5, -0.5, 0.25, -1.5, 2.5]),
    # rounded so that counterexamples stay readable; still dense enough to separate every variant
    st.floats(-8, 8, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3)),
)


@st.composite
def residual_inputs(draw, *, sizes, hidden, elements=NUMBERS, scale=1.0):
    n = draw(sizes)
    h = draw(hidden(n))
    x = draw(arrays(np.float64, n, elements=elements)) * scale
    w1 = draw(arrays(np.float64, (h, n), elements=elements))
    w2 = draw(arrays(np.float64, (n, h), elements=elements))
    return x, w1, w2


SIZES = st.integers(1, 6)
SQUARE = residual_inputs(sizes=SIZES, hidden=st.just)
HIDDEN_WIDTH = residual_inputs(sizes=SIZES, hidden=lambda n: st.integers(1, 7).filter(lambda h: h != n))
ANY_WIDTH = lambda n: st.integers(1, 7)  # noqa: E731
GENERAL = residual_inputs(sizes=SIZES, hidden=ANY_WIDTH)
# Each edge kind is its own set, so every kind is drawn (one_of would favour the simplest branch).
EDGE_SETS = (
    CaseSet("zeros", residual_inputs(sizes=SIZES, hidden=ANY_WIDTH, elements=st.just(0.0)), 4, "all-zero inputs"),
    CaseSet("negative_x", GENERAL.map(lambda c: (-np.abs(c[0]) - 0.5, c[1], c[2])), 6, "strictly negative x"),
    CaseSet("tiny", residual_inputs(sizes=SIZES, hidden=ANY_WIDTH, scale=1e-3), 5, "tiny magnitudes"),
    CaseSet("large", GENERAL.map(lambda c: (c[0] * 1e3, c[1] * 10, c[2] * 10)), 5, "large magnitudes"),
    CaseSet("n_is_1", residual_inputs(sizes=st.just(1), hidden=ANY_WIDTH), 5, "a single input feature"),
    CaseSet("zero_w2", GENERAL.map(lambda c: (c[0], c[1], np.zeros_like(c[2]))), 5, "w2 = 0: the unit is ReLU(x)"),
)

# ----------------------------------------------------------------------------------------- checks


@check(points=1)
def loads(ctx):
    """residual_unit.py loads, and residual_block(x, w1, w2) can be called and returns"""
    ctx.require_callable()


@check(points=1)
def worked_example_1(ctx):
    """worked example 1: x = [1, 2], w1 = I, w2 = 0.5·I gives [1.5, 3.0]"""
    ctx.expect_example(0)


@check(points=1)
def worked_example_2(ctx):
    """worked example 2: x = [1, 0, -1], w1 = w2 = I gives [2.0, 0.0, 0.0]"""
    ctx.expect_example(1)


@check(points=1)
def worked_example_3(ctx):
    """worked example 3: x = [2, -3], w1 = I, w2 = 0.5·I gives [3.0, 0.0]"""
    ctx.expect_example(2)


@check(points=1)
def returns_float_array_of_shape_n(ctx):
    """returns a float numpy array of shape (n,)"""
    ctx.expect_array_of_output_shape()


@check(points=1)
def leaves_inputs_unmodified(ctx):
    """leaves x, w1 and w2 unmodified"""
    ctx.expect_inputs_unmodified()


@check(points=4)
def matches_reference_square(ctx):
    """matches the reference on generated inputs with square weights (h = n)"""
    ctx.expect_agreement("square")


@check(points=5)
def matches_reference_hidden_width(ctx):
    """matches the reference on generated inputs with a hidden width h different from n"""
    ctx.expect_agreement("hidden_width")


@check(points=5)
def matches_reference_edge_cases(ctx):
    """matches the reference on edge cases: zeros, negative inputs, tiny and large magnitudes, n = 1"""
    ctx.expect_agreement(*(c.name for c in EDGE_SETS))


def _eye(n, scale=1.0):
    return np.eye(n) * scale


EXERCISE = Exercise(
    name="residual_unit",
    title="Residual unit: y = ReLU(w2 @ ReLU(w1 @ x) + x)",
    version="1",
    function="residual_block",
    parameters=("x", "w1", "w2"),
    dims={"x": ("n",), "w1": ("h", "n"), "w2": ("n", "h")},
    output_dims=("n",),
    examples=(
        Example((np.array([1.0, 2.0]), _eye(2), _eye(2, 0.5)), np.array([1.5, 3.0]), "worked example 1"),
        Example((np.array([1.0, 0.0, -1.0]), _eye(3), _eye(3)), np.array([2.0, 0.0, 0.0]), "worked example 2"),
        Example((np.array([2.0, -3.0]), _eye(2), _eye(2, 0.5)), np.array([3.0, 0.0]), "worked example 3"),
    ),
    case_sets=(
        CaseSet("square", SQUARE, 40, "square weights, h = n"),
        CaseSet("hidden_width", HIDDEN_WIDTH, 40, "hidden width h != n"),
        *EDGE_SETS,
    ),
    checks=(loads, worked_example_1, worked_example_2, worked_example_3, returns_float_array_of_shape_n,
            leaves_inputs_unmodified, matches_reference_square, matches_reference_hidden_width,
            matches_reference_edge_cases),
    catalog=CATALOG,
    model=model,
    tolerance_scale=tolerance_scale,
    seed=20261122,
    stub="exercises/residual_unit/residual_unit.py",
    reference="solutions/residual_unit.py",
    readme="exercises/residual_unit/README.md",
)
