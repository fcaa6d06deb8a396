# expect: correct
# threat: writes 100 MB to stdout and 100 MB to stderr at import, interleaved in 1 MB chunks
import sys

import numpy as np

_CHUNK = ("flood " * 15 + "flooding!\n") * 10_000  # exactly 1,000,000 bytes per write, in 100-byte lines
for _ in range(100):  # 100 MB per stream, 200 MB in total
    sys.stdout.write(_CHUNK)
    sys.stderr.write(_CHUNK)
sys.stdout.flush()
sys.stderr.flush()


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
