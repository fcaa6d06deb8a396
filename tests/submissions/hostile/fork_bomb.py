# expect: timeout
# threat: forks up to 200 children that each sleep 600 s (children never fork), then spins forever
import os
import time

import numpy as np

MAX_CHILDREN = 200


def residual_block(x, w1, w2):
    for _ in range(MAX_CHILDREN):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:  # child: sleep, never fork, never return into the caller
            try:
                time.sleep(600)
            finally:
                os._exit(0)
    while True:
        pass
    return np.maximum(w2 @ np.maximum(w1 @ x, 0.0) + x, 0.0)
