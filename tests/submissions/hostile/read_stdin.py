# expect: correct
# threat: reads stdin to EOF at import; a grader must give it an empty stdin, not its own channel or a terminal
import sys

import numpy as np

_data = sys.stdin.read()


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
