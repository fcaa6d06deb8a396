# mistakes: swapped_weights, missing_final_relu
import numpy as np


def residual_block(x, w1, w2):
    z = np.maximum(0, w2 @ x)
    return w1 @ z + x
