"""Grader for the backward pass of the residual unit y = ReLU(w2 @ ReLU(w1 @ x) + x).
Hidden: never shipped to learners."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from graders.authoring import (
    CaseSet,
    Example,
    Form,
    FunctionExercise,
    Mismatch,
    agreement,
    check,
    format_number,
    inputs_unmodified,
    loads,
    mistake,
    output_structure,
    show_parts,
    strategies,
    worked_examples,
)
from graders.exercises.residual_backward.model import (
    G_A,
    G_H,
    G_Z,
    GRAD_W1,
    GRAD_W2,
    GRAD_X,
    model,
    tolerance_scale,
    trace,
)

PARTS = (("grad_x", ("n",)), ("grad_w1", ("h", "n")), ("grad_w2", ("n", "h")))
PART_NAMES = tuple(name for name, _ in PARTS)
PARAMETERS = ("x", "w1", "w2", "grad_y")

# ----------------------------------------------------------------------------------- mistake catalog
BOTH_MASKS_ARE_RELU = {"final_mask": "value", "first_mask": "value"}
CATALOG = (
    mistake("missing_shortcut_gradient",
            "The shortcut adds x to the branch, so x reaches the loss along two paths and their gradients add: "
            "grad_x = w1.T @ g_h + g_z, where g_z = grad_y * (z > 0) is the gradient at the final ReLU's input. "
            "The '+ g_z' is the identity path (dz/dx = w2 @ diag(ReLU'(w1 @ x)) @ w1 + I).",
            detail="grad_x lacks the + g_z term of the identity path", shortcut="none", step=GRAD_X),
    mistake("shortcut_gradient_unmasked",
            "The identity path also passes through the final ReLU: add g_z = grad_y * (z > 0) to grad_x, "
            "not grad_y itself.",
            detail="grad_x adds grad_y instead of g_z = grad_y * (z > 0)", shortcut="unmasked", step=GRAD_X),
    mistake("missing_final_relu_mask",
            "Backpropagate through the final ReLU first: g_z = grad_y * (z > 0) with z = w2 @ ReLU(w1 @ x) + x. "
            "Outputs that the final ReLU clipped to 0 pass no gradient back.",
            detail="you use grad_y where g_z = grad_y * (z > 0) belongs", final_mask="none", step=G_Z),
    mistake("final_mask_without_shortcut",
            "The final ReLU acts on the sum z = w2 @ a + x: take its mask (z > 0) from that sum, shortcut "
            "included, not from the branch w2 @ a alone.",
            detail="the final ReLU's mask is computed from w2 @ a instead of w2 @ a + x", final_mask="branch",
            step=G_Z),
    mistake("missing_first_relu_mask",
            "Backpropagate through the hidden ReLU too: g_h = (w2.T @ g_z) * (w1 @ x > 0). Hidden units that "
            "the first ReLU switched off pass no gradient to w1 or x.",
            detail="you use w2.T @ g_z where g_h = (w2.T @ g_z) * (w1 @ x > 0) belongs", first_mask="none",
            step=G_H),
    mistake("relu_instead_of_derivative",
            "The derivative of ReLU is the step ReLU'(v) = 1 where v > 0, else 0: multiply the gradient by "
            "(v > 0), not by ReLU(v).",
            forms=(Form("final", {"final_mask": "value"}, "at the final ReLU you multiply by ReLU(z) instead of (z > 0)",
                        G_Z),
                   Form("hidden", {"first_mask": "value"},
                        "at the hidden ReLU you multiply by ReLU(w1 @ x) instead of (w1 @ x > 0)", G_H),
                   Form("both", BOTH_MASKS_ARE_RELU, "at both ReLUs you multiply by ReLU(v) instead of (v > 0)", G_Z))),
    mistake("outer_product_reversed",
            "A weight's gradient has the weight's shape: grad_w1 = outer(g_h, x) is (h, n) like w1, and "
            "grad_w2 = outer(g_z, a) is (n, h) like w2. np.outer(u, v)[i, j] = u[i] * v[j]: the gradient of the "
            "layer's output comes first, the layer's input second.",
            forms=(Form("grad_w1", {"outer_w1": "reversed"},
                        "grad_w1 is np.outer(x, g_h), shape (n, h) instead of (h, n): the outer product is the "
                        "wrong way round (its transpose when h = n)", GRAD_W1),
                   Form("grad_w2", {"outer_w2": "reversed"},
                        "grad_w2 is np.outer(a, g_z), shape (h, n) instead of (n, h): the outer product is the "
                        "wrong way round (its transpose when h = n)", GRAD_W2),
                   Form("both", {"outer_w1": "reversed", "outer_w2": "reversed"},
                        "grad_w1 and grad_w2 are both outer products the wrong way round (shapes (n, h) and "
                        "(h, n) instead of (h, n) and (n, h))", GRAD_W2))),
    mistake("weights_not_transposed",
            "Going backward through v -> w @ v multiplies by the transpose: dL/dv = w.T @ dL/d(w @ v). "
            "w2 is (n, h), so w2.T @ g_z is (h,); w1 is (h, n), so w1.T @ g_h is (n,).",
            forms=(Form("w1", {"transpose_w1": False}, "grad_x uses w1 @ g_h instead of w1.T @ g_h", GRAD_X),
                   Form("w2", {"transpose_w2": False}, "the hidden gradient uses w2 @ g_z instead of w2.T @ g_z", G_A),
                   Form("both", {"transpose_w1": False, "transpose_w2": False},
                        "neither weight is transposed: w2 @ g_z and w1 @ g_h instead of w2.T @ g_z and w1.T @ g_h",
                        G_A))),
    mistake("preactivation_in_weight_gradient",
            "grad_w2 = outer(g_z, a) multiplies by what w2 multiplied in the forward pass: the activation "
            "a = ReLU(w1 @ x), not the pre-activation w1 @ x.",
            detail="grad_w2 uses the pre-activation w1 @ x instead of a = ReLU(w1 @ x)", w2_input="preactivation",
            step=GRAD_W2),
)

# -------------------------------------------------------------------------------- generated inputs
# Every pre-activation (w1 @ x and w2 @ ReLU(w1 @ x) + x) is kept at least MARGIN away from 0: ReLU has no
# derivative at 0, and away from it central differences are exact up to rounding. The branch w2 @ a is kept
# away from 0 too (unless it is an exact sum of zeros), so that a mask wrongly taken from it is well defined.
MARGIN = 0.05
NUMBERS = strategies.numbers(3, 4.0, no_negative_zero=True)
POSITIVE = st.one_of(st.integers(1, 3).map(float), st.floats(0.1, 4).map(lambda v: round(v, 3)))


def forward_parts(x, w1, w2):
    z1 = w1 @ x
    a = np.maximum(0.0, z1)
    return z1, a, w2 * a, w2 @ a + x


def away_from_kinks(case) -> bool:
    x, w1, w2, _ = case
    z1, _, products, z2 = forward_parts(x, w1, w2)
    branch = products.sum(axis=1)
    branch_ok = (np.abs(branch) >= MARGIN) | np.all(products == 0, axis=1)
    return bool(np.all(np.abs(z1) >= MARGIN) and np.all(np.abs(z2) >= MARGIN) and np.all(branch_ok))


def both_signs(v) -> bool:
    return bool((v > 0).any() and (v < 0).any())


def mixed_masks(case) -> bool:
    """Both ReLUs clip some elements and pass others, and the gradient reaches the clipped ones."""
    x, w1, w2, grad_y = case
    z1, _, _, z2 = forward_parts(x, w1, w2)
    return both_signs(z1) and both_signs(z2) and bool(np.all(grad_y != 0))


@st.composite
def raw_inputs(draw, *, sizes, hidden, elements=NUMBERS, grad=NUMBERS):
    n = draw(sizes)
    h = draw(hidden(n))
    x = draw(strategies.array(n, elements))
    w1 = draw(strategies.array((h, n), elements))
    w2 = draw(strategies.array((n, h), elements))
    grad_y = draw(strategies.array(n, grad))
    return x, w1, w2, grad_y


def backward_inputs(**kwargs):
    return raw_inputs(**kwargs).filter(away_from_kinks)


def rows_with_sign(case, sign: float):
    """w1 with some rows negated so that every element of w1 @ x has the given sign."""
    x, w1, w2, grad_y = case
    flip = np.where(sign * (w1 @ x) < 0, -1.0, 1.0)
    return x, w1 * flip[:, None] + 0.0, w2, grad_y  # + 0.0: no -0.0 in the displayed inputs


SIZES = st.integers(1, 5)
SQUARE = st.just
OTHER_WIDTH = lambda n: st.integers(1, 6).filter(lambda h: h != n)  # noqa: E731
ANY_WIDTH = lambda n: st.integers(1, 6)  # noqa: E731
GENERAL = raw_inputs(sizes=SIZES, hidden=ANY_WIDTH)
# Each edge kind is its own set, so every kind is drawn (one_of would favour the simplest branch).
EDGE_SETS = (
    CaseSet("dead_hidden", GENERAL.map(lambda c: rows_with_sign(c, -1.0)).filter(away_from_kinks), 6,
            "every hidden unit switched off (w1 @ x < 0)"),
    CaseSet("all_active", backward_inputs(sizes=SIZES, hidden=ANY_WIDTH, elements=POSITIVE), 5,
            "every unit active (positive x and weights)"),
    CaseSet("zero_grad", backward_inputs(sizes=SIZES, hidden=ANY_WIDTH, grad=st.just(0.0)), 3, "grad_y = 0"),
    CaseSet("tiny_grad", backward_inputs(sizes=SIZES, hidden=ANY_WIDTH).map(lambda c: (*c[:3], c[3] * 1e-3)), 5,
            "tiny grad_y"),
    CaseSet("large", backward_inputs(sizes=SIZES, hidden=ANY_WIDTH).map(lambda c: (c[0] * 100, c[1], c[2],
                                                                                   c[3] * 100)), 5,
            "large x and grad_y"),
    CaseSet("n_is_1", backward_inputs(sizes=st.just(1), hidden=ANY_WIDTH), 5, "a single input feature"),
    CaseSet("h_is_1", backward_inputs(sizes=st.integers(2, 5), hidden=lambda n: st.just(1)), 5,
            "a single hidden unit"),
)
ZERO_W2 = GENERAL.map(lambda c: (c[0], c[1], np.zeros_like(c[2]), c[3])).filter(away_from_kinks)
# Small on purpose: the numerical gradient check differentiates every input element twice.
NUMERICAL = backward_inputs(sizes=st.integers(1, 4), hidden=lambda n: st.integers(1, 4))

# ---------------------------------------------------------------------------- numerical gradients
FD_STEP = 1e-6
FD_RTOL = 1e-5  # central differences are exact up to rounding here (no kink within a step)


def numerical_gradients(x, w1, w2, grad_y) -> tuple[np.ndarray, ...]:
    """Central differences of L = grad_y · y, y = ReLU(w2 @ ReLU(w1 @ x) + x), for each element of x, w1
    and w2. Computed in the grader from the forward pass alone (never from the learner's code)."""

    def loss(args):
        _, _, _, z2 = forward_parts(*args)
        return float(grad_y @ np.maximum(0.0, z2))

    base = [np.array(a, dtype=float) for a in (x, w1, w2)]
    grads = []
    for k, arg in enumerate(base):
        g = np.zeros_like(arg)
        for idx in np.ndindex(arg.shape):
            args = [a.copy() for a in base]
            args[k][idx] = arg[idx] + FD_STEP
            up = loss(args)
            args[k][idx] = arg[idx] - FD_STEP
            g[idx] = (up - loss(args)) / (2 * FD_STEP)
        grads.append(g)
    return tuple(grads)


def index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


# ----------------------------------------------------------------------------------------- checks


loads()
worked_examples()
output_structure(name="returns_three_float_arrays")
inputs_unmodified()
agreement("square", points=3)
agreement("hidden_width", points=4)
agreement("mixed_masks", points=3)
agreement("zero_w2", points=2, name="shortcut_carries_gradient",
          label="with w2 = 0 the branch passes no gradient back, yet grad_x still gets grad_y (where x > 0) through "
                "the shortcut")
agreement(*(c.name for c in EDGE_SETS), points=3, name="matches_reference_edge_cases", topic="edge cases")


@check(points=4)
def agrees_with_finite_differences(ctx):
    """agrees with a numerical gradient check: central finite differences of the forward pass"""
    ctx.require_loaded()
    for trial in ctx.simplest_first(ctx.of_set("numerical")):
        if not ctx.comparable(trial):
            if not trial.verdict.ok:
                raise ctx.describe_failure(trial)
            continue
        got = [item.array for item in trial.outcome.value.items]
        numeric = numerical_gradients(*trial.case.args)
        scales = tolerance_scale(*trial.case.args)
        for name, param, mine, num, scale in zip(PART_NAMES, PARAMETERS, got, numeric, scales):
            err = np.abs(mine - num) - FD_RTOL * (scale + np.abs(num) + 1.0)
            if np.all(err <= 0):
                continue
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), num.shape))
            call = ctx.exercise.call_text(trial.case.args)
            where = index_text(index)
            expected, actual = show_parts(numeric, PART_NAMES), show_parts(got, PART_NAMES)
            raise Mismatch(
                expected, actual, call=call,
                rationale=(f"{call}: nudging {param}{where} by ±{FD_STEP:g} changes L = grad_y · y at the rate "
                           f"{format_number(num[index])}, but your {name}{where} = {format_number(mine[index])}. "
                           f"Numerical gradients {expected}, yours {actual}"),
                help="Differentiate the forward pass step by step (README: 'The backward pass'), and compare "
                     "each intermediate gradient with a finite difference of your own.")
    if not ctx.of_set("numerical"):
        raise RuntimeError("no cases in the numerical set")  # a grader bug: reported as an error


