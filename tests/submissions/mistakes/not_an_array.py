# mistakes: not_an_array
import numpy as np


def residual_block(x, w1, w2):
    a = np.maximum(0, w1 @ x)
    s = w2 @ a + x
    return [max(0.0, float(v)) for v in s]
