# expect: unknown
# threat: tries to forge a perfect Gradescope results.json (atexit hooks + a thread) and fake score lines on fds 1-9; the real answer is zeros
import atexit
import json
import os
import threading
import time

import numpy as np

FAKE = {"score": 100, "max_score": 100, "output": "All tests passed!", "tests": []}
FAKE_LINE = (json.dumps({"score": 100, "max_score": 100}) + "\n").encode()
TARGETS = ("/autograder/results/results.json", "./results.json", "../results.json", "/tmp/results.json")
MARKER = "/tmp/gradekit_escape_forge_results"


def _forge_files():
    for path in TARGETS:
        try:
            # "x": create only, never clobber an existing file and never create directories
            with open(path, "x") as f:
                json.dump(FAKE, f)
        except OSError:
            pass
    try:
        with open(MARKER, "a") as f:
            f.write(f"{os.getpid()} forged\n")
    except OSError:
        pass


def _forge_fds():
    for fd in range(1, 10):
        try:
            os.write(fd, FAKE_LINE)
        except OSError:
            pass


def _forge():
    _forge_files()
    _forge_fds()


def _keep_forging():
    for _ in range(50):  # bounded: about 5 seconds
        _forge()
        time.sleep(0.1)


_forge()
atexit.register(_forge)
atexit.register(_forge_fds)
threading.Thread(target=_keep_forging, daemon=True).start()


def residual_block(x, w1, w2):
    _forge_fds()
    return np.zeros_like(np.asarray(x, dtype=float))
