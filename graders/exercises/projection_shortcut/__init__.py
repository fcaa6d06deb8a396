"""Grader for the projection shortcut y = ReLU(w2 @ ReLU(w1 @ x) + s), s = x or ws @ x. Hidden: never
shipped to learners."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import strategies as st

from graders.authoring import (
    CaseSet,
    Example,
    Failure,
    Form,
    FunctionExercise,
    Mismatch,
    agreement,
    check,
    inputs_unmodified,
    loads,
    mistake,
    mistakes,
    output_structure,
    strategies,
    worked_examples,
)
from graders.exercises.projection_shortcut.model import OUTPUT, SHORTCUT, SUM, model, tolerance_scale, trace

# ----------------------------------------------------------------------------------- mistake catalog
CATALOG = (
    mistake("ignores_projection", "When ws is given, the shortcut is the projection ws @ x, not x itself: "
            "y = ReLU(w2 @ ReLU(w1 @ x) + ws @ x).",
            detail="you add x as the shortcut even when a projection ws is given", use_ws=False, step=SHORTCUT),
    mistake("adds_both_shortcuts", "With a projection the shortcut is ws @ x alone: it replaces x, it is not "
            "added on top of it.",
            detail="you add both x and ws @ x", add_x_to_projection=True, step=SHORTCUT),
    mistake("relu_on_projection", "The projection shortcut is linear: add ws @ x itself, not ReLU(ws @ x). The "
            "only ReLUs are on the hidden layer and on the sum.",
            detail="you add ReLU(ws @ x) instead of ws @ x", act_on_projection=True, step=SHORTCUT),
    mistake("projection_transposed", "ws has shape (m, n): it maps x (n,) to m values as ws @ x.",
            detail="ws is applied transposed (as x @ ws or ws.T @ x)", transpose_ws=True, step=SHORTCUT),
    mistakes.missing_final_relu("s", "block", step=OUTPUT),
    mistake("truncates_or_pads", "When ws is None and m != n, raise a ValueError: cutting x down or padding it "
            "with zeros to m values hides a missing projection instead of reporting it.",
            forms=(Form("truncate_x", {"mismatch": "truncate"}, "you cut x down to its first m values (x[:m])", SHORTCUT),
                   Form("zero_pad_x", {"mismatch": "pad"}, "you pad x with zeros to m values", SHORTCUT),
                   Form("truncate_or_pad_x", {"mismatch": "fit"},
                        "you cut x down or pad it with zeros, whichever makes it m values long", SHORTCUT))),
    mistake("no_shape_check", "Check the shapes yourself when ws is None: numpy does not always refuse to add "
            "vectors of different lengths (an x of shape (1,) is broadcast to any length). Raise a ValueError "
            "whenever m != n.",
            detail="you rely on numpy to reject the addition, and it broadcasts an x with a single value",
            mismatch="numpy", step=SHORTCUT),
    mistakes.missing_first_relu(),
    mistakes.extra_relu_before_skip("the shortcut"),
    mistakes.skip_after_final_relu("y = ReLU(F(x) + s)", step=SUM),
    mistake("missing_shortcut", "The block adds a shortcut before the final ReLU: x when ws is None, ws @ x "
            "otherwise.",
            detail="you never add the shortcut", add_shortcut=False, step=SUM),
    mistakes.transposed_weights("w2 (m, h) maps it to m values as w2 @ a"),
)

# -------------------------------------------------------------------------------- generated inputs
NUMBERS = strategies.numbers()

# (n, m) pairs. Where m != n both are >= 2, so that numpy refuses every mistaken addition of an (m,) and
# an (n,) vector the same way however it is written; broadcasting of a single value has its own set.
SAME = st.integers(1, 6).map(lambda n: (n, n))
RESIZE = st.tuples(st.integers(2, 6), st.integers(2, 6)).filter(lambda nm: nm[0] != nm[1])
ONE_FEATURE = st.integers(2, 6).map(lambda m: (1, m))


@st.composite
def block_inputs(draw, *, sizes, projection, elements=NUMBERS, scale=1.0):
    """(x, w1, w2, ws): ws is an (m, n) array when `projection`, else None. The hidden width h often
    equals n or m, so that transposed weights give values, not only errors, and their combinations
    with the other mistakes stay visible."""
    n, m = draw(sizes)
    h = draw(st.one_of(st.just(n), st.just(m), st.integers(1, 6)))
    x = draw(strategies.array(n, elements)) * scale
    w1 = draw(strategies.array((h, n), elements))
    w2 = draw(strategies.array((m, h), elements))
    ws = draw(strategies.array((m, n), elements)) if projection else None
    return x, w1, w2, ws


def valid_inputs(**kw):
    """Inputs the reference accepts: identity (m = n), or a projection (m = n or m != n)."""
    return st.one_of(block_inputs(sizes=SAME, projection=False, **kw), block_inputs(sizes=SAME, projection=True, **kw),
                     block_inputs(sizes=RESIZE, projection=True, **kw))


def _scaled(case, sx, sw):
    x, w1, w2, ws = case
    return x * sx, w1 * sw, w2 * sw, None if ws is None else ws * sw


def _zero_w2(case):
    x, w1, w2, ws = case
    return x, w1, np.zeros_like(w2), ws


def _negative_x(case):
    x, w1, w2, ws = case
    return -np.abs(x) - 0.5, w1, w2, ws


VALID = valid_inputs()
# Each edge kind is its own set, so every kind is drawn (one_of would favour the simplest branch).
EDGE_SETS = (
    CaseSet("zeros", valid_inputs(elements=st.just(0.0)), 4, "all-zero inputs"),
    CaseSet("negative_x", VALID.map(_negative_x), 6, "strictly negative x"),
    CaseSet("tiny", valid_inputs(scale=1e-3), 5, "tiny magnitudes"),
    CaseSet("large", VALID.map(lambda c: _scaled(c, 1e3, 10.0)), 5, "large magnitudes"),
    CaseSet("zero_w2", VALID.map(_zero_w2), 6, "w2 = 0: the block is ReLU(shortcut)"),
)

# ----------------------------------------------------------------------------------------- checks


loads()
worked_examples()
output_structure(name="returns_float_array_of_shape_m")
inputs_unmodified()
agreement("identity", points=3)
agreement("projection_same_size", points=4)
agreement("projection_resize", points=4)
agreement("missing_projection", "missing_projection_one_feature", points=3, name="raises_without_projection",
          label="raises ValueError when ws is None and m != n (also when n = 1, which numpy would broadcast)")
agreement(*(c.name for c in EDGE_SETS), points=3, name="matches_reference_edge_cases", topic="edge cases")


MESSAGE_HELP = ("Write the message for a person: for example raise ValueError(f\"the branch gives shape ({m},) but x "
                "has shape ({n},): a projection ws of shape ({m}, {n}) is needed\").")


def message_problems(message: str, m: int, n: int) -> list[str]:
    """What a ValueError message for m != n lacks (judged loosely: numbers anywhere, any wording)."""
    numbers = set(re.findall(r"\d+", message))
    missing = [f"{name} = {size}" for name, size in (("m", m), ("n", n)) if str(size) not in numbers]
    problems = [f"the size {' and '.join(missing)}"] if missing else []
    if "projection" not in message.lower():
        problems.append('the word "projection"')
    return problems


@check(points=2)
def error_message_names_shapes(ctx):
    """the ValueError's message names both shapes and says that a projection is needed"""
    ctx.require_loaded()
    expected_raise = [t for t in ctx.trials if t.expected.raises is not None]
    raised = [t for t in expected_raise if t.outcome.kind == "raised" and t.outcome.error.is_a(t.expected.raises)]
    if not raised:
        t = ctx.simplest_first(expected_raise)[0]
        call = ctx.exercise.call_text(t.case.args)
        got = (f"raised {t.outcome.error.short()}" if t.outcome.kind == "raised"
               else f"returned {t.outcome.value.show()}" if t.outcome.kind == "returned" else "did not run")
        raise Failure(f"{call} {got}, so there is no ValueError message to check.",
                      help="When ws is None and m != n, raise ValueError yourself. " + MESSAGE_HELP, call=call)
    for t in ctx.simplest_first(raised):
        sizes = ctx.exercise.sizes(t.case.args)
        problems = message_problems(t.outcome.error.message, sizes["m"], sizes["n"])
        if problems:
            call = ctx.exercise.call_text(t.case.args)
            expected = (f"a message naming the shapes ({sizes['m']},) and ({sizes['n']},) and saying that a "
                        "projection is needed")
            actual = f"ValueError: {t.outcome.error.message!r}" if t.outcome.error.message else "an empty message"
            raise Mismatch(expected, actual,
                           rationale=f"{call} raised {actual}; the message does not mention "
                                     f"{' or '.join(problems)}.",
                           help=MESSAGE_HELP, call=call)


