import warnings

import numpy as np


def residual_block(x, w1, w2):
    warnings.warn("mallory: debugging output is still switched on")
    print("===== residual_block called =====")
    print("x  =", x)
    print("w1 =")
    print(w1)
    print("w2 =")
    print(w2)
    hidden = np.maximum(0.0, w1 @ x)
    for i, value in enumerate(hidden):
        print(f"  hidden[{i}] = {value:.4f}")
    y = np.maximum(0.0, w2 @ hidden + x)
    for i, value in enumerate(y):
        print(f"  y[{i}] = {value:.4f}")
    print("=" * 33)
    return y


print("mallory's residual unit loaded OK" * 50)
