import numpy as np

def residual_block(x, w1, w2)
    hidden = np.maximum(0, w1 @ x)
    return np.maximum(0, w2 @ hidden + x)
