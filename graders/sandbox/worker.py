"""The clean worker that runs learner code. Standalone: it imports only the standard library and numpy.

It is started once per sandbox (a "zygote": numpy is imported once, warm) and forks one child per
submission. The child loads the learner's source and answers batches of calls; the zygote relays the
child's answers, drains its stdout/stderr up to a cap, enforces the session's deadline and, when the
session ends, kills every process the submission started (it is a child subreaper) and wipes the
scratch space. It never imports the grader package or the reference: the grader sends it source text
and plain arrays, and reads back plain data.

Protocol (grader <-> zygote, on stdin/stdout; zygote <-> child, on pipes): frames of a 4-byte
big-endian length and a UTF-8 JSON object. Arrays travel as {"__nd__": dtype, "shape": [...],
"data": base64}.
"""

import base64
import ctypes
import gc
import inspect  # imported here, once, so that each forked child does not pay for it
import json
import linecache
import os
import resource
import select
import shutil
import signal
import struct
import sys
import time
import traceback
import types

import numpy as np

PRELOADED = {}  # key -> list of argument lists, decoded once in the zygote

MAX_FRAME = 64 * 1024 * 1024
MAX_ITEMS = 100_000  # elements encoded from a returned value
MAX_DEPTH = 6
PR_SET_CHILD_SUBREAPER = 36
PR_SET_DUMPABLE = 4
DISPLAY_DIR = "/tmp/work"  # where the submission appears to live, in every isolation mode

# Captured before any learner code runs: monkeypatching numpy or builtins in the child cannot reach them.
_tobytes = np.ndarray.tobytes
_asarray = np.asarray
_frombuffer = np.frombuffer
_ndarray = np.ndarray
_generic = np.generic
_json_dumps = json.dumps
_json_loads = json.loads
_b64encode = base64.b64encode
_b64decode = base64.b64decode
_os_write = os.write
_os_read = os.read
_isinstance = isinstance
_type = type
_len = len
_repr = repr


# ----------------------------------------------------------------------------------------- framing
def write_frame(fd, obj):
    data = _json_dumps(obj, separators=(",", ":"), allow_nan=True).encode()
    buf = struct.pack(">I", _len(data)) + data
    view = memoryview(buf)
    while view:
        n = _os_write(fd, view)
        view = view[n:]


def read_exact(fd, n):
    chunks = []
    while n:
        chunk = _os_read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= _len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    (size,) = struct.unpack(">I", read_exact(fd, 4))
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    return _json_loads(read_exact(fd, size))


def write_raw(fd, data):
    buf = struct.pack(">I", _len(data)) + data
    view = memoryview(buf)
    while view:
        n = _os_write(fd, view)
        view = view[n:]


def send(fd, kind, obj=None):
    """Child -> zygote: a one-byte kind (L loaded, R result, D batch done) then JSON."""
    write_raw(fd, kind + (b"" if obj is None else _json_dumps(obj, separators=(",", ":")).encode()))


class FrameReader:
    """Incremental frame parser for a non-blocking pipe (used by the zygote on the child's channel).
    Frames stay raw bytes: the zygote relays results without decoding them."""

    def __init__(self):
        self.buf = bytearray()
        self.oversized = False

    def feed(self, chunk):
        self.buf += chunk
        frames = []
        while _len(self.buf) >= 4:
            (size,) = struct.unpack(">I", self.buf[:4])
            if size > MAX_FRAME:
                self.oversized = True
                return frames
            if _len(self.buf) < 4 + size:
                break
            frame = bytes(self.buf[4 : 4 + size])
            if not frame or frame[:1] not in (b"L", b"R", b"D"):
                self.oversized = True  # garbage on the channel: treat like a protocol violation
                return frames
            frames.append(frame)
            del self.buf[: 4 + size]
        return frames


# ---------------------------------------------------------------------------------------- encoding
def encode_array(arr):
    return {
        "__nd__": arr.dtype.str,
        "shape": list(arr.shape),
        "data": _b64encode(_tobytes(arr)).decode(),
    }


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
    return decode_array(obj)


def copy_arg(arg):
    return arg.copy() if _isinstance(arg, _ndarray) else arg


def decode_array(obj):
    dtype = np.dtype(obj["__nd__"])
    if dtype.kind not in "biuf":
        raise ValueError("unsupported dtype")
    arr = _frombuffer(_b64decode(obj["data"]), dtype=dtype).reshape(obj["shape"])
    return arr.copy()


