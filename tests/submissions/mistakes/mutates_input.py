# mistakes: mutates_input
import numpy as np


def residual_block(x, w1, w2):
    a = np.maximum(0, w1 @ x)
    x += w2 @ a              # add the residual to the input (saves memory)
    np.maximum(x, 0, out=x)  # final ReLU in place
    return x
