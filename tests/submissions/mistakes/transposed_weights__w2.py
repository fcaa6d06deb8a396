# mistakes: transposed_weights
import numpy as np


def residual_block(x, w1, w2):
    a = np.maximum(0.0, np.dot(w1, x))
    z = np.dot(w2.T, a)  # back to the input dimension
    return np.maximum(0.0, z + x)
