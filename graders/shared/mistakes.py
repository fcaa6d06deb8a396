"""Catalog entries shared by the residual exercises (the unit, the projection shortcut): each returns a
``mistake`` whose overrides are the keywords every residual model in the kit accepts, and names the step
of the exercise's trace it changes (the residual models' traces share these step labels)."""

from __future__ import annotations

from graders.engine.kind import Form, Mistake, mistake

HIDDEN, ACTIVATION, BRANCH = "w1 @ x", "a = ReLU(w1 @ x)", "w2 @ a"


def missing_first_relu() -> Mistake:
    return mistake("missing_first_relu", "The hidden layer needs its ReLU: compute ReLU(w1 @ x) before multiplying by w2.",
                   detail="you use w1 @ x without the first ReLU", first_act=False, step=ACTIVATION)


def missing_final_relu(shortcut: str, block: str, step: str) -> Mistake:
    return mistake("missing_final_relu", f"Apply ReLU to the sum w2 @ ReLU(w1 @ x) + {shortcut}: the {block}'s output "
                   "is never negative.",
                   detail=f"you return w2 @ ReLU(w1 @ x) + {shortcut} without the final ReLU", final_act=False, step=step)


def extra_relu_before_skip(shortcut: str) -> Mistake:
    return mistake("extra_relu_before_skip", f"Do not apply ReLU to the branch before the addition: add {shortcut} to "
                   "w2 @ ReLU(w1 @ x) first, then apply ReLU once.",
                   detail=f"you apply ReLU to w2 @ ReLU(w1 @ x) before adding {shortcut}", branch_act=True, step=BRANCH)


def skip_after_final_relu(formula: str, step: str) -> Mistake:
    return mistake("skip_after_final_relu", f"Add the shortcut before the final ReLU, not after it: {formula}.",
                   detail="you add the shortcut after the final ReLU", skip_after_final=True, step=step)


def transposed_weights(second_layer: str) -> Mistake:
    """``second_layer``: how w2 maps the hidden layer, e.g. "w2 (n, h) maps back as w2 @ a"."""
    return mistake(
        "transposed_weights", f"w1 has shape (h, n) and maps x (n,) to the hidden layer as w1 @ x; {second_layer}.",
        forms=(Form("w1_transposed", {"transpose_w1": True}, "w1 is applied transposed (as x @ w1 or w1.T @ x)", HIDDEN),
               Form("w2_transposed", {"transpose_w2": True}, "w2 is applied transposed (as a @ w2 or w2.T @ a)", BRANCH),
               Form("both_transposed", {"transpose_w1": True, "transpose_w2": True},
                    "both weights are applied transposed (x @ w1, then @ w2)", HIDDEN)))