def _eye(n, scale=1.0):
    return np.eye(n) * scale


def laid_out(x, w1, w2, grad_y, **overrides):
    """The model's gradients as the engine compares a learner's: each part holding the expected number of
    numbers is read in the expected shape (a reversed (n, h) outer product is compared element by element
    with the (h, n) one), so a variant that returns a wrong shape is still comparable."""
    n, h = np.shape(x)[0], np.shape(w1)[0]
    parts = model(x, w1, w2, grad_y, **overrides)
    shapes = ((n,), (h, n), (n, h))
    return tuple(p.reshape(s) if p.size == math.prod(s) else p for p, s in zip(parts, shapes))


EXAMPLE_3 = (np.array([1.0, -1.0]), np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]),
             np.array([[1.0, 2.0, 1.0], [0.0, 1.0, -1.0]]), np.array([1.0, 2.0]))

# --------------------------------------------------------------------------------- rubric
# Points each catalogued mistake deducts under rubric scoring (`--scoring rubric`), as a TA's rubric would.
RUBRIC = {
    "missing_shortcut_gradient": 8,
    "shortcut_gradient_unmasked": 5,
    "missing_final_relu_mask": 6,
    "final_mask_without_shortcut": 5,
    "missing_first_relu_mask": 6,
    "relu_instead_of_derivative": 6,
    "outer_product_reversed": 5,
    "weights_not_transposed": 6,
    "preactivation_in_weight_gradient": 5,
}


