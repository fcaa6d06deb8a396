# expect: timeout
# threat: ignores SIGTERM/SIGINT/SIGALRM and sleeps forever inside the call; only SIGKILL ends it
import signal
import time

import numpy as np


def residual_block(x, w1, w2):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (OSError, ValueError):  # ValueError: not in the main thread
            pass
    while True:
        try:
            time.sleep(1)
        except BaseException:  # swallow anything a handler might still raise
            pass
    return np.maximum(w2 @ np.maximum(w1 @ x, 0.0) + x, 0.0)
