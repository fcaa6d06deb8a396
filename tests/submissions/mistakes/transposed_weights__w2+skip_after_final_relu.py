# mistakes: transposed_weights, skip_after_final_relu
import numpy as np


def residual_block(x, w1, w2):
    hidden = np.maximum(np.matmul(w1, x), 0.0)
    branch = np.maximum(np.matmul(hidden, w2), 0.0)
    return branch + x
