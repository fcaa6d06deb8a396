import sys
import warnings

import numpy as np


def residual_block(x, w1, w2):
    warnings.warn("residual_block: this implementation is slow-ish", UserWarning)
    sys.stderr.write(f"computing residual block for n={len(x)}\n")
    hidden = np.maximum(w1 @ x, 0.0)
    y = np.maximum(w2 @ hidden + x, 0.0)
    print("done", file=sys.stderr)
    return y
