# mistakes: missing_final_relu
import numpy as np


def residual_block(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    a = np.maximum(0, w1 @ x)  # first layer + ReLU
    f = w2 @ a                 # residual branch F(x)
    return f + x               # H(x) = F(x) + x
