import numpy as np


def residual_block(x, w1, w2):
    x = np.asarray(x, dtype=np.float64)
    hidden = np.maximum(np.matmul(w1, x), 0.0)
    return np.maximum(np.add(np.matmul(w2, hidden), x), 0.0)