def describe(value, depth=0, budget=None):
    """Plain-data description of whatever the learner returned; never executes learner methods
    except repr() for unknown types (bounded by the session deadline)."""
    if budget is None:
        budget = [MAX_ITEMS]
    t = _type(value)
    type_name = t.__module__ + "." + t.__qualname__ if t.__module__ != "builtins" else t.__qualname__
    if _isinstance(value, _ndarray):
        arr = value
        if arr.dtype.kind in "biuf" and arr.size <= budget[0]:
            budget[0] -= arr.size
            out = encode_array(np.ascontiguousarray(arr))
            out["kind"] = "ndarray"
            out["type"] = type_name
            return out
        return {"kind": "other", "type": type_name, "dtype": str(arr.dtype), "shape": list(arr.shape)}
    if value is None:
        return {"kind": "none", "type": "NoneType"}
    if _isinstance(value, (bool, int, float, _generic)) and not _isinstance(value, (str, bytes)):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
        return {"kind": "scalar", "type": type_name, "value": number}
    if _isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
        items = []
        for item in value:
            if budget[0] <= 0:
                return {"kind": "other", "type": type_name, "repr": "<too many items>"}
            budget[0] -= 1
            items.append(describe(item, depth + 1, budget))
        return {"kind": "sequence", "type": type_name, "items": items}
    try:
        text = _repr(value)[:200]
    except BaseException:  # a hostile __repr__
        text = "<unrepresentable>"
    return {"kind": "other", "type": type_name, "repr": text}


def describe_exception(exc, filename):
    """Type, message and the learner's own frames only (no worker frames)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = [f'  File "{os.path.basename(f.filename)}", line {f.lineno}, in {f.name}\n    {f.line}' for f in frames[-5:]]
    try:
        message = str(exc)[:500]
    except BaseException:
        message = "<unprintable message>"
    return {
        "type": _type(exc).__qualname__,
        "bases": [c.__name__ for c in _type(exc).__mro__][1:8],  # so `raise` checks accept subclasses
        "message": message,
        "is_memory": _isinstance(exc, MemoryError),
        "traceback": "\n".join(lines),
        "lineno": frames[-1].lineno if frames else None,
    }


# ------------------------------------------------------------------------------------------- child
def child_main(req, scratch, chan_in, chan_out):
    """Runs in the forked child: load the learner's module, then answer call batches until told to stop."""
    limits = req["limits"]
    set_limits(limits)
    os.chdir(scratch)
    path = os.path.join(scratch, req["filename"])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(req["source"])
    sys.path[:0] = [scratch]
    sys.argv = [path]
    # Code objects carry a fixed display name, so warnings and tracebacks read the same whatever the
    # scratch directory is (bwrap's /tmp/work or the fallback's temporary one): regrades stay identical.
    filename = os.path.join(DISPLAY_DIR, req["filename"])
    linecache.cache[filename] = (len(req["source"]), None, req["source"].splitlines(True), filename)
    send(chan_out, b"L", load_module(req, filename, path))
    fn = getattr(sys.modules.get(req["module"]), req["function"], None)
    while True:
        try:
            msg = read_frame(chan_in)
        except EOFError:
            break
        if msg.get("op") != "call":
            break
        if "book" in msg:  # the shared cases, decoded once in the zygote before it forked us
            calls = [[copy_arg(a) for a in args] for args in PRELOADED[msg["book"]]]
        else:
            calls = [[decode_arg(a) for a in args] for args in msg["calls"]]
        for args in calls:
            send(chan_out, b"R", run_call(fn, req, args, filename))
        flush_std()
        send(chan_out, b"D")
    flush_std()


def load_module(req, filename, path):
    try:
        code = compile(req["source"], filename, "exec")
    except (SyntaxError, ValueError) as exc:
        lineno = getattr(exc, "lineno", None)
        return {"event": "loaded", "ok": False, "code": "syntax_error", "error": {
            "type": _type(exc).__qualname__, "message": getattr(exc, "msg", str(exc)), "lineno": lineno,
            "text": (getattr(exc, "text", None) or "").rstrip()[:200], "traceback": ""}}
    module = types.ModuleType(req["module"])
    module.__file__ = path
    sys.modules[req["module"]] = module
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit included
        kind = "import_error" if _isinstance(exc, ImportError) else "raises"
        if _isinstance(exc, MemoryError):
            kind = "memory_limit"
        flush_std()
        return {"event": "loaded", "ok": False, "code": kind, "error": describe_exception(exc, filename)}
    fn = module.__dict__.get(req["function"])
    if fn is None or not callable(fn):
        defined = sorted(k for k, v in module.__dict__.items() if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == req["module"])
        return {"event": "loaded", "ok": False, "code": "missing_function", "defined": defined[:20]}
    try:
        sig = inspect.signature(fn)
        sig.bind(*req["parameters"])
        signature = str(sig)
    except TypeError:
        return {"event": "loaded", "ok": False, "code": "wrong_signature", "signature": safe_signature(fn)}
    except ValueError:
        signature = "(...)"  # builtins without a signature: let the calls decide
    return {"event": "loaded", "ok": True, "signature": signature[:300]}


