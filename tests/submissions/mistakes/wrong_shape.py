# mistakes: wrong_shape
import numpy as np


def residual_block(x, w1, w2):
    x = x.reshape(-1, 1)  # column vector, as in the maths
    a = np.maximum(0, w1 @ x)
    return np.maximum(0, w2 @ a + x)
