# mistakes: transposed_weights
import numpy as np


def residual_block(x, w1, w2):
    x = np.asarray(x, dtype=float)
    out = np.maximum(x @ w1, 0)
    out = out @ w2
    out = out + x
    return np.maximum(out, 0)
