# mistakes: skip_subtracted
import numpy as np


def residual_block(x, w1, w2):
    # the block learns the residual F(x) = H(x) - x
    hidden = np.maximum(0, np.dot(w1, x))
    residual = np.dot(w2, hidden) - x
    return np.maximum(0, residual)
