# expect: memory_limit
# threat: allocates and touches 100 MiB arrays inside the call, up to 4000 MiB in total
import numpy as np

CHUNK = 100 * 2**20  # bytes
LIMIT = 40  # 40 x 100 MiB = 4000 MiB < 4 GiB: bounded even without a sandbox


def residual_block(x, w1, w2):
    hoard = []
    for _ in range(LIMIT):
        block = np.ones(CHUNK // 8, dtype=np.float64)  # np.ones writes every page
        hoard.append(block)
    # if no memory limit stopped us, answer correctly: the grade then shows the limit is missing
    total = sum(float(b[-1]) for b in hoard)
    del hoard
    y = np.maximum(w2 @ np.maximum(w1 @ x, 0.0) + x, 0.0)
    return y + 0.0 * total
