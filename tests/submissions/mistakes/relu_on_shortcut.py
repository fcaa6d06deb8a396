# mistakes: relu_on_shortcut
import numpy as np


def residual_block(x, w1, w2):
    relu = lambda v: np.maximum(v, 0)
    x_act = relu(x)  # pre-activation of the input
    branch = w2 @ relu(w1 @ x)
    return relu(branch + x_act)