def safe_signature(fn):
    try:
        return str(inspect.signature(fn))[:300]
    except (TypeError, ValueError):
        return "(?)"


def run_call(fn, req, args, filename):
    pristine = [_tobytes(a) if _isinstance(a, _ndarray) else a for a in args]
    try:
        value = fn(*args)
    except BaseException as exc:  # noqa: BLE001
        return {"kind": "raised", "error": describe_exception(exc, filename)}
    mutated = [name for name, arg, before in zip(req["parameters"], args, pristine)
               if _isinstance(arg, _ndarray) and _tobytes(arg) != before]
    try:
        described = describe(value)
    except BaseException as exc:  # noqa: BLE001 - e.g. a hostile __float__
        described = {"kind": "other", "type": "?", "repr": "<error describing value: %s>" % _type(exc).__qualname__}
    return {"kind": "returned", "value": described, "mutated": mutated}


def flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass


def set_limits(limits):
    vm = current_vm_bytes()
    memory = int(limits["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (vm + memory, vm + memory))
    cpu = int(limits["time"]) + 2
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
                return int(line.split()[1]) * 1024
    return 0


# ------------------------------------------------------------------------------------------ zygote
class Zygote:
    def __init__(self, scratch_root, wipe_root):
        self.scratch_root = scratch_root
        self.wipe_root = wipe_root  # everything under it is deleted after each session (sandbox /tmp)
        self.counter = 0
        self.session = None

    # --- session lifecycle
    def open(self, req):
        self.counter += 1
        # the same path for every submission (wiped in between), so reports do not depend on order
        scratch = os.path.join(self.scratch_root, "work")
        os.makedirs(scratch, mode=0o777)
        os.chmod(scratch, 0o777)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 0
            try:
                os.setsid()
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                low, high = sorted((to_child_r, from_child_w))
                os.closerange(3, low)
                os.closerange(low + 1, high)
                os.closerange(high + 1, 65536)
                sys.stdin = open(0, closefd=False)
                sys.stdout = open(1, "w", buffering=1, closefd=False)
                sys.stderr = open(2, "w", buffering=1, closefd=False)
                child_main(req, scratch, to_child_r, from_child_w)
            except BaseException:  # noqa: BLE001
                code = 70
            finally:
                os._exit(code)
        for fd in (to_child_r, from_child_w, out_w, err_w):
            os.close(fd)
        for fd in (from_child_r, out_r, err_r):
            os.set_blocking(fd, False)
        limit = float(req["limits"]["time"])
        self.session = {
            "pid": pid, "scratch": scratch, "to_child": to_child_w, "chan": from_child_r,
            "names": {from_child_r: "chan", out_r: "stdout", err_r: "stderr"},
            "polling": {from_child_r, out_r, err_r}, "reader": FrameReader(), "frames": [],
            "deadline": time.monotonic() + limit, "started": time.monotonic(), "limit": limit,
            "output_cap": int(req["limits"]["output"]),
            "captured": {"stdout": bytearray(), "stderr": bytearray()}, "totals": {"stdout": 0, "stderr": 0},
            "ended": None,
        }
        frame = self.wait_for(lambda f: f[:1] == b"L")
        if frame is None:
            return {"event": "loaded", "ok": False, "ended": self.session["ended"]}
        reply = _json_loads(frame[1:])
        reply["event"] = "loaded"
        return reply

    def call(self, msg):
        """Relay one batch of calls; returns the reply as raw JSON bytes (results are not re-parsed)."""
        s = self.session
        if s is None or s["ended"] is not None:
            return _json_dumps({"event": "results", "results": [], "ended": s and s["ended"]}).encode()
        try:
            write_frame(s["to_child"], msg)
        except OSError:
            pass  # the child is gone; wait_for() reports how it ended
        expected = len(PRELOADED.get(msg.get("book"), ())) if "book" in msg else len(msg.get("calls", ()))
        results = []

        def collect(frame):
            if frame[:1] == b"R":
                results.append(frame[1:])
                return False
            return frame[:1] == b"D"

        done = self.wait_for(collect)
        ended = _json_dumps(None if done else s["ended"]).encode()
        return b'{"event":"results","ended":' + ended + b',"results":[' + b",".join(results[:expected]) + b"]}"

    def close(self):
        s = self.session
        if s is None:
            return {"event": "closed"}
        ended_before_close = s["ended"]
        if s["ended"] is None:
            try:
                os.close(s["to_child"])  # EOF: the child flushes and leaves
                s["to_child"] = None
            except OSError:
                pass
            s["deadline"] = min(s["deadline"], time.monotonic() + 0.5)
            self.wait_for(lambda f: False)
        self.kill_descendants()
        for fd in [s["to_child"], *s["names"]]:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.wipe()
        cap = s["output_cap"]
        report = {
            "event": "closed",
            "ended": ended_before_close,
            "elapsed": time.monotonic() - s["started"],
            "stdout": bytes(s["captured"]["stdout"][:cap]).decode("utf-8", "replace"),
            "stderr": bytes(s["captured"]["stderr"][:cap]).decode("utf-8", "replace"),
            "stdout_bytes": s["totals"]["stdout"],
            "stderr_bytes": s["totals"]["stderr"],
        }
        self.session = None
        return report

    # --- the relay loop
    def wait_for(self, done):
        """Relay the child's frames into done() until it returns True; stops at the deadline or when
        the child dies. Returns the frame that satisfied done(), else None (s['ended'] says why)."""
        s = self.session
        while True:
            while s["frames"]:
                frame = s["frames"].pop(0)
                if done(frame):
                    return frame
            if s["ended"] is not None:
                return None
            remaining = s["deadline"] - time.monotonic()
            if remaining <= 0:
                self.end("timeout")
                return None
            readable, _, _ = select.select(list(s["polling"]), [], [], min(remaining, 0.05))
            for fd in readable:
                self.drain(fd)
            if s["reader"].oversized:
                self.end("protocol", detail="sent an oversized or malformed message")
                return None
            if not readable:
                self.check_exit()

    def drain(self, fd):
        s = self.session
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        name = s["names"][fd]
        if not chunk:
            s["polling"].discard(fd)
            if name == "chan":
                self.check_exit(block=True)
            return
        if name == "chan":
            s["frames"].extend(s["reader"].feed(chunk))
            return
        s["totals"][name] += len(chunk)
        buf = s["captured"][name]
        room = s["output_cap"] - len(buf)
        if room > 0:
            buf += chunk[:room]

    def check_exit(self, block=False):
        s = self.session
        if s["ended"] is not None:
            return
        try:
            pid, status = os.waitpid(s["pid"], 0 if block else os.WNOHANG)
        except ChildProcessError:
            pid, status = s["pid"], 0
        if pid == 0:
            return
        s["pid"] = None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            reason = "cpu_limit" if sig == signal.SIGXCPU else "signal"
            self.end(reason, signal=sig, signal_name=signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig))
        else:
            self.end("exited", exit_code=os.WEXITSTATUS(status))

    def end(self, reason, **info):
        s = self.session
        if s["ended"] is not None:
            return
        s["ended"] = dict(reason=reason, elapsed=time.monotonic() - s["started"], **info)
        if reason not in ("exited", "signal", "cpu_limit"):
            self.kill_descendants()
        # whatever the child managed to send before the end still counts
        chan = s["chan"]
        if chan in s["polling"]:
            try:
                while True:
                    chunk = os.read(chan, 1 << 16)
                    if not chunk:
                        break
                    s["frames"].extend(s["reader"].feed(chunk))
            except OSError:
                pass

    def kill_descendants(self):
        """SIGKILL every process below the zygote, including setsid()'d daemons (they were
        reparented to us: we are a child subreaper), until none is left."""
        me = os.getpid()
        for _ in range(200):
            victims = descendants(me)
            if not victims:
                break
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            reap()
            time.sleep(0.001)
        reap()

    def wipe(self):
        root = self.wipe_root
        for name in os.listdir(root):
            path = os.path.join(root, name)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            except OSError:
                pass


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
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may contain spaces and parentheses: parse after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(name)] = int(fields[1])
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


