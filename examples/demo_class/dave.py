import numpy as np

# ReLU helper
def relu(z):
    return np.maximum(0, z)


def residual_block(x, w1, w2):
    """residual block: F(x) = w2 relu(w1 x), output = relu(F(x)) + x"""
    a1 = relu(np.dot(w1, x))
    a2 = relu(np.dot(w2, a1))
    # add the shortcut (identity) connection
    y = a2 + x
    return y
