# mistakes: wrong_activation
import numpy as np


def activation(z):
    return 1 / (1 + np.exp(-z))


def residual_block(x, w1, w2):
    a = activation(w1 @ x)
    return activation(w2 @ a + x)
