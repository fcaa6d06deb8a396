# probe: which sockets a learner may open, and whether another architecture's system calls reach the kernel
import ctypes
import errno
import mmap
import os
import platform
import socket

import numpy as np

LIBC = ctypes.CDLL(None, use_errno=True)


def _family(family, kind=socket.SOCK_STREAM):
    try:
        socket.socket(family, kind).close()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


def _raw_socket(family):
    """socket(2) called directly, with bits above the 32 that the kernel reads set (x86_64 numbering)."""
    fd = LIBC.syscall(41, ctypes.c_long(family | (1 << 32)), 1, 0)
    return "ok" if fd >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")


def _in_child(run):
    """run() in a child process: its result, or how the child died (e.g. no i386 emulation: SIGSEGV)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, repr(run()).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    data = os.read(read, 100).decode()
    return data if data else f"died {status}"


def _i386_getpid():
    """getpid through the i386 entry point (int 0x80): the pid, or -errno."""
    code = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    code.write(bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3]))  # mov eax, 20; int 0x80; ret
    return ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(code)))()


def _io_uring():
    params = ctypes.create_string_buffer(120)
    fd = LIBC.syscall(425, 1, params)
    return "ok" if fd >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")


found = {"inet": _family(socket.AF_INET), "inet6": _family(socket.AF_INET6),
         "udp": _family(socket.AF_INET, socket.SOCK_DGRAM), "netlink": _family(socket.AF_NETLINK, socket.SOCK_RAW),
         "packet": _family(17, socket.SOCK_DGRAM), "unix": _family(socket.AF_UNIX)}
_a, _b = socket.socketpair()
_a.sendall(b"x")
found["socketpair"] = "ok" if _b.recv(1) == b"x" else "broken"
if platform.machine() == "x86_64":
    found["inet_high_bits"] = _raw_socket(socket.AF_INET)
    found["i386_getpid"] = _in_child(_i386_getpid)
    found["io_uring"] = _io_uring()
print("SOCKETS", sorted(found.items()))


def residual_block(x, w1, w2):
    return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
