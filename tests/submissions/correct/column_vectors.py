import numpy as np


def residual_block(x, w1, w2):
    col = np.asarray(x, dtype=float)[:, None]  # (n, 1)
    hidden = np.maximum(w1 @ col, 0.0)  # (h, 1)
    out = np.maximum(w2 @ hidden + col, 0.0)  # (n, 1)
    return out.ravel()
