# mistakes: missing_first_relu, skip_subtracted
import numpy as np


def residual_block(x, w1, w2):
    f = np.dot(w2, np.dot(w1, x))
    return np.maximum(f - x, 0.0)
