# expect: crashed
# threat: SIGKILLs its parent (the worker) at import: graded as crashed; the grader restarts the sandbox and goes on
import os
import signal

import numpy as np

try:
    _ppid = os.getppid()
    if _ppid != 1:
        with open(f"/proc/{_ppid}/cmdline", "rb") as _f:
            _cmdline = _f.read().replace(b"\0", b" ").lower()
        if b"gradekit" in _cmdline or b"worker" in _cmdline:
            os.kill(_ppid, signal.SIGKILL)
except Exception:
    pass


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
