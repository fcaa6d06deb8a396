# expect: exits
# threat: raises SystemExit(3) at module level, during the import
import sys; sys.exit(3)

import numpy as np


def residual_block(x, w1, w2):
    return np.maximum(w2 @ np.maximum(w1 @ x, 0.0) + x, 0.0)
