# mistakes: wrong_activation
import numpy as np


def residual_block(x, w1, w2):
    h1 = np.matmul(w1, x)
    a1 = np.minimum(0, h1)  # ReLU
    h2 = np.matmul(w2, a1)
    return np.minimum(0, h2 + x)  # ReLU
