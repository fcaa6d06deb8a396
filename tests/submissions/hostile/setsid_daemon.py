# expect: correct
# threat: double-forks a setsid() daemon at import that keeps the inherited stdio open and touches a /tmp marker every second for 600 s
import os
import time

import numpy as np

MARKER = "/tmp/gradekit_escape_setsid_daemon"


def _daemon():
    try:
        os.setsid()
    except OSError:
        pass
    # stdin/stdout/stderr are deliberately left open: a grader that waits for EOF on them would hang
    for _ in range(600):
        try:
            with open(MARKER, "a") as f:
                f.write(f"{os.getpid()} {time.time()}\n")
        except OSError:
            pass
        time.sleep(1)


def _spawn():
    try:
        first = os.fork()
    except OSError:
        return
    if first == 0:
        try:
            if os.fork() == 0:
                try:
                    _daemon()
                finally:
                    os._exit(0)
        except BaseException:
            pass
        os._exit(0)  # the intermediate child exits at once, orphaning the daemon
    try:
        os.waitpid(first, 0)
    except OSError:
        pass


_spawn()


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
