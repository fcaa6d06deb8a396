# expect: crashed
# threat: dereferences a NULL pointer through ctypes inside the call (SIGSEGV)
import ctypes

import numpy as np


def residual_block(x, w1, w2):
    ctypes.string_at(0)
    return np.maximum(w2 @ np.maximum(w1 @ x, 0.0) + x, 0.0)