# ------------------------------------------------------------------------------------ the exercise
def _a(*rows):
    return np.array(rows, dtype=float)


# --------------------------------------------------------------------------------- rubric
# Points each catalogued mistake deducts under rubric scoring (`--scoring rubric`), as a TA's rubric would.
RUBRIC = {
    "ignores_projection": 10,
    "adds_both_shortcuts": 8,
    "relu_on_projection": 5,
    "projection_transposed": 6,
    "missing_final_relu": 5,
    "truncates_or_pads": 6,
    "no_shape_check": 4,
    "missing_first_relu": 5,
    "extra_relu_before_skip": 5,
    "skip_after_final_relu": 5,
    "missing_shortcut": 10,
    "transposed_weights": 6,
}


# --------------------------------------------------------------------------------- concepts
# What each catalogued mistake is about: the course page follows a concept across exercises.
CONCEPTS = {
    "ignores_projection": "projection_shortcut",
    "adds_both_shortcuts": "projection_shortcut",
    "relu_on_projection": "relu_placement",
    "projection_transposed": "weight_orientation",
    "missing_final_relu": "final_relu",
    "truncates_or_pads": "shape_checks",
    "no_shape_check": "shape_checks",
    "missing_first_relu": "hidden_relu",
    "extra_relu_before_skip": "relu_placement",
    "skip_after_final_relu": "relu_placement",
    "missing_shortcut": "skip_connection",
    "transposed_weights": "weight_orientation",
}


