# mistakes: missing_skip
import numpy as np


def residual_block(x, w1, w2):
    """Two layers with ReLU activations."""
    a1 = np.maximum(0.0, w1 @ x)
    a2 = np.maximum(0.0, w2 @ a1)
    return a2