# --------------------------------------------------------------------------------- concepts
# What each catalogued mistake is about: the course page follows a concept across exercises.
CONCEPTS = {
    "missing_shortcut_gradient": "skip_connection",
    "shortcut_gradient_unmasked": "final_relu",
    "missing_final_relu_mask": "final_relu",
    "final_mask_without_shortcut": "final_relu",
    "missing_first_relu_mask": "hidden_relu",
    "relu_instead_of_derivative": "activation_derivative",
    "outer_product_reversed": "weight_orientation",
    "weights_not_transposed": "weight_orientation",
    "preactivation_in_weight_gradient": "activation",
}


EXERCISE = FunctionExercise(
    name="residual_backward",
    title="Residual unit, backward pass: the gradients of y = ReLU(w2 @ ReLU(w1 @ x) + x)",
    order=3,
    function="residual_block_backward",
    parameters=PARAMETERS,
    dims={"x": ("n",), "w1": ("h", "n"), "w2": ("n", "h"), "grad_y": ("n",)},
    output_dims=(),
    output_parts=PARTS,
    examples=(
        Example((np.array([1.0, 2.0]), _eye(2), _eye(2, 0.5), np.array([1.0, 1.0])),
                (np.array([1.5, 1.5]), np.array([[0.5, 1.0], [0.5, 1.0]]), np.array([[1.0, 2.0], [1.0, 2.0]])),
                "every unit active"),
        Example((np.array([1.0, -2.0]), _eye(2), _eye(2), np.array([2.0, 3.0])),
                (np.array([4.0, 0.0]), np.array([[2.0, -4.0], [0.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 0.0]])),
                "each ReLU clips one element"),
        Example(EXAMPLE_3,
                (np.array([4.0, 1.0]), np.array([[1.0, -1.0], [0.0, 0.0], [1.0, -1.0]]),
                 np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])),
                "non-square weights, n = 2, h = 3"),
    ),
    case_sets=(
        CaseSet("square", backward_inputs(sizes=SIZES, hidden=SQUARE), 40,
                "generated inputs with square weights (h = n)"),
        CaseSet("hidden_width", backward_inputs(sizes=SIZES, hidden=OTHER_WIDTH), 40,
                "generated inputs with a hidden width h different from n"),
        CaseSet("mixed_masks", backward_inputs(sizes=st.integers(2, 5), hidden=lambda n: st.integers(2, 6))
                .filter(mixed_masks), 20, "inputs where both ReLUs clip some elements and pass others"),
        CaseSet("zero_w2", ZERO_W2, 6, "w2 = 0: only the shortcut carries gradient to x"),
        *EDGE_SETS,
        CaseSet("numerical", NUMERICAL, 12, "small cases for the numerical gradient check"),
    ),
    catalog=CATALOG,
    rubric=RUBRIC,
    concepts=CONCEPTS,
    model=laid_out,
    trace=trace,
    tolerance_scale=tolerance_scale,
    admissible=lambda *args: away_from_kinks(args),  # counterexamples stay off ReLU's kinks too
    seed=20261207,
)