EXERCISE = FunctionExercise(
    name="projection_shortcut",
    title="Projection shortcut: y = ReLU(w2 @ ReLU(w1 @ x) + ws @ x) when the sizes differ",
    order=2,
    function="projection_block",
    parameters=("x", "w1", "w2", "ws"),
    dims={"x": ("n",), "w1": ("h", "n"), "w2": ("m", "h"), "ws": ("m", "n")},
    output_dims=("m",),
    examples=(
        Example((_a(1.0, -2.0), _a([1.0, 0.0], [1.0, 1.0]), _a([0.5, 0.0], [0.0, 1.0]), None),
                _a(1.5, 0.0), "identity shortcut, m = n = 2"),
        Example((_a(1.0, 2.0), _a([1.0, -1.0], [0.5, 0.5]), _a([1.0, 0.0], [0.0, 1.0], [1.0, -2.0]),
                 _a([1.0, 0.0], [1.0, -1.0], [0.5, 0.5])),
                _a(1.0, 0.5, 0.0), "projection from n = 2 to m = 3"),
        # The reference raises here: there is no expected array (None), the grader expects the ValueError.
        Example((_a(1.0, 2.0), _a([1.0, -1.0], [0.5, 0.5]), _a([1.0, 0.0], [0.0, 1.0], [1.0, -2.0]), None),
                None, "ws is None, n = 2 but m = 3"),
    ),
    case_sets=(
        CaseSet("identity", block_inputs(sizes=SAME, projection=False), 40,
                "the identity shortcut (ws is None, m = n)"),
        CaseSet("projection_same_size", block_inputs(sizes=SAME, projection=True), 35,
                "a projection ws of the same size (m = n): the shortcut is ws @ x, not x"),
        CaseSet("projection_resize", block_inputs(sizes=RESIZE, projection=True), 40,
                "a projection that changes the size (m != n)"),
        CaseSet("missing_projection", block_inputs(sizes=RESIZE, projection=False), 15, "n, m >= 2"),
        CaseSet("missing_projection_one_feature", block_inputs(sizes=ONE_FEATURE, projection=False), 5,
                "n = 1, which numpy would broadcast"),
        *EDGE_SETS,
    ),
    catalog=CATALOG,
    rubric=RUBRIC,
    concepts=CONCEPTS,
    model=model,
    trace=trace,
    tolerance_scale=tolerance_scale,
    expected_errors=("ValueError",),
    seed=20261203,
)
