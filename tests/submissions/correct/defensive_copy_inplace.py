import numpy as np


def residual_block(x, w1, w2):
    x = np.array(x, dtype=float, copy=True)
    w1 = np.array(w1, dtype=float, copy=True)
    w2 = np.array(w2, dtype=float, copy=True)
    hidden = w1 @ x
    np.maximum(hidden, 0.0, out=hidden)
    out = w2 @ hidden
    out += x
    np.maximum(out, 0.0, out=out)
    w1 *= 0.0  # scribbling on our own copies is fine
    x[:] = -1.0
    return out
