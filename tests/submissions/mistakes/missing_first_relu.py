# mistakes: missing_first_relu
import numpy as np


def residual_block(x, w1, w2):
    # two linear layers, then the skip connection and the activation
    hidden = np.dot(w1, x)
    out = np.dot(w2, hidden) + x
    return np.maximum(out, 0)
