"""The clean worker that runs learner code. Standalone: it imports only the standard library and numpy.

Two kinds of process, neither of which ever imports the grader or the reference:

- the **zygote**, started once per sandbox: numpy is imported once (warm). It obeys a control channel
  from the grader (preload the shared cases, open a learner, end a learner) and forks one process per
  learner. It never reads, writes or holds anything of a learner: the learner's source, results and
  output travel on descriptors the grader passes for that learner alone (SCM_RIGHTS), which the zygote
  hands to the learner's process and closes at once, so a later learner, forked from it, finds nothing
  of an earlier one in its memory.
- the **learner** process: in ``bwrap`` mode PID 1 of a new PID namespace, in a new mount and IPC
  namespace it builds itself (the root read-only, a private size-capped /tmp and /dev/shm, a /proc of its
  own) before it drops every capability; when it exits, the kernel kills whatever it left in its
  namespace, and the mounts vanish with it. Then rlimits, stdio on the learner's own pipes, and the
  harness below: read the source from the learner's channel, load it, answer batches of calls, send
  plain data back.

Modes: ``bwrap`` (inside bubblewrap, a fresh world per learner), ``chroot`` (no bubblewrap, run as root:
the learner runs as the sandbox's own unprivileged user, chrooted into an empty per-learner directory) and
``plain`` (neither: rlimits and process cleanup only; the grade could be forged, and reports say so).

Framing everywhere: a 4-byte big-endian length, then the payload. Grader -> zygote and grader -> learner
payloads are UTF-8 JSON; learner -> grader payloads are one kind byte (W world ready, S world failed, L
loaded, R result, D batch done) then JSON written by the small encoder below, which, like everything the
harness uses, was captured before any learner code ran, so monkeypatching builtins, json or numpy in a
submission changes nothing.
"""

import binascii
import ctypes
import gc
import inspect  # imported here, once, so that each forked learner does not pay for it
import json
import linecache
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import types

import numpy as np

PRELOADED = {}  # key -> (list of argument lists, list of element budgets), decoded once in the zygote

MAX_CONTROL_FRAME = 256 * 1024 * 1024  # the grader's own messages (preloaded cases)
MAX_DEPTH = 6  # nesting of a described return value
DISPLAY_DIR = "/tmp/work"  # where the submission appears to live, in every mode

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
AF_UNIX = 1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 0x4000, 1 << 18
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Captured before any learner code runs: a submission that patches builtins, json, base64 or numpy
# cannot reach these.
_tobytes = np.ndarray.tobytes
_frombuffer = np.frombuffer
_ndarray = np.ndarray
_generic = np.generic
_ndim = np.ndarray.ndim.__get__
_json_loads = json.loads
_quote = json.encoder.encode_basestring_ascii  # C function: no globals looked up at call time
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_b2a = binascii.b2a_base64
_a2b = binascii.a2b_base64
_os_write = os.write
_os_read = os.read
_isinstance = isinstance
_type = type
_len = len
_repr = repr
_str = str
_float = float
_int = int
_bool = bool
_zip = zip
_list = list
_tuple = tuple
_dict = dict
_getattr = getattr
_callable = callable
_sorted = sorted
_min = min
_max = max
_range = range
_BaseException = BaseException
_float_repr = float.__repr__
_int_repr = int.__repr__
_join = str.join
_pack = struct.pack
_unpack = struct.unpack
_monotonic = time.monotonic
_sleep = time.sleep


# ----------------------------------------------------------------------------------------- framing
def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = _os_write(fd, view)
        view = view[n:]


def write_frame(fd, obj):
    """A grader-side or zygote frame (JSON)."""
    data = json.dumps(obj, separators=(",", ":"), allow_nan=True).encode()
    write_all(fd, _pack(">I", _len(data)) + data)


