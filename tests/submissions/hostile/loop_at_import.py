# expect: timeout
# threat: spins forever at module level, so the import itself never finishes
import numpy as np

while True:
    pass


def residual_block(x, w1, w2):
    return np.maximum(w2 @ np.maximum(w1 @ x, 0.0) + x, 0.0)
