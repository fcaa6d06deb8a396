"""Grader for the residual unit y = ReLU(w2 @ ReLU(w1 @ x) + x). Hidden: never shipped to learners."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.authoring import (
    CaseSet,
    Example,
    Form,
    FunctionExercise,
    agreement,
    inputs_unmodified,
    loads,
    mistake,
    mistakes,
    output_structure,
    strategies,
    worked_examples,
)
from graders.exercises.residual_unit.model import OUTPUT, SUM, model, tolerance_scale, trace

# ----------------------------------------------------------------------------------- mistake catalog
CATALOG = (
    mistakes.missing_first_relu(),
    mistakes.missing_final_relu("x", "unit", step=OUTPUT),
    mistakes.extra_relu_before_skip("x"),
    mistakes.skip_after_final_relu("y = ReLU(F(x) + x)", step=SUM),
    mistake("missing_skip", "The residual unit adds the input x back (the skip connection) before the final ReLU.",
            detail="you never add the shortcut x", skip=0.0, step=SUM),
    mistake("skip_subtracted", "The shortcut is added, not subtracted: y = ReLU(F(x) + x).",
            detail="you subtract x instead of adding it", skip=-1.0, step=SUM),
    mistake("relu_on_shortcut", "The identity shortcut carries x itself, not ReLU(x).",
            detail="you add ReLU(x) instead of x", act_on_shortcut=True, step=SUM),
    mistakes.transposed_weights("w2 (n, h) maps back as w2 @ a"),
    mistake("swapped_weights", "w1 is the first layer and w2 the second: y = ReLU(w2 @ ReLU(w1 @ x) + x).",
            detail="you apply w2 first and w1 second", swap=True, step=mistakes.HIDDEN),
    mistake("wrong_activation", "ReLU is max(0, v), applied element-wise.",
            forms=tuple(Form(name, {"act": name}, f"you use {label} where ReLU belongs", mistakes.ACTIVATION)
                        for name, label in (("sigmoid", "a sigmoid"), ("tanh", "tanh"),
                                            ("leaky_relu", "a leaky ReLU"), ("min_relu", "min(0, v)")))),
)

# -------------------------------------------------------------------------------- generated inputs
NUMBERS = strategies.numbers()


@st.composite
def residual_inputs(draw, *, sizes, hidden, elements=NUMBERS, scale=1.0):
    n = draw(sizes)
    h = draw(hidden(n))
    x = draw(strategies.array(n, elements)) * scale
    w1 = draw(strategies.array((h, n), elements))
    w2 = draw(strategies.array((n, h), elements))
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
    CaseSet("n_is_1", residual_inputs(sizes=st.just(1), hidden=ANY_WIDTH), 5, "a single input feature (n = 1)"),
    CaseSet("zero_w2", GENERAL.map(lambda c: (c[0], c[1], np.zeros_like(c[2]))), 5, "w2 = 0 (the unit is ReLU(x))"),
)

# ----------------------------------------------------------------------------------------- checks
loads()
worked_examples()
output_structure(name="returns_float_array_of_shape_n")
inputs_unmodified()
agreement("square", points=4)
agreement("hidden_width", points=5)
agreement(*(c.name for c in EDGE_SETS), points=5, name="matches_reference_edge_cases", topic="edge cases")


def _eye(n, scale=1.0):
    return np.eye(n) * scale


# --------------------------------------------------------------------------------- rubric
# Points each catalogued mistake deducts under rubric scoring (`--scoring rubric`), as a TA's rubric would.
RUBRIC = {
    "missing_first_relu": 5,
    "missing_final_relu": 5,
    "extra_relu_before_skip": 5,
    "skip_after_final_relu": 5,
    "missing_skip": 10,
    "skip_subtracted": 6,
    "relu_on_shortcut": 5,
    "transposed_weights": 6,
    "swapped_weights": 6,
    "wrong_activation": 6,
}


# --------------------------------------------------------------------------------- concepts
# What each catalogued mistake is about: the course page follows a concept across exercises.
CONCEPTS = {
    "missing_first_relu": "hidden_relu",
    "missing_final_relu": "final_relu",
    "extra_relu_before_skip": "relu_placement",
    "skip_after_final_relu": "relu_placement",
    "missing_skip": "skip_connection",
    "skip_subtracted": "skip_connection",
    "relu_on_shortcut": "relu_placement",
    "transposed_weights": "weight_orientation",
    "swapped_weights": "layer_order",
    "wrong_activation": "activation",
}


EXERCISE = FunctionExercise(
    name="residual_unit",
    title="Residual unit: y = ReLU(w2 @ ReLU(w1 @ x) + x)",
    order=1,
    function="residual_block",
    parameters=("x", "w1", "w2"),
    dims={"x": ("n",), "w1": ("h", "n"), "w2": ("n", "h")},
    output_dims=("n",),
    examples=(
        Example((np.array([1.0, 2.0]), _eye(2), _eye(2, 0.5)), np.array([1.5, 3.0])),
        Example((np.array([1.0, 0.0, -1.0]), _eye(3), _eye(3)), np.array([2.0, 0.0, 0.0])),
        Example((np.array([2.0, -3.0]), _eye(2), _eye(2, 0.5)), np.array([3.0, 0.0])),
    ),
    case_sets=(
        CaseSet("square", SQUARE, 40, "generated inputs with square weights (h = n)"),
        CaseSet("hidden_width", HIDDEN_WIDTH, 40, "generated inputs with a hidden width h different from n"),
        *EDGE_SETS,
    ),
    catalog=CATALOG,
    rubric=RUBRIC,
    concepts=CONCEPTS,
    model=model,
    trace=trace,
    tolerance_scale=tolerance_scale,
    seed=20261122,
)
