# mistakes: skip_after_final_relu
import numpy as np


def residual_block(x, w1, w2):
    h = np.matmul(w1, x)
    h = np.maximum(0, h)
    h = np.matmul(w2, h)
    h = np.maximum(0, h)
    # shortcut connection
    return h + x
