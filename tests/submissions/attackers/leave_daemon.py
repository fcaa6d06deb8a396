# threat: leaves a setsid() daemon behind that would outlive the learner and meddle with the next one
import os
import time

import numpy as np

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _fd in range(3, 64):
            try:
                os.close(_fd)
            except OSError:
                pass
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                with open("/tmp/gradekit_daemon_alive", "w") as fh:
                    fh.write(str(time.monotonic()))
            except OSError:
                pass
            time.sleep(0.05)
    os._exit(0)


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
