# expect: correct
# threat: at import tries to write marker files in /tmp, the home directory, two levels up, and the kit's repository
import os

import numpy as np

NAME = "gradekit_escape_write_outside"
for _path in ("/tmp/" + NAME, os.path.expanduser("~/" + NAME), "../../" + NAME, "/work/main/" + NAME):
    try:
        with open(_path, "a") as _f:
            _f.write(f"escaped from pid {os.getpid()}\n")
    except Exception:
        pass


def residual_block(x, w1, w2):
    hidden = np.maximum(w1 @ x, 0.0)
    return np.maximum(w2 @ hidden + x, 0.0)
