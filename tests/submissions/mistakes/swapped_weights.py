# mistakes: swapped_weights
import numpy as np


def residual_block(x, w1, w2):
    # F(x) = W1 * relu(W2 * x), as written in the paper
    inner = np.maximum(0, w2 @ x)
    f = w1 @ inner
    return np.maximum(0, f + x)
