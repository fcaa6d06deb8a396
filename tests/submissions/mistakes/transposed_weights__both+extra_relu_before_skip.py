# mistakes: transposed_weights, extra_relu_before_skip
import numpy as np


def relu(v):
    return np.maximum(0, v)


def residual_block(x, w1, w2):
    out = relu(x @ w1)
    out = relu(out @ w2)
    return relu(out + x)
