# mistakes: wrong_activation
import numpy as np


def relu(v):
    # leaky version so that gradients never die
    return np.where(v > 0, v, 0.01 * v)


def residual_block(x, w1, w2):
    a = relu(w1 @ x)
    return relu(w2 @ a + x)
