# expect: crashed
# threat: kills its own process with os._exit(7) inside the call, skipping all cleanup
import os

import numpy as np


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    os._exit(7)
    return np.maximum(w2 @ hidden + x, 0.0)
