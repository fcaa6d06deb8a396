"""The residual unit with one knob per catalogued misconception. Numpy only, self-contained: the
kit's tests render it (with overrides) as learner source to prove every catalog entry is caught."""

import numpy as np

ACTIVATIONS = {
    "relu": lambda v: np.maximum(0.0, v),
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
    "tanh": np.tanh,
    "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v),
    "min_relu": lambda v: np.minimum(0.0, v),
}


def model(x, w1, w2, *, transpose_w1=False, transpose_w2=False, swap=False, act="relu", first_act=True,
          final_act=True, branch_act=False, skip=1.0, skip_after_final=False, act_on_shortcut=False):
    """The reference with one knob per misconception; with no overrides it is the reference."""
    x, w1, w2 = (np.asarray(a, dtype=float) for a in (x, w1, w2))
    if swap:
        w1, w2 = w2, w1
    if transpose_w1:
        w1 = w1.T
    if transpose_w2:
        w2 = w2.T
    f = ACTIVATIONS[act]
    hidden = w1 @ x
    if first_act:
        hidden = f(hidden)
    branch = w2 @ hidden
    if branch_act:
        branch = f(branch)
    shortcut = skip * (f(x) if act_on_shortcut else x)
    if skip_after_final:
        return (f(branch) if final_act else branch) + shortcut
    out = branch + shortcut
    return f(out) if final_act else out


def tolerance_scale(x, w1, w2):
    """Magnitude of the terms summed into each output element (bounds float32/loop rounding)."""
    x, w1, w2 = (np.abs(np.asarray(a, dtype=float)) for a in (x, w1, w2))
    return w2 @ (w1 @ x) + x


SUM, OUTPUT = "w2 @ a + x", "y = ReLU(w2 @ a + x)"


def trace(x, w1, w2):
    """The correct computation step by step (shown with a named mistake's evidence)."""
    x, w1, w2 = (np.asarray(a, dtype=float) for a in (x, w1, w2))
    hidden = w1 @ x
    a = np.maximum(0.0, hidden)
    branch = w2 @ a
    total = branch + x
    return [("w1 @ x", hidden), ("a = ReLU(w1 @ x)", a), ("w2 @ a", branch), (SUM, total), (OUTPUT, np.maximum(0.0, total))]
