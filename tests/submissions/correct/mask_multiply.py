import numpy as np


def residual_block(x, w1, w2):
    v = w1 @ x
    hidden = v * (v > 0)
    v = w2 @ hidden + x
    return (v * (v > 0)).astype(float)