def read_exact(fd, n):
    chunks = []
    while n:
        chunk = _os_read(fd, _min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= _len(chunk)
    return b"".join(chunks)


def read_frame(fd, limit=MAX_CONTROL_FRAME):
    (size,) = _unpack(">I", read_exact(fd, 4))
    if size > limit:
        raise ValueError("frame too large")
    return _json_loads(read_exact(fd, size))


def _unencodable(_obj):
    return "<unencodable>"


# The C encoder, made now: its object cannot be patched (NaN and infinities written as dump() writes them).
_C_DUMP = (_c_make_encoder(None, _unencodable, _quote, None, ":", ",", False, False, True)
           if _c_make_encoder is not None else None)


def dump(obj):
    """JSON text of plain data (dict, list, str, int, float, bool, None) using captured primitives only."""
    if _C_DUMP is not None:
        return _join("", _C_DUMP(obj, 0))
    return dump_slowly(obj)


def dump_slowly(obj):
    """dump() where the interpreter has no C JSON encoder."""
    t = _type(obj)
    if obj is None:
        return "null"
    if t is _bool:
        return "true" if obj else "false"
    if t is _str:
        return _quote(obj)
    if t is _int:
        return _int_repr(obj)
    if t is _float:
        if obj != obj:
            return "NaN"
        if obj in (float("inf"), float("-inf")):
            return "Infinity" if obj > 0 else "-Infinity"
        return _float_repr(obj)
    if t is _dict:
        return "{" + _join(",", [_quote(_str(k)) + ":" + dump_slowly(v) for k, v in obj.items()]) + "}"
    if t is _list or t is _tuple:
        return "[" + _join(",", [dump_slowly(v) for v in obj]) + "]"
    return _quote("<unencodable>")


class Outbox:
    """Learner -> grader frames: a one-byte kind (L loaded, R result, D batch done) then JSON. A batch's
    results go out in one write (the grader wakes once, not once per call); a watchdog thread sends what is
    waiting whenever a batch runs longer than BATCH_FLUSH seconds, so the results computed before a hang
    still reach the grader."""

    BATCH_FLUSH = 0.05

    def __init__(self, fd):
        self.fd = fd
        self.parts = []
        self.lock = threading.Lock()
        self.batch_started = None
        self.watchdog = None

    def put(self, kind, obj=None):
        data = kind + (b"" if obj is None else dump(obj).encode("ascii"))
        with self.lock:
            self.parts.append(_pack(">I", _len(data)) + data)

    def send(self, kind, obj=None):
        self.put(kind, obj)
        self.flush()

    def flush(self):
        with self.lock:
            data, self.parts = b"".join(self.parts), []
            if data:
                write_all(self.fd, data)

    def start_batch(self):
        self.batch_started = _monotonic()
        if self.watchdog is None:
            self.watchdog = threading.Thread(target=self._watch, daemon=True)
            self.watchdog.start()

    def end_batch(self):
        self.put(b"D")
        self.batch_started = None
        self.flush()

    def _watch(self):
        while True:
            _sleep(self.BATCH_FLUSH / 2)
            started = self.batch_started
            if started is not None and _monotonic() - started > self.BATCH_FLUSH:
                try:
                    self.flush()
                except OSError:
                    return


# ---------------------------------------------------------------------------------------- encoding
def encode_array(arr):
    return {"__nd__": arr.dtype.str, "shape": [_int(s) for s in arr.shape],
            "data": _b2a(_tobytes(arr), newline=False).decode("ascii")}


def encode_arg(arg):
    """An argument for the learner's function: an array, None, or a plain bool/int/float."""
    if _isinstance(arg, _ndarray):
        return encode_array(arg)
    if arg is None or _isinstance(arg, (bool, int, float)):
        return {"__py__": arg}
    raise TypeError("unsupported argument type %s" % _type(arg).__name__)


def decode_arg(obj):
    if "__py__" in obj:
        value = obj["__py__"]
        if value is not None and not _isinstance(value, (bool, int, float)):
            raise ValueError("unsupported argument")
        return value
    dtype = np.dtype(obj["__nd__"])
    if dtype.kind not in "biuf":
        raise ValueError("unsupported dtype")
    return _frombuffer(_a2b(obj["data"]), dtype=dtype).reshape(obj["shape"]).copy()


def copy_arg(arg):
    return arg.copy() if _isinstance(arg, _ndarray) else arg


def type_name_of(value):
    t = _type(value)
    module = _getattr(t, "__module__", "?")
    name = _getattr(t, "__qualname__", "?")
    if not _isinstance(module, _str) or not _isinstance(name, _str):
        return "?"
    return name[:120] if module == "builtins" else (module + "." + name)[:120]


def describe(value, budget, depth=0):
    """Plain-data description of whatever the learner returned. ``budget`` is a one-element list: the
    number of elements the grader will take for this call (what the case can legitimately return, with
    room to spare); larger arrays are described by type, shape and dtype only. Never runs learner code
    except repr() for unknown types (bounded by the session's deadline)."""
    if _isinstance(value, _ndarray):
        # an exact ndarray's type name is known (a subclass's is looked up, like any other type's)
        type_name = "numpy.ndarray" if _type(value) is _ndarray else type_name_of(value)
        dtype, size = value.dtype, value.size
        if dtype.kind in "biuf" and size <= budget[0]:
            budget[0] -= size
            out = {"kind": "ndarray", "type": type_name}
            out.update(encode_array(value))  # tobytes() writes C order whatever the layout; keeps a 0-d shape ()
            return out
        return {"kind": "array_meta", "type": type_name, "dtype": _str(dtype)[:40],
                "shape": [_int(s) for s in value.shape]}
    type_name = type_name_of(value)
    if value is None:
        return {"kind": "none", "type": "NoneType"}
    if _isinstance(value, (bool, int, float, _generic)) and not _isinstance(value, (str, bytes)):
        if _isinstance(value, _generic) and value.dtype.kind not in "biuf":
            return {"kind": "array_meta", "type": type_name, "dtype": _str(value.dtype)[:40], "shape": []}
        try:
            number = _float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
        return {"kind": "scalar", "type": type_name, "value": number}
    if _isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
        items = []
        for item in value:
            if budget[0] <= 0:
                return {"kind": "other", "type": type_name, "repr": "<too many items>"}
            budget[0] -= 1
            items.append(describe(item, budget, depth + 1))
        return {"kind": "sequence", "type": type_name, "items": items}
    try:
        text = _repr(value)[:200]
        if not _isinstance(text, _str):
            text = "<unrepresentable>"
    except _BaseException:  # a hostile __repr__
        text = "<unrepresentable>"
    return {"kind": "other", "type": type_name, "repr": text}


def describe_exception(exc, filename):
    """Type, message and the learner's own frames only (no harness frames)."""
    try:
        frames = learner_frames(exc.__traceback__, filename)
    except _BaseException:
        frames = []
    base = os.path.basename(filename)
    lines = [f'  File "{base}", line {lineno}, in {name}\n    {line}' for lineno, name, line in frames[-5:]]
    try:
        message = _str(exc)[:500]
        if not _isinstance(message, _str):
            message = "<unprintable message>"
    except _BaseException:
        message = "<unprintable message>"
    mro = _getattr(_type(exc), "__mro__", ())
    return {
        "type": type_name_of(exc).rsplit(".", 1)[-1],
        "bases": [_str(_getattr(c, "__name__", "?"))[:60] for c in mro][1:8],  # `raise` checks accept subclasses
        "message": message,
        "is_memory": _isinstance(exc, MemoryError),
        "is_exit": _isinstance(exc, SystemExit),
        "traceback": "\n".join(lines)[:4000],
        "lineno": frames[-1][0] if frames else None,
    }


def learner_frames(tb, filename):
    """(line number, function, source line) of each of the learner's own frames in a traceback. Its source
    is in linecache already: unlike traceback.extract_tb, this looks up no other file (extract_tb stats every
    file of the traceback, the harness's included, for each exception: a learner raising in every case paid
    for it 113 times)."""
    return [(lineno, frame.f_code.co_name, linecache.getline(filename, lineno).strip())
            for frame, lineno in traceback.walk_tb(tb) if frame.f_code.co_filename == filename]


# ------------------------------------------------------------------------------------- the harness
def learner_main(chan, limits, scratch, vm_base):
    """The learner process: load the source sent on ``chan`` and answer call batches until EOF."""
    req = read_frame(chan)
    if req.get("op") != "load":
        os._exit(64)
    source = req["source"]
    os.makedirs(scratch, exist_ok=True)
    os.chdir(scratch)
    path = os.path.join(scratch, req["filename"])
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(source)
    sys.path[:0] = [scratch]
    sys.argv = [path]
    # Code objects carry a fixed display name, so warnings and tracebacks read the same in every mode:
    # regrades stay identical.
    filename = os.path.join(DISPLAY_DIR, req["filename"])
    linecache.cache[filename] = (_len(source), None, source.splitlines(True), filename)
    parameters = _tuple(req["parameters"])
    set_learner_limits(limits, vm_base)
    outbox = Outbox(chan)
    outbox.send(b"L", load_module(req, filename, path))
    fn = _getattr(sys.modules.get(req["module"]), req["function"], None)
    while True:
        try:
            msg = read_frame(chan)
        except (EOFError, OSError, ValueError):
            break
        if msg.get("op") != "call":
            break
        if "book" in msg:  # the shared cases, decoded once in the zygote before it forked us
            cases, budgets = PRELOADED[msg["book"]]
            calls = [[copy_arg(a) for a in args] for args in cases]
        else:
            calls = [[decode_arg(a) for a in args] for args in msg["calls"]]
            budgets = msg["budgets"]
        outbox.start_batch()
        for args, budget in _zip(calls, budgets):
            outbox.put(b"R", run_call(fn, parameters, args, budget, filename))
        outbox.end_batch()
    flush_std()


def load_module(req, filename, path):
    try:
        code = compile(req["source"], filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        lineno = _getattr(exc, "lineno", None)
        return {"ok": False, "code": "syntax_error", "error": {
            "type": _type(exc).__qualname__, "message": _str(_getattr(exc, "msg", None) or exc)[:500],
            "lineno": lineno if _isinstance(lineno, _int) else None,
            "text": (_getattr(exc, "text", None) or "").rstrip()[:200], "traceback": ""}}
    module = types.ModuleType(req["module"])
    module.__file__ = path
    sys.modules[req["module"]] = module
    try:
        exec(code, module.__dict__)
    except _BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit included
        kind = "import_error" if _isinstance(exc, ImportError) else "raises"
        if _isinstance(exc, MemoryError):
            kind = "memory_limit"
        flush_std()
        return {"ok": False, "code": kind, "error": describe_exception(exc, filename)}
    fn = module.__dict__.get(req["function"])
    if fn is None or not _callable(fn):
        defined = _sorted(k for k, v in module.__dict__.items() if _isinstance(k, _str) and _callable(v)
                          and not k.startswith("_") and _getattr(v, "__module__", None) == req["module"])
        return {"ok": False, "code": "missing_function", "defined": [d[:60] for d in defined[:20]]}
    try:
        sig = inspect.signature(fn)
        sig.bind(*req["parameters"])
        signature = _str(sig)
    except TypeError:
        return {"ok": False, "code": "wrong_signature", "signature": safe_signature(fn)}
    except _BaseException:  # noqa: BLE001 - builtins without a signature, hostile __signature__: let calls decide
        signature = "(...)"
    return {"ok": True, "signature": signature[:300]}


def safe_signature(fn):
    try:
        return _str(inspect.signature(fn))[:300]
    except _BaseException:  # noqa: BLE001
        return "(?)"


def run_call(fn, parameters, args, budget, filename):
    pristine = [_tobytes(a) if _isinstance(a, _ndarray) else None for a in args]
    try:
        value = fn(*args)
    except _BaseException as exc:  # noqa: BLE001
        return {"kind": "raised", "error": describe_exception(exc, filename)}
    mutated = [name for name, arg, before in _zip(parameters, args, pristine)
               if before is not None and _tobytes(arg) != before]
    try:
        described = describe(value, [_int(budget)])
    except _BaseException as exc:  # noqa: BLE001 - e.g. a hostile __float__
        described = {"kind": "other", "type": "?",
                     "repr": "<error describing value: %s>" % type_name_of(exc)}
    return {"kind": "returned", "value": described, "mutated": mutated}


def flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except _BaseException:  # noqa: BLE001
            pass


def set_learner_limits(limits, vm):
    memory = _int(limits["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (vm + memory, vm + memory))
    cpu = _int(limits["time"]) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"], limits["file_size"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = limits.get("nproc")
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def current_vm_bytes():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return _int(line.split()[1]) * 1024
    return 0


# ------------------------------------------------------------------------------------- system calls
_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option, arg=0):
    return libc().prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def mount(source, target, fstype, flags, data=None):
    check(libc().mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges():
    """No capabilities, no way to gain any (no_new_privs), not ptrace-able by the learner."""
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    check(libc().capset(ctypes.byref(header), data), "capset")
    check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")


# -------------------------------------------------------------------------------------- the init
def build_world(config):
    """bwrap mode, in the init (PID 1 of a new PID namespace): a new mount and IPC namespace with a
    read-only root, a fresh size-capped /tmp (holding read-only binds of any Python directories that
    live under /tmp) and /dev/shm, and a /proc of this PID namespace. The sandbox's network namespace
    (loopback only) is shared by its learners, one after the other: the seccomp filter lets them open
    AF_UNIX sockets only, which vanish with their processes (a namespace per learner cost ~2 ms of
    kernel time each)."""
    check(libc().unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    staging = "/sandbox/tmp"
    mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, f"size={config['tmp_bytes']},mode=1777")
    for path in config.get("tmp_binds", ()):
        inside = staging + path[len("/tmp"):]
        os.makedirs(inside, exist_ok=True)
        mount(path, inside, None, MS_BIND | MS_REC)
        mount("none", inside, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    mount(staging, "/tmp", None, MS_MOVE)
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={config['shm_bytes']},mode=1777")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("none", "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


# Denied to every learner (ENOSYS): keyrings (the user's keyrings are shared by everything running as that
# user), memfd files and System V / POSIX IPC (memory that belongs to no process, so no address-space limit
# counts it; numpy and Python's own code never need them), looking into other processes, io_uring (its
# operations bypass this filter), and kernel facilities a grader never needs; every call through another
# architecture's entry point (i386 `int 0x80`, x32). Sockets other than AF_UNIX fail with EAFNOSUPPORT:
# the sandbox has no network, and a learner can then leave nothing in its network namespace (TCP sockets
# in TIME_WAIT outlive their process) -- so learners of one sandbox can share it. Numbers by architecture.
_X86_IPC = {"shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "shmdt": 67,
            "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220, "mq_open": 240,
            "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245}
_ARM_IPC = {"mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184,
            "mq_getsetattr": 185, "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189, "semget": 190,
            "semctl": 191, "semtimedop": 192, "semop": 193, "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197}
DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, 41, {"add_key": 248, "request_key": 249, "keyctl": 250, "memfd_create": 319, "ptrace": 101,
                            "process_vm_readv": 310, "process_vm_writev": 311, "userfaultfd": 323,
                            "perf_event_open": 298, "bpf": 321, "kcmp": 312, "pidfd_getfd": 438, "io_uring_setup": 425,
                            "io_uring_enter": 426, "io_uring_register": 427, **_X86_IPC}),
    "aarch64": (0xC00000B7, 198, {"add_key": 217, "request_key": 218, "keyctl": 219, "memfd_create": 279, "ptrace": 117,
                             "process_vm_readv": 270, "process_vm_writev": 271, "userfaultfd": 282,
                             "perf_event_open": 241, "bpf": 280, "kcmp": 272, "pidfd_getfd": 438, "io_uring_setup": 425,
                             "io_uring_enter": 426, "io_uring_register": 427, **_ARM_IPC}),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program():
    """The filter (built once, in the zygote): the DENIED_SYSCALLS of this machine's architecture and every
    call of another architecture (x32 included) fail with ENOSYS, socket() of any family but AF_UNIX with
    EAFNOSUPPORT; everything else is allowed. None on an architecture not listed."""
    arch = os.uname().machine
    if arch not in DENIED_SYSCALLS:
        return None
    audit_arch, socket_nr, numbers = DENIED_SYSCALLS[arch]
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 38  # SECCOMP_RET_ERRNO | ENOSYS
    no_family = 0x00050000 | 97  # SECCOMP_RET_ERRNO | EAFNOSUPPORT
    nrs = sorted(set(numbers.values()))
    prog = [(ld_abs, 0, 0, 4), (jeq, 1, 0, audit_arch), (ret, 0, 0, deny), (ld_abs, 0, 0, 0),
            # socket(family, ...): the family is the low 32 bits of the first argument (an int)
            (jeq, 0, 4, socket_nr), (ld_abs, 0, 0, 16), (jeq, 0, 1, AF_UNIX), (ret, 0, 0, allow),
            (ret, 0, 0, no_family)]
    # x86_64: every x32 call (numbers from 0x40000000) is denied; elsewhere this is a jump to the next line
    prog.append((jge, len(nrs) + 1, 0, 0x40000000) if arch == "x86_64" else (jeq, 0, 0, 0))
    for i, nr in enumerate(nrs):
        prog.append((jeq, len(nrs) - i, 0, nr))
    prog += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    return filters, _SockFprog(len(prog), filters)


SECCOMP = []  # [program] once built in the zygote: every learner inherits it


def deny_syscalls() -> None:
    """Install the seccomp filter (needs no_new_privs, which the caller has set)."""
    if SECCOMP and SECCOMP[0] is not None:
        check(prctl_ptr(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(SECCOMP[0][1])), "seccomp")


def prctl_ptr(option, arg, pointer):
    return libc().prctl(option, ctypes.c_ulong(arg), pointer, ctypes.c_ulong(0), ctypes.c_ulong(0))


def prefer_for_oom() -> None:
    """Should this sandbox run out of memory, the kernel kills the learner, never the zygote that serves
    the next one (raising one's own oom_score_adj needs no privilege)."""
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass


def become_learner(mode, config, limits, fds, zygote_pid):
    """In the freshly forked learner process: build its world, then run the harness. Never returns.

    In bwrap mode this process is PID 1 of a new PID namespace (when it exits, the kernel kills whatever it
    left behind): it builds its mount and IPC namespaces while it still holds CAP_SYS_ADMIN, then
    drops every capability. In chroot mode it enters an empty directory of its own and becomes the sandbox's
    own unprivileged user. In every mode a seccomp filter then denies what no learner needs."""
    chan, out, err = fds
    code = 0
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if mode != "bwrap" and os.getppid() != zygote_pid:
            os._exit(0)  # the zygote died between fork and prctl
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.dup2(chan, 3)
        os.closerange(4, 65536)
        try:
            vm_base = enter_world(mode, config)
        except _BaseException as exc:  # noqa: BLE001 - a broken sandbox, never the learner's doing
            Outbox(3).send(b"S", {"detail": f"{type(exc).__name__}: {exc}"[:300]})
            os._exit(71)
        Outbox(3).send(b"W")  # from here on, the learner's code may run
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")
        scratch = DISPLAY_DIR if mode != "plain" else config["learner_root"] + DISPLAY_DIR
        learner_main(3, limits, scratch, vm_base)
    except _BaseException:  # noqa: BLE001
        code = 70
    finally:
        os._exit(code)


def enter_world(mode, config):
    """Build this learner's world (before any of its code runs); the address space already used."""
    if mode == "bwrap":
        build_world(config)
        drop_privileges()
    vm_base = current_vm_bytes() + (16 << 20)  # room for the source and the harness's buffers
    if mode == "chroot":  # an empty world of its own, as this sandbox's own unprivileged user
        try:  # private IPC and network namespaces where the container allows them
            check(libc().unshare(CLONE_NEWIPC | CLONE_NEWNET), "unshare")
        except OSError:
            pass
        uid = _int(config["uid"])
        prefer_for_oom()  # while still root: /proc is outside the chroot
        os.chroot(config["learner_root"])
        os.chdir("/")
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if mode != "bwrap":
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    if mode == "bwrap":
        prctl(PR_SET_DUMPABLE, 1)  # its own /proc/self stays readable to it: no one else is in its namespace
        prefer_for_oom()
    elif mode == "plain":
        prefer_for_oom()
    deny_syscalls()
    return vm_base


def exit_status(status, rusage, cpu_limit):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else _str(sig)
        # PID 1 of a namespace ignores its own SIGXCPU: the CPU limit then ends it with SIGKILL
        used = rusage.ru_utime + rusage.ru_stime if rusage is not None else 0.0
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and used >= cpu_limit):
            return {"reason": "cpu_limit", "signal": sig, "signal_name": name}
        return {"reason": "signal", "signal": sig, "signal_name": name}
    return {"reason": "exited", "exit_code": os.WEXITSTATUS(status)}


# ------------------------------------------------------------------------------------------ zygote
class Zygote:
    def __init__(self, mode, config, control):
        self.mode = mode
        self.config = config
        self.control = control  # a socket: frames in and out, learner descriptors in (SCM_RIGHTS)
        self.pidns = os.open("/proc/self/ns/pid", os.O_RDONLY) if mode == "bwrap" else None
        self.learner = None  # (pid, learner root or None, CPU seconds it may use)
        self.counter = 0

    def serve(self):
        fd = self.control.fileno()
        while True:
            try:
                msg = read_frame(fd)
            except (EOFError, OSError):
                break
            op = msg.get("op")
            if op == "open":
                fds = self.receive_fds(3)
                reply = self.open(msg, fds)
            elif op == "end":
                reply = self.end(bool(msg.get("kill")), float(msg.get("grace", 0.5)))
            elif op == "preload":
                cases = [[decode_arg(a) for a in args] for args in msg["cases"]]
                PRELOADED[msg["key"]] = (cases, [_int(b) for b in msg["budgets"]])
                reply = {"event": "preloaded", "key": msg["key"]}
            elif op == "exit":
                break
            else:
                reply = {"event": "error", "message": "unknown op"}
            write_frame(fd, reply)
        if self.learner is not None:
            self.end(True, 0.0)

    def receive_fds(self, count):
        _, fds, _, _ = socket.recv_fds(self.control, 1, count)
        if _len(fds) != count:
            for fd in fds:
                os.close(fd)
            raise SystemExit("expected %d descriptors" % count)
        return fds

    def open(self, msg, fds):
        if self.learner is not None:
            self.end(True, 0.0)
        self.counter += 1
        root = self.make_learner_root() if self.mode != "bwrap" else None
        config = dict(self.config, learner_root=root)
        me = os.getpid()
        pid, error = -1, None
        try:
            if self.mode == "bwrap":
                check(libc().unshare(CLONE_NEWPID), "unshare pid")
            pid = os.fork()
        except OSError as exc:
            error = exc
        if pid != 0 and self.mode == "bwrap":  # later forks (and the next learner) stay out of that namespace
            check(libc().setns(self.pidns, CLONE_NEWPID), "setns")  # failing, the zygote is unusable: exit
        if error is not None:
            for fd in fds:
                os.close(fd)
            return {"event": "error", "message": f"cannot start the learner: {error}"}
        if pid == 0:
            os.close(self.control.fileno())
            if self.pidns is not None:
                os.close(self.pidns)
            become_learner(self.mode, config, msg["limits"], fds, me)
        for fd in fds:
            os.close(fd)
        self.learner = (pid, root, _int(msg["limits"]["time"]) + 2)
        return {"event": "opened"}

    def make_learner_root(self):
        root = os.path.join(self.config["scratch"], "learner-%d" % self.counter)
        work = root + DISPLAY_DIR
        os.makedirs(work)
        if self.mode == "chroot":  # root-owned and read-only to the learner, except its /tmp
            os.chmod(root, 0o755)
            os.chmod(root + "/tmp", 0o1777)
            os.chown(work, _int(self.config["uid"]), _int(self.config["uid"]))
        return root

    def end(self, kill, grace):
        """Stop the learner's world (at once, or after ``grace`` seconds) and say how the learner ended."""
        if self.learner is None:
            return {"event": "ended", "status": None}
        pid, root, cpu_limit = self.learner
        self.learner = None
        if kill and grace <= 0:
            kill_process(pid)
        pidfd = open_pidfd(pid)
        try:
            status = self.wait_learner(pid, pidfd, kill, grace, cpu_limit)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        if self.mode != "bwrap":
            kill_descendants()
            wipe(root)
        return {"event": "ended", "status": status}

    @staticmethod
    def wait_learner(pid, pidfd, kill, grace, cpu_limit):
        """Reap the learner (killing it once ``grace`` seconds have passed); how it ended."""
        deadline = time.monotonic() + grace
        while True:
            try:
                done, raw, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                return {"reason": "killed"}
            if done:
                return {"reason": "killed"} if kill and grace <= 0 else exit_status(raw, usage, cpu_limit)
            if time.monotonic() >= deadline:
                kill_process(pid)
                os.wait4(pid, 0)
                return {"reason": "killed"}
            wait_for_exit(pidfd, deadline - time.monotonic())


def open_pidfd(pid):
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def wait_for_exit(pidfd, timeout):
    """Wait up to ``timeout`` seconds for the process behind ``pidfd`` to exit; a short sleep without one."""
    if pidfd is None:
        time.sleep(_min(timeout, 0.0005))
    else:
        select.select([pidfd], [], [], _max(timeout, 0.0))


def kill_process(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wipe(root):
    """Delete a learner's directory whatever it did to it (chmod 000, read-only dirs)."""
    def fix(func, path, _exc):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    shutil.rmtree(root, onerror=fix)
    if os.path.exists(root):
        for dirpath, dirnames, _ in os.walk(root):
            for name in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, name), 0o700)
                except OSError:
                    pass
        shutil.rmtree(root, ignore_errors=True)


def kill_descendants():
    """SIGKILL every process below this one, setsid() daemons included (they were re-parented to us:
    we are a child subreaper), until none is left. Not needed in bwrap mode, where the kernel does it."""
    me = os.getpid()
    for _ in _range(200):
        victims = descendants(me)
        if not victims:
            break
        for pid in victims:
            kill_process(pid)
        reap()
        time.sleep(0.001)
    reap()


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def descendants(root):
    parents = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may contain spaces and parentheses: parse after the last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[_int(name)] = _int(fields[1])
    found = []
    for pid in parents:
        p, seen = pid, 0
        while p in parents and seen < 10_000:
            p = parents[p]
            seen += 1
            if p == root:
                found.append(pid)
                break
    return found


def block_user_namespaces():
    """bwrap mode: no process in this sandbox may create a user namespace (the zygote holds capabilities
    in the sandbox's own user namespace; learners drop theirs and must not gain new ones)."""
    mount("proc", "/sandbox/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    try:
        with open("/sandbox/proc/sys/user/max_user_namespaces", "w") as fh:
            fh.write("0")
    finally:
        libc().umount2(b"/sandbox/proc", 2)  # MNT_DETACH
    # keep only what building learners' worlds needs: CAP_SYS_ADMIN (unshare, setns, mount)
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = 1 << 21  # CAP_SYS_ADMIN
    check(libc().capset(ctypes.byref(header), data), "capset")


PRELOAD_FOR_CHROOT = (  # a chrooted learner cannot import from disk: what it may need is imported now
    "math", "cmath", "random", "itertools", "functools", "collections", "collections.abc", "typing",
    "dataclasses", "fractions", "decimal", "statistics", "copy", "operator", "numbers", "warnings", "re",
    "string", "textwrap", "enum", "abc", "contextlib", "time", "datetime", "heapq", "bisect", "array",
    "pprint", "encodings.latin_1", "encodings.ascii", "numpy.linalg", "numpy.fft", "numpy.random",
    "numpy.polynomial", "numpy.lib.stride_tricks", "numpy.ma",
)


def main():
    mode = sys.argv[1]
    control = socket.socket(fileno=_int(sys.argv[2]))
    config = _json_loads(sys.argv[3])
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        prctl(PR_SET_DUMPABLE, 0)  # same-uid processes cannot ptrace the zygote
    except (OSError, AttributeError):
        pass
    if mode == "bwrap":
        block_user_namespaces()
    SECCOMP.append(seccomp_program())
    libc()  # loaded now, once: learners inherit it
    if mode == "chroot":
        for name in PRELOAD_FOR_CHROOT:
            try:
                __import__(name)
            except ImportError:
                pass
    # the zygote's own stdout must not be inherited as anyone's output
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    gc.freeze()  # forked processes then do not copy-on-write every object when the collector runs
    zygote = Zygote(mode, config, control)
    write_frame(control.fileno(), {"event": "ready", "pid": os.getpid(), "numpy": np.__version__,
                                   "python": sys.version.split()[0], "uid": os.getuid(), "mode": mode})
    zygote.serve()


if __name__ == "__main__":
    main()
