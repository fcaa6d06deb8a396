# victim: a correct solution that prints everything of its world a classmate could have changed
import ctypes
import os
import resource

import numpy as np

PLACES = ("/", "/opt", "/etc", "/root", "/var/tmp", "/dev/shm", "/tmp", "/dev", "/sandbox", "/home", "/usr/local")


def _listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return f"<{type(exc).__name__}>"


def _ipc(kind):
    try:
        with open(f"/proc/sysvipc/{kind}") as fh:
            return len(fh.read().splitlines()) - 1
    except OSError:
        return "<none>"


def _posix_mq():
    try:
        librt = ctypes.CDLL("librt.so.1", use_errno=True)
        return librt.mq_open(b"/gradekit_left_behind", os.O_RDONLY) >= 0
    except OSError:
        return "<no librt>"


def _lines(path):
    try:
        with open(path) as fh:
            return len(fh.read().splitlines())
    except OSError as exc:
        return f"<{type(exc).__name__}>"


def _keys():
    libc = ctypes.CDLL(None, use_errno=True)
    found = libc.syscall(250, 10, -4, b"user", b"gradekit_left_behind", 0)  # keyctl(KEYCTL_SEARCH) in @u (x86_64)
    return "found" if found >= 0 else f"errno {ctypes.get_errno()}"


def _free_mib(path):
    try:
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize >> 20
    except OSError:
        return None


print("pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
print("tmp", _listing("/tmp"), "work", _listing("/tmp/work"), "shm", _listing("/dev/shm"))
print("left", [p for p in PLACES if os.path.exists(os.path.join(p, "gradekit_left_behind"))])
print("daemon", os.path.exists("/tmp/gradekit_daemon_alive"))
print("ipc", _ipc("shm"), _ipc("msg"), _ipc("sem"), "mq", _posix_mq())
print("keys", _keys(), _lines("/proc/keys"), "tcp", _lines("/proc/net/tcp"), _lines("/proc/net/unix"))
print("limits", [resource.getrlimit(r) for r in (resource.RLIMIT_NPROC, resource.RLIMIT_NOFILE, resource.RLIMIT_FSIZE,
                                                 resource.RLIMIT_CPU)])
print("free", _free_mib("/tmp"), _free_mib("/dev/shm"), "root", os.getuid() == 0)


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
