"""Grader for gradient flow through deep plain and residual tanh stacks. Hidden: never shipped to learners.

layer_gradient_norms(x, weights, residual) returns, for the loss 0.5 * ||h_L||^2, the norms
[||dLoss/dh_0||, ..., ||dLoss/dh_{L-1}||] of the gradient arriving at each layer's input (see model.py).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.authoring import (
    CaseSet,
    Example,
    Failure,
    Form,
    FunctionExercise,
    agreement,
    check,
    inputs_unmodified,
    loads,
    mistake,
    output_structure,
    strategies,
    worked_examples,
)
from graders.exercises.gradient_flow.model import model, tolerance_scale

# ----------------------------------------------------------------------------------- mistake catalog
CATALOG = (
    mistake("missing_identity_backward",
            "In a residual stack h_l = h_{l-1} + tanh(W_l @ h_{l-1}) the gradient flows back along two paths: "
            "g_{l-1} = W_l.T @ delta_l + g_l. The `+ g_l` (the identity/skip path) is what keeps it from vanishing.",
            detail="in the residual stack you back-propagate only through the branch (W_l.T @ delta_l) and drop "
                   "the identity path + g_l", identity_backward=False),
    mistake("subtracted_skip",
            "A residual layer adds its branch to its input: h_l = h_{l-1} + tanh(W_l @ h_{l-1}); nothing is "
            "subtracted, in the forward or in the backward pass.",
            detail="your residual layer subtracts: h_{l-1} - tanh(W_l @ h_{l-1}) (or tanh(W_l @ h_{l-1}) - h_{l-1}, "
                   "which gives the same norms)", branch_sign=-1.0),
    mistake("wrong_activation_derivative",
            "The derivative of tanh at the pre-activation z_l = W_l @ h_{l-1} is 1 - tanh(z_l)**2 = 1 - a_l**2, "
            "with a_l = tanh(z_l) the branch's activation.",
            forms=(Form("tanh_of_output", {"derivative": "tanh_of_output"},
                        "you evaluate tanh' at the activation a_l = tanh(z_l) (1 - tanh(a_l)**2) instead of at z_l"),
                   Form("no_tanh", {"derivative": "no_tanh"},
                        "you use 1 - z_l**2 (the pre-activation squared) instead of 1 - tanh(z_l)**2"),
                   Form("block_output", {"derivative": "block_output"},
                        "in the residual stack you use 1 - h_l**2 with the layer's output h_l = h_{l-1} + a_l "
                        "instead of 1 - a_l**2 with the branch's activation"))),
    mistake("missing_activation_derivative",
            "Back-propagating through a_l = tanh(z_l) multiplies element-wise by tanh'(z_l) = 1 - a_l**2: "
            "delta_l = g_l * (1 - a_l**2).",
            detail="you skip the tanh derivative (delta_l = g_l)", derivative="none"),
    mistake("untransposed_weights",
            "z_l = W_l @ h_{l-1}, so the gradient goes back through the transpose: W_l.T @ delta_l.",
            detail="you back-propagate with W_l @ delta_l instead of W_l.T @ delta_l", transpose=False),
    mistake("reversed_order",
            "Entry 0 of the result belongs to the first layer (the gradient at the input x), entry L-1 to the "
            "last layer; the backward pass visits the layers from last to first, so reverse what you collected.",
            detail="your norms are in reverse layer order (last layer first)", reverse=True),
    mistake("squared_norm",
            "Return the Euclidean norm ||g|| = sqrt(sum(g**2)), not its square.",
            detail="you return the squared norms ||g||**2", squared=True),
    mistake("ignores_residual",
            "When residual is True every layer is h_l = h_{l-1} + tanh(W_l @ h_{l-1}); when False, "
            "h_l = tanh(W_l @ h_{l-1}).",
            detail="you compute the plain stack even when residual is True", ignore_residual=True),
    mistake("output_side_gradients",
            "Entry l-1 is the norm of the gradient at layer l's input, dLoss/dh_{l-1}: entry 0 is "
            "||dLoss/dx|| and entry L-1 is ||dLoss/dh_{L-1}||, not ||dLoss/dh_L||.",
            detail="you return the gradients at each layer's output, ||dLoss/dh_l|| for l = 1..L (one layer too "
                   "late)", which="outputs"),
    mistake("weight_gradients",
            "Return the norms of the gradients with respect to the layers' inputs h_{l-1}, not with respect to "
            "their weights.",
            detail="you return the Frobenius norms of the weight gradients ||dLoss/dW_l||", which="weights"),
)

# -------------------------------------------------------------------------------- generated inputs
DEPTHS = (2, 4, 8, 16, 32)
EXPERIMENT_SEED, EXPERIMENT_WIDTH, EXPERIMENT_SIGMA = 2026, 8, 0.5


def experiment_inputs():
    """The experiment's fixed input and 32 weight matrices, entries N(0, sigma^2 / n); depth L uses the
    first L of them (the same numbers as in the README and the stub's run_experiment)."""
    rng = np.random.default_rng(EXPERIMENT_SEED)
    x = rng.normal(size=EXPERIMENT_WIDTH)
    weights = rng.normal(size=(max(DEPTHS), EXPERIMENT_WIDTH, EXPERIMENT_WIDTH)) * EXPERIMENT_SIGMA / np.sqrt(EXPERIMENT_WIDTH)
    return x, weights


@st.composite
def stack_inputs(draw, *, residual, depths, sizes, weight_bound=1.0, x_scale=1.0, zero_weights=False):
    """x (n,), weights (L, n, n), residual. Weight entries shrink like 1/sqrt(n) so tanh stays out of
    saturation (where 1 - tanh(z)**2 in float32 loses every digit)."""
    n = draw(sizes)
    depth = draw(depths)
    bound = round(weight_bound / np.sqrt(n), 2)
    # fill=nothing: every element is drawn (the default fill repeats one value, often 0)
    # Multiples of 0.01 never within 0.05 of 0 (no layer silently drops out): readable, and still dense
    # enough to separate every variant. Every element is drawn (not one repeated fill value).
    x = draw(strategies.array(n, strategies.away_from_zero(2.0), every_element=True)) * x_scale
    weights = np.zeros((depth, n, n)) if zero_weights else draw(
        strategies.array((depth, n, n), strategies.away_from_zero(bound), every_element=True))
    return x, weights, draw(residual)


PLAIN, RESIDUAL = st.just(False), st.just(True)
SHALLOW = st.integers(2, 6)
SIZES = st.integers(2, 5)
DEEP = st.integers(8, 20)
# Each kind is its own set, so every kind is drawn (one_of would favour the simplest branch).
EDGE_SETS = tuple(
    CaseSet(f"{name}_{kind}", stack_inputs(residual=st.just(flag), **options), count, f"{description}, {kind}")
    for name, options, count, description in (
        ("single_layer", {"depths": st.just(1), "sizes": SIZES}, 4, "L = 1"),
        ("n_is_1", {"depths": SHALLOW, "sizes": st.just(1)}, 4, "n = 1"),
        ("zero_weights", {"depths": SHALLOW, "sizes": SIZES, "zero_weights": True}, 3,
         "all weights 0 (plain: no gradient reaches any layer; residual: only the identity path carries it)"),
        ("tiny_x", {"depths": SHALLOW, "sizes": SIZES, "x_scale": 1e-3}, 3, "tiny inputs (tanh in its linear regime)"),
    )
    for kind, flag in (("plain", False), ("residual", True)))
EXPERIMENT_SETS = tuple(
    CaseSet(f"experiment_{kind}_{depth}", st.just((experiment_inputs()[0], experiment_inputs()[1][:depth], flag)), 1,
            f"the experiment: {kind} stack of depth {depth}")
    for kind, flag in (("plain", False), ("residual", True)) for depth in DEPTHS)
EXPERIMENT_NAMES = {flag: tuple(f"experiment_{kind}_{d}" for d in DEPTHS)
                    for kind, flag in (("plain", False), ("residual", True))}

# The qualitative result the experiment must show (README, "The experiment").
PLAIN_DEEPEST_MAX = 1e-6  # plain: first/last ratio at depth 32 at most this (the reference: ~3e-10)
RESIDUAL_BOUND = 10.0  # residual: every first/last ratio within [1/10, 10] (the reference: 1.1 to 2.1)

# ----------------------------------------------------------------------------------------- checks


loads()
worked_examples()
output_structure(name="returns_float_array_of_shape_L")
inputs_unmodified()
agreement("plain", points=4)
agreement("residual", points=4)
agreement("deep_plain", "deep_residual", points=3, name="matches_reference_deep", topic="deep stacks")
agreement(*(c.name for c in EDGE_SETS), points=3, name="matches_reference_edge_cases",
          label="matches the reference on edge cases (plain and residual): L = 1, n = 1, zero weights, tiny inputs")


def _ratios(ctx, flag):
    """depth -> first/last ratio of the learner's norms on the experiment, or a Failure explaining why not."""
    out = {}
    for depth, name in zip(DEPTHS, EXPERIMENT_NAMES[flag]):
        (trial,) = ctx.of_set(name)
        kind = "residual" if flag else "plain"
        value = trial.outcome.value if trial.outcome.kind == "returned" else None
        arr = ctx.returned_numbers(trial)
        if arr is None or arr.shape != (depth,):
            got = trial.outcome.error.short() if trial.outcome.kind == "raised" else (
                value.describe() if value is not None else "no result")
            raise Failure(f"On the {kind} experiment stack of depth {depth} layer_gradient_norms did not return an "
                          f"array of shape ({depth},): {got}.", call=ctx.exercise.call_text(trial.case.args))
        first, last = float(arr[0]), float(arr[-1])
        if not (np.isfinite(first) and np.isfinite(last) and last > 0):
            raise Failure(f"On the {kind} experiment stack of depth {depth} your norms give no finite first/last "
                          f"ratio (first {first:.3g}, last {last:.3g}).", call=ctx.exercise.call_text(trial.case.args))
        out[depth] = first / last
    return out


def _show(ratios):
    return ", ".join(f"L={d}: {r:.3g}" for d, r in ratios.items())


@check(points=3)
def experiment_shows_vanishing_and_bounded_gradients(ctx):
    """the experiment: the first/last gradient ratio vanishes with depth in plain stacks and stays bounded in residual ones"""
    ctx.require_callable()
    plain, residual = _ratios(ctx, False), _ratios(ctx, True)
    seen = f"Your ratios ||g_0|| / ||g_(L-1)||: plain {_show(plain)}; residual {_show(residual)}."
    values = list(plain.values())
    if not all(b < a for a, b in zip(values, values[1:])) or values[-1] > PLAIN_DEEPEST_MAX:
        raise Failure(f"{seen} In the plain stack the ratio should shrink at every depth and be below "
                      f"{PLAIN_DEEPEST_MAX:g} at L = {DEPTHS[-1]} (the gradient vanishes on its way down).",
                      help="The gradient reaching layer 1 is the product of L - 1 factors W_l.T * tanh'(z_l) of "
                           "norm about 0.5 here. Check the order of your norms (entry 0 = the input x) and the "
                           "backward pass.")
    if not all(1 / RESIDUAL_BOUND <= r <= RESIDUAL_BOUND for r in residual.values()):
        raise Failure(f"{seen} In the residual stack every ratio should stay between {1 / RESIDUAL_BOUND:g} and "
                      f"{RESIDUAL_BOUND:g}: the identity path carries the gradient through every layer unchanged.",
                      help="g_{l-1} = W_l.T @ delta_l + g_l: without the `+ g_l`, or without the skip connection "
                           "in the forward pass, a residual stack behaves like a plain one.")


# ------------------------------------------------------------------------------------------ examples
_EXAMPLE_W = np.array([[[0.0, 0.5], [0.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]])  # W_1, W_2 of the README's trace
EXAMPLES = (
    Example((np.array([3.0, 4.0]), np.zeros((2, 2, 2)), True), np.array([5.0, 5.0]),
            "zero weights, residual: only the identity path"),
    Example((np.array([1.0, 2.0]), _EXAMPLE_W, False), model(np.array([1.0, 2.0]), _EXAMPLE_W, False),
            "the plain stack of the README's trace"),
    Example((np.array([1.0, 2.0]), _EXAMPLE_W, True), model(np.array([1.0, 2.0]), _EXAMPLE_W, True),
            "the residual stack of the README's trace"),
)

# --------------------------------------------------------------------------------- rubric
# Points each catalogued mistake deducts under rubric scoring (`--scoring rubric`), as a TA's rubric would.
RUBRIC = {
    "missing_identity_backward": 8,
    "subtracted_skip": 6,
    "wrong_activation_derivative": 5,
    "missing_activation_derivative": 6,
    "untransposed_weights": 5,
    "reversed_order": 4,
    "squared_norm": 3,
    "ignores_residual": 10,
    "output_side_gradients": 4,
    "weight_gradients": 6,
}


# --------------------------------------------------------------------------------- concepts
# What each catalogued mistake is about: the course page follows a concept across exercises.
CONCEPTS = {
    "missing_identity_backward": "skip_connection",
    "subtracted_skip": "skip_connection",
    "wrong_activation_derivative": "activation_derivative",
    "missing_activation_derivative": "activation_derivative",
    "untransposed_weights": "weight_orientation",
    "reversed_order": "layer_order",
    "squared_norm": "norms",
    "ignores_residual": "skip_connection",
    "output_side_gradients": "layer_order",
    "weight_gradients": "gradient_target",
}


EXERCISE = FunctionExercise(
    name="gradient_flow",
    title="Gradient flow: per-layer gradient norms of deep plain and residual tanh stacks",
    order=4,
    function="layer_gradient_norms",
    parameters=("x", "weights", "residual"),
    dims={"x": ("n",), "weights": ("L", "n", "n")},
    output_dims=("L",),
    examples=EXAMPLES,
    case_sets=(
        CaseSet("plain", stack_inputs(residual=PLAIN, depths=SHALLOW, sizes=SIZES), 30,
                "generated plain stacks (residual=False, 2 to 6 layers)"),
        CaseSet("residual", stack_inputs(residual=RESIDUAL, depths=SHALLOW, sizes=SIZES), 30,
                "generated residual stacks (residual=True, 2 to 6 layers)"),
        CaseSet("deep_plain", stack_inputs(residual=PLAIN, depths=DEEP, sizes=SIZES, weight_bound=0.8), 6,
                "plain, 8 to 20 layers"),
        CaseSet("deep_residual", stack_inputs(residual=RESIDUAL, depths=DEEP, sizes=SIZES, weight_bound=0.8), 6,
                "residual, 8 to 20 layers"),
        *EDGE_SETS,
        *EXPERIMENT_SETS,
    ),
    catalog=CATALOG,
    rubric=RUBRIC,
    concepts=CONCEPTS,
    model=model,
    tolerance_scale=tolerance_scale,
    # purely relative: deep plain stacks give norms of 1e-10 and below, which an absolute floor would wave through
    atol=0.0,
    max_combination=2,
    seed=20261204,
)
