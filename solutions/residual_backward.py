"""Hidden reference for the residual-backward exercise. Never shipped to learners."""

import numpy as np


def residual_block_backward(x: np.ndarray, w1: np.ndarray, w2: np.ndarray, grad_y: np.ndarray):
    """(dL/dx, dL/dw1, dL/dw2) for y = ReLU(w2 @ ReLU(w1 @ x) + x), given grad_y = dL/dy."""
    x, w1, w2, grad_y = (np.asarray(v, dtype=float) for v in (x, w1, w2, grad_y))
    pre_hidden = w1 @ x
    hidden = np.maximum(0.0, pre_hidden)
    pre_out = w2 @ hidden + x
    g_out = np.where(pre_out > 0, grad_y, 0.0)
    g_hidden = np.where(pre_hidden > 0, w2.T @ g_out, 0.0)
    grads = (w1.T @ g_hidden + g_out, np.outer(g_hidden, x), np.outer(g_out, hidden))
    return tuple(g + 0.0 for g in grads)  # + 0.0 turns -0.0 into 0.0 (tidier feedback)
