"""The residual unit's backward pass with one knob per catalogued misconception. Numpy only,
self-contained: the kit's tests render it (with overrides) as learner source to prove every
catalog entry is caught, so each knob produces exactly what a learner making that mistake returns
(including a wrongly shaped array)."""

import numpy as np


def _mask(kind, pre, grad, branch=None):
    """The upstream gradient passed back through a ReLU whose input was ``pre``."""
    if kind == "step":  # the ReLU's derivative: 1 where its input was positive, else 0
        return grad * (pre > 0)
    if kind == "none":
        return grad
    if kind == "value":  # ReLU(pre) itself used as if it were the derivative
        return grad * np.maximum(0.0, pre)
    if kind == "branch":  # the mask taken from the branch w2 @ a alone, without the shortcut's + x
        return grad * (branch > 0)
    raise ValueError(f"unknown mask {kind!r}")


def model(x, w1, w2, grad_y, *, final_mask="step", first_mask="step", shortcut="masked", transpose_w1=True,
          transpose_w2=True, outer_w1="right", outer_w2="right", w2_input="activation"):
    """The reference with one knob per misconception; with no overrides it is the reference."""
    x, w1, w2, grad_y = (np.asarray(v, dtype=float) for v in (x, w1, w2, grad_y))
    # forward, keeping what the backward pass needs
    z1 = w1 @ x
    a = np.maximum(0.0, z1)
    branch = w2 @ a
    z2 = branch + x
    # backward
    g2 = _mask(final_mask, z2, grad_y, branch)  # dL/dz2
    saved = a if w2_input == "activation" else z1  # what w2 multiplied in the forward pass
    grad_w2 = np.outer(g2, saved) if outer_w2 == "right" else np.outer(saved, g2)
    back_w2 = w2.T if transpose_w2 else w2
    g1 = _mask(first_mask, z1, back_w2 @ g2)  # dL/dz1
    grad_w1 = np.outer(g1, x) if outer_w1 == "right" else np.outer(x, g1)
    back_w1 = w1.T if transpose_w1 else w1
    through_branch = back_w1 @ g1
    if shortcut == "masked":  # the identity path: dz2/dx contributes + I
        grad_x = through_branch + g2
    elif shortcut == "unmasked":
        grad_x = through_branch + grad_y
    else:
        grad_x = through_branch
    return grad_x, grad_w1, grad_w2


def tolerance_scale(x, w1, w2, grad_y):
    """Magnitude of the terms summed into each gradient element (bounds float32/loop rounding)."""
    x, w1, w2, grad_y = (np.abs(np.asarray(v, dtype=float)) for v in (x, w1, w2, grad_y))
    back = w2.T @ grad_y
    return w1.T @ back + grad_y, np.outer(back, x), np.outer(grad_y, w1 @ x)


Z, G_Z, GRAD_W2, G_A, G_H, GRAD_W1, GRAD_X = (
    "z = w2 @ a + x", "g_z = grad_y * (z > 0)", "grad_w2 = outer(g_z, a)", "g_a = w2.T @ g_z",
    "g_h = g_a * (w1 @ x > 0)", "grad_w1 = outer(g_h, x)", "grad_x = w1.T @ g_h + g_z")


def trace(x, w1, w2, grad_y):
    """The correct computation step by step, forward then backward (shown with a mistake's evidence)."""
    x, w1, w2, grad_y = (np.asarray(v, dtype=float) for v in (x, w1, w2, grad_y))
    z1 = w1 @ x
    a = np.maximum(0.0, z1)
    z = w2 @ a + x
    g_z = grad_y * (z > 0)
    g_a = w2.T @ g_z
    g_h = g_a * (z1 > 0)
    return [("w1 @ x", z1), ("a = ReLU(w1 @ x)", a), (Z, z), (G_Z, g_z), (GRAD_W2, np.outer(g_z, a)), (G_A, g_a),
            (G_H, g_h), (GRAD_W1, np.outer(g_h, x)), (GRAD_X, w1.T @ g_h + g_z)]
