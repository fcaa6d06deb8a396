# mistakes: extra_relu_before_skip
import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def residual_block(x, w1, w2):
    # each layer is "linear + ReLU", like in a plain network
    layer1 = relu(w1 @ x)
    layer2 = relu(w2 @ layer1)
    return relu(layer2 + x)
