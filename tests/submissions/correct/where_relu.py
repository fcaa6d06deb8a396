import numpy as np


def residual_block(x, w1, w2):
    v = w1 @ x
    hidden = np.where(v > 0, v, 0)
    v = w2 @ hidden + x
    return np.where(v > 0, v, 0).astype(float)
