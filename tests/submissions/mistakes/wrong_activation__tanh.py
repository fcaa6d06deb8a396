# mistakes: wrong_activation
import numpy as np


def residual_block(x, w1, w2):
    hidden = np.tanh(np.dot(w1, x))
    return np.tanh(np.dot(w2, hidden) + x)
