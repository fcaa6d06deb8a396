# expect: raises
# threat: raises KeyboardInterrupt (a BaseException, not an Exception) inside the call
import numpy as np


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    raise KeyboardInterrupt
    return np.maximum(w2 @ hidden + x, 0.0)
