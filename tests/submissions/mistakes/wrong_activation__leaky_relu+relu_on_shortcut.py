# mistakes: wrong_activation, relu_on_shortcut
import numpy as np


def leaky(v, slope=0.01):
    return np.maximum(v, slope * v)


def residual_block(x, w1, w2):
    a = leaky(w1 @ x)
    return leaky(w2 @ a + leaky(x))
