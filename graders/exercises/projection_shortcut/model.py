"""The projection block with one knob per catalogued misconception. Numpy only, self-contained: the
kit's tests render it (with overrides) as learner source to prove every catalog entry is caught."""

import numpy as np


def relu(v):
    return np.maximum(0.0, v)


def identity_shortcut(x, m, mismatch):
    """The shortcut x when no projection is used, for an output of m values."""
    n = x.shape[0]
    if n == m or mismatch == "numpy":  # "numpy": no check, the addition fails or broadcasts
        return x
    if mismatch == "truncate":  # x[:m]: shorter when m < n, unchanged (and unaddable) when m > n
        return x[:m]
    if mismatch == "pad":  # zeros appended when m > n; np.pad refuses a negative width when m < n
        return np.pad(x, (0, m - n))
    if mismatch == "fit":  # truncated or zero-padded, whichever makes it fit
        out = np.zeros(m)
        k = min(m, n)
        out[:k] = x[:k]
        return out
    raise ValueError(f"the residual branch has shape ({m},) but x has shape ({n},): the identity "
                     f"shortcut cannot be added, a projection ws of shape ({m}, {n}) is needed")


def model(x, w1, w2, ws=None, *, use_ws=True, transpose_ws=False, act_on_projection=False,
          add_x_to_projection=False, mismatch="raise", transpose_w1=False, transpose_w2=False, first_act=True,
          branch_act=False, add_shortcut=True, skip_after_final=False, final_act=True):
    """The reference with one knob per misconception; with no overrides it is the reference."""
    x, w1, w2 = (np.asarray(a, dtype=float) for a in (x, w1, w2))
    if transpose_w1:
        w1 = w1.T
    if transpose_w2:
        w2 = w2.T
    hidden = w1 @ x
    if first_act:
        hidden = relu(hidden)
    branch = w2 @ hidden
    if branch_act:
        branch = relu(branch)
    if ws is not None and use_ws:
        ws = np.asarray(ws, dtype=float)
        shortcut = (ws.T if transpose_ws else ws) @ x
        if act_on_projection:
            shortcut = relu(shortcut)
        if add_x_to_projection:
            shortcut = shortcut + x
    else:
        shortcut = identity_shortcut(x, branch.shape[0], mismatch)
    if not add_shortcut:
        shortcut = 0.0
    if skip_after_final:
        return (relu(branch) if final_act else branch) + shortcut
    out = branch + shortcut
    return relu(out) if final_act else out


def tolerance_scale(x, w1, w2, ws=None):
    """Magnitude of the terms summed into each output element (bounds float32/loop rounding)."""
    x, w1, w2 = (np.abs(np.asarray(a, dtype=float)) for a in (x, w1, w2))
    shortcut = x if ws is None else np.abs(np.asarray(ws, dtype=float)) @ x
    return w2 @ (w1 @ x) + shortcut


SHORTCUT, SUM, OUTPUT = "s (x, or ws @ x)", "w2 @ a + s", "y = ReLU(w2 @ a + s)"


def trace(x, w1, w2, ws=None):
    """The correct computation step by step (shown with a named mistake's evidence)."""
    x, w1, w2 = (np.asarray(a, dtype=float) for a in (x, w1, w2))
    hidden = w1 @ x
    a = relu(hidden)
    branch = w2 @ a
    steps = [("w1 @ x", hidden), ("a = ReLU(w1 @ x)", a), ("w2 @ a", branch)]
    if ws is None and branch.shape[0] != x.shape[0]:
        return steps + [(SHORTCUT, f"ws is None and x has shape {x.shape}, not {branch.shape}: raise ValueError")]
    shortcut = x if ws is None else np.asarray(ws, dtype=float) @ x
    total = branch + shortcut
    return steps + [(SHORTCUT, shortcut), (SUM, total), (OUTPUT, relu(total))]