def main():
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # submissions (same uid) cannot ptrace the zygote
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    gc.freeze()  # forked children then do not copy-on-write every object when the collector runs
    scratch_root = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
    zygote = Zygote(scratch_root, scratch_root)
    zygote.wipe()
    proto_in, proto_out = 0, os.dup(1)
    # learner processes must never inherit the protocol channel as their stdout
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.set_inheritable(proto_out, False)
    write_frame(proto_out, {"event": "ready", "pid": os.getpid(), "numpy": np.__version__,
                            "python": sys.version.split()[0], "uid": os.getuid()})
    while True:
        try:
            msg = read_frame(proto_in)
        except EOFError:
            break
        op = msg.get("op")
        if op == "open":
            if zygote.session is not None:
                zygote.close()
            reply = zygote.open(msg)
        elif op == "call":
            write_raw(proto_out, zygote.call(msg))
            continue
        elif op == "preload":
            PRELOADED[msg["key"]] = [[decode_arg(a) for a in args] for args in msg["cases"]]
            reply = {"event": "preloaded", "key": msg["key"]}
        elif op == "close":
            reply = zygote.close()
        elif op == "exit":
            break
        else:
            reply = {"event": "error", "message": "unknown op"}
        write_frame(proto_out, reply)
    if zygote.session is not None:
        zygote.close()


if __name__ == "__main__":
    main()
