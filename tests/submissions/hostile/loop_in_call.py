# expect: timeout
# threat: correct-looking code whose loop index is never advanced, so the call never returns
import numpy as np


def residual_block(x, w1, w2):
    x = np.asarray(x, dtype=float)
    hidden = np.zeros(len(w1))
    i = 0
    while i < len(w1):
        hidden[i] = max(0.0, float(np.dot(w1[i], x)))
        # forgot: i += 1
    return np.maximum(w2 @ hidden + x, 0.0)
