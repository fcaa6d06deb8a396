# expect: correct
# threat: starts 8 daemon threads at import that spin forever, competing for the GIL with the grader
import threading

import numpy as np


def _spin():
    n = 0
    while True:
        n += 1


for _ in range(8):
    threading.Thread(target=_spin, daemon=True).start()


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
