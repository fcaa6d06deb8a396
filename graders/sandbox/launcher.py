"""Start the sandboxed worker (see worker.py) and talk to it and to each learner from the grader process.

One :class:`Sandbox` is one warm zygote. For every submission a :class:`Session` creates the learner's
own channels (a socket for source and results, pipes for stdout and stderr), hands the far ends to the
zygote, which passes them to a fresh learner world and closes its copies, and then speaks to the learner
directly: nothing of a learner ever passes through, or stays in, the process that serves the next one.

Isolation modes (``Sandbox.mode``):

- ``bwrap``: bubblewrap. A read-only view of the system and of the Python install (nothing of the
  repository), no network, its own user/PID/IPC/UTS namespaces, --die-with-parent. Inside, each learner
  gets a new PID, mount and IPC namespace: a read-only root, a private size-capped /tmp and /dev/shm, its
  own /proc, no capabilities, no user namespaces, and a seccomp filter (no sockets but AF_UNIX, so the
  sandbox's loopback-only network namespace keeps nothing of one learner for the next). Run as root, each
  sandbox runs as an unprivileged user of its own (the kernel does not apply the process limit to root)
  and reaches the Python install through a bind mount in a private mount namespace, because that user
  cannot traverse /root; where it can, it also gets a control group of its own (graders/sandbox/cgroups.py).
- ``chroot``: no bubblewrap, run as root (Gradescope, PrairieLearn, CI containers): each learner runs as the
  sandbox's own unprivileged user, chrooted into an empty directory of its own, so it can read neither
  the kit nor the reference and cannot write results; network isolated only where the container allows.
- ``none``: no bubblewrap, not root: rlimits, a scratch directory and process cleanup only. The learner's
  code runs as the grading user and could read the reference: its grade could be forged, and every
  report says so.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import shutil
import signal
import site
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from graders.engine.runner import WorkerLost as RunnerWorkerLost
from graders.sandbox import worker as protocol
from graders.sandbox.cgroups import Confinement

WORKER_SOURCE = Path(protocol.__file__).read_text(encoding="utf-8")
SANDBOX_OVERHEAD = 256 << 20  # the zygote (Python and numpy) and the harness, on top of a learner's limits
UID_BASE = 2_000_000_000  # run as root, each sandbox gets a user of its own from here on (no /etc/passwd entry)
_SANDBOXES = [0]
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "MALLOC_ARENA_MAX": "2",  # per-thread malloc arenas would eat the address-space limit
}
STARTUP_TIMEOUT = 60.0
CONTROL_TIMEOUT = 10.0  # the zygote answers control messages at once; longer means it is broken
END_GRACE = 0.5  # seconds a learner has to leave after its last call before its world is torn down
LOAD_FRAME_LIMIT = 64 * 1024
RESULT_FRAME_BASE = 64 * 1024
BYTES_PER_ELEMENT = 16  # base64 of 8 bytes, rounded up generously
NESTING_PER_ELEMENT = 3  # brackets a described value needs per element (a list of scalars: one dict each)
SESSION_CHANNEL_LIMIT = 64 << 20  # all frames of one learner together
UNPROTECTED = ("this submission ran without a sandbox (bubblewrap is unavailable and the grader does not run as "
               "root): its code could read the hidden reference and its grade could have been forged")
CHROOT_NOTE = ("bubblewrap is unavailable: this submission ran as an unprivileged user in an empty chroot "
               "(it could not read the reference), with fewer per-learner guarantees than in bubblewrap")


class SandboxError(RuntimeError):
    """The sandbox could not be started or stopped working (a grader problem, never a learner's)."""


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits."""

    time: float = 10.0  # wall-clock seconds for loading and all calls of one submission
    memory: int = 1 << 30  # bytes of address space above the learner process's own
    nproc: int = 64  # processes and threads
    output: int = 64 * 1024  # bytes of stdout and of stderr kept for feedback
    file_size: int = 16 << 20  # largest file the submission may write
    tmp_size: int = 64 << 20  # the learner's private /tmp (RAM-backed)
    shm_size: int = 16 << 20  # the learner's private /dev/shm

    def as_message(self) -> dict:
        return {"time": self.time, "memory": self.memory, "nproc": self.nproc, "output": self.output,
                "file_size": self.file_size}


def sandbox_uid() -> int:
    """A user of its own for each sandbox a root grader starts: concurrent learners can neither signal,
    trace nor share a process count or a keyring with each other. Unique while this process lives."""
    _SANDBOXES[0] += 1
    return UID_BASE + (os.getpid() % (1 << 22)) * 64 + _SANDBOXES[0] % 64


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def python_paths() -> list[str]:
    """Directories the worker's interpreter needs: the install prefixes and every site-packages."""
    dirs = {sys.base_prefix, sys.prefix, *site.getsitepackages()}
    user_site = site.getusersitepackages()
    if user_site and os.path.isdir(user_site):
        dirs.add(user_site)
    existing = sorted(os.path.realpath(d) for d in dirs if os.path.isdir(d))
    # drop directories already inside another one
    return [d for d in existing if not any(d != o and d.startswith(o.rstrip("/") + "/") for o in existing)]


SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
STAGING_CANDIDATES = ("/mnt", "/media", "/srv", "/boot")


class Sandbox:
    """One warm worker. Not thread-safe: use one per grading thread or process."""

    def __init__(self, *, limits: Limits = Limits(), isolation: str = "auto"):
        if isolation not in ("auto", "bwrap", "none"):
            raise ValueError(f"isolation must be 'auto', 'bwrap' or 'none', not {isolation!r}")
        self.limits = limits
        self.requested = isolation
        self.mode: str | None = None  # "bwrap", "chroot" or "none" once started
        self.warning: str | None = None
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self._scratch: str | None = None
        self.info: dict = {}
        self.preloaded: dict[str, tuple] = {}  # key -> (cases, budgets), re-sent after a restart
        self.restarts = 0
        self.confinement: Confinement | None = None
        self._launched: str | None = None  # launch()ed and not yet started: the mode it boots in
        self._launch_error: SandboxError | None = None
        self.uid = sandbox_uid() if os.geteuid() == 0 else os.geteuid()

    @property
    def note(self) -> str:
        """What every report of this sandbox must say about its isolation ("" when fully sandboxed)."""
        return {"none": UNPROTECTED, "chroot": CHROOT_NOTE}.get(self.mode or "", "")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        """The worker, ready to serve learners (booted here, or finishing what launch() began)."""
        if self.proc is not None and self._launched is None:
            return self
        if self.proc is None:
            self.launch()
        launched, failure = self._launched, self._launch_error
        self._launched = self._launch_error = None
        try:
            if failure is not None:
                raise failure
            self._finish(launched)
            return self
        except SandboxError as exc:
            if launched != "bwrap" or self.requested == "bwrap":
                raise
            self.warning = f"bubblewrap failed to start ({exc}); running submissions without it"
        self.stop()  # what the failed launch left (its scratch directory, its control group)
        self._spawn(self._fallback_mode())
        return self

    def launch(self) -> Sandbox:
        """Begin booting the worker without waiting for it: its Python and numpy load (~0.2 s of CPU) while
        the caller does other work; start() completes it, and reports a failure to boot."""
        if self.proc is not None or self._launched is not None:
            return self
        mode = "bwrap"
        if not (self.requested in ("auto", "bwrap") and bwrap_path()):
            if self.requested == "bwrap":
                self._launched = mode
                self._launch_error = SandboxError("bubblewrap (bwrap) is not installed; install the 'bubblewrap' package")
                return self
            if self.requested == "auto":
                self.warning = "bubblewrap (bwrap) not found"
            mode = self._fallback_mode()
        try:
            self._begin(mode)
        except (SandboxError, OSError) as exc:
            self._launch_error = exc if isinstance(exc, SandboxError) else SandboxError(f"cannot run {exc}")
        self._launched = mode
        return self

    @property
    def launched_mode(self) -> str | None:
        """The mode a launched, not yet started, worker boots in ("bwrap", "chroot" or "none")."""
        return None if self._launched is None else _public_mode(self._launched)

    def _fallback_mode(self) -> str:
        mode = "chroot" if os.geteuid() == 0 else "plain"
        if self.requested == "auto" and self.warning:
            self.warning += ("; learners run as an unprivileged user in an empty chroot" if mode == "chroot"
                             else "; learner code runs as you, unisolated: grades could be forged")
        return mode

    def release(self) -> None:
        """In a process that shares this sandbox with its owner (a forked pool process that adopted another
        one): close this process's copies of its descriptors and leave the worker running."""
        if self.control is not None:
            self.control.close()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = self.control = self.confinement = None
        self._scratch = self._launched = self._launch_error = None

    def _spawn(self, mode: str) -> None:
        """Boot the worker in ``mode`` and wait until it serves."""
        self._begin(mode)
        self._finish(mode)

    def _begin(self, mode: str) -> None:
        self._scratch = tempfile.mkdtemp(prefix="gradekit-sandbox-")
        os.chmod(self._scratch, 0o700)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        config = {"tmp_bytes": self.limits.tmp_size, "shm_bytes": self.limits.shm_size, "uid": self.uid,
                  "scratch": self._scratch, "tmp_binds": [p for p in python_paths() if p.startswith("/tmp/")]}
        self.confinement = Confinement.create(
            f"gradekit-{os.getpid()}-{id(self) & 0xFFFFFF:x}-{self.restarts}",
            memory=self.limits.memory + self.limits.tmp_size + self.limits.shm_size + SANDBOX_OVERHEAD,
            pids=self.limits.nproc + 16) if os.geteuid() == 0 else None
        pass_fds = [child.fileno()]
        if mode == "bwrap":
            memfd = os.memfd_create("gradekit-worker", 0)
            os.write(memfd, WORKER_SOURCE.encode())
            os.lseek(memfd, 0, os.SEEK_SET)
            pass_fds.append(memfd)
            command = self._bwrap_command(memfd, child.fileno(), config)
        else:
            worker = os.path.join(self._scratch, "worker.py")
            Path(worker).write_text(WORKER_SOURCE, encoding="utf-8")
            command = [sys.executable, "-I", "-B", worker, mode, str(child.fileno()), json.dumps(config)]
        try:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, pass_fds=pass_fds, env=dict(SANDBOX_ENV),
                                         start_new_session=True, cwd=self._scratch, preexec_fn=self._confine)
        finally:
            child.close()
            for fd in pass_fds[1:]:
                os.close(fd)
        self.control = parent

    def _finish(self, mode: str) -> None:
        """Wait for the launched worker's greeting, run one trivial learner, send the preloaded cases."""
        try:
            ready = self._read(STARTUP_TIMEOUT)
            if ready.get("event") != "ready":
                raise SandboxError("the worker sent an unexpected greeting")
            self.info = ready
            self.mode = _public_mode(mode)
            self._probe()
        except SandboxError as exc:
            detail = self._stderr_tail() or str(exc)
            self.stop()
            raise SandboxError(detail) from None
        for key, (cases, budgets) in self.preloaded.items():
            self._preload(key, cases, budgets)

    def _confine(self) -> None:
        """In the sandbox's first process, before it runs anything: into the sandbox's control group, and
        last in line for the kernel's out-of-memory killer (its learners ask to be first)."""
        if self.confinement is not None:
            self.confinement.enter()
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("-900")
        except OSError:
            pass  # lowering it needs privileges; without them every process keeps the default

    def _probe(self) -> None:
        """One trivial learner, so a mode that cannot build a learner's world fails here, at start."""
        session = Session(self, source="def probe():\n    return 1\n", filename="probe.py", module="probe",
                          function="probe", parameters=())
        with session:
            pass
        if not session.loaded.get("ok"):
            raise SandboxError(f"a trivial learner could not run ({(session.ended or {}).get('detail', 'no detail')})")

    def _bwrap_command(self, memfd: int, control_fd: int, config: dict) -> list[str]:
        python = sys.executable
        args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
                "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SYS_RESOURCE", "--hostname", "sandbox", "--proc", "/proc", "--dir", "/dev"]
        for device in DEVICES:
            args += ["--dev-bind-try", device, device]
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):
            args += ["--symlink", target, f"/dev/{name}"]
        args += ["--dir", "/dev/shm", "--size", str(1 << 20), "--tmpfs", "/tmp", "--dir", "/sandbox/tmp",
                 "--dir", "/sandbox/proc", "--ro-bind-data", str(memfd), "/sandbox/worker.py", "--chdir", "/",
                 "--clearenv"]
        for key, value in SANDBOX_ENV.items():
            args += ["--setenv", key, value]
        for path in SYSTEM_FILES:
            args += ["--ro-bind-try", path, path]
        tail = [python, "-I", "-B", "/sandbox/worker.py", "bwrap", str(control_fd), json.dumps(config)]
        if os.geteuid() != 0:
            for path in SYSTEM_DIRS:
                args += ["--ro-bind-try", path, path]
            for path in python_paths():
                args += ["--ro-bind", path, path]
            return args + tail
        # Root: stage the Python install in a private mount namespace, then drop to the sandbox's own user.
        needed = [*SYSTEM_DIRS, *python_paths()]
        staging = next((c for c in STAGING_CANDIDATES if os.path.isdir(c)
                        and not any(n == c or n.startswith(c + "/") for n in needed)), None)
        if staging is None:
            raise SandboxError("no empty mount point to stage the Python install")
        script = [f"mount -t tmpfs -o mode=755,size=1m gradekit {shlex.quote(staging)}"]
        for i, path in enumerate(python_paths()):
            stage = f"{staging}/p{i}"
            script += [f"mkdir {stage}", f"mount --bind {shlex.quote(path)} {stage}"]
            args += ["--ro-bind", stage, path]
        for path in SYSTEM_DIRS:
            args += ["--ro-bind-try", path, path]
        args += ["--uid", str(self.uid), "--gid", str(self.uid)]
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--"]
        script.append("exec " + shlex.join(drop + args + tail))
        for tool in ("unshare", "setpriv", "mount"):
            if not shutil.which(tool):
                raise SandboxError(f"'{tool}' (util-linux) is needed to sandbox as root")
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", " && ".join(script)]

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        try:
            os.set_blocking(self.proc.stderr.fileno(), False)
            data = self.proc.stderr.read(65536) or b""
        except (OSError, ValueError):
            data = b""
        lines = data.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def stop(self) -> None:
        self._launched = self._launch_error = None
        proc, self.proc = self.proc, None
        control, self.control = self.control, None
        if control is not None:
            control.close()
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.kill()
            except ProcessLookupError:
                pass
            proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        if self._scratch:
            _remove_tree(self._scratch)
            self._scratch = None
        if self.confinement is not None:
            for _ in range(50):  # the sandbox's last processes may still be on their way out
                self.confinement.remove()
                if not any(p.exists() for p in self.confinement.dirs.values()):
                    break
                time.sleep(0.01)
            self.confinement = None

    def restart(self) -> None:
        """Replace a worker that stopped answering (the learner being graded is then graded again)."""
        self.stop()
        self.restarts += 1
        self.start()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ control protocol
    def _read(self, timeout: float) -> dict:
        assert self.control is not None
        fd = self.control.fileno()
        deadline = time.monotonic() + timeout
        header = _read_exact(fd, 4, deadline)
        size = int.from_bytes(header, "big")
        if size > LOAD_FRAME_LIMIT:
            raise SandboxError("the worker sent an oversized reply")
        try:
            reply = json.loads(_read_exact(fd, size, deadline))
        except ValueError:
            raise SandboxError("the worker sent a malformed reply") from None
        if not isinstance(reply, dict):
            raise SandboxError("the worker sent a malformed reply")
        return reply

    def request(self, message: dict, fds: list[int] | None = None, timeout: float = CONTROL_TIMEOUT) -> dict:
        """One control round trip; SandboxError (the worker is then stopped) if it fails."""
        self.start()
        assert self.control is not None
        try:
            data = json.dumps(message, separators=(",", ":")).encode()
            self.control.sendall(struct.pack(">I", len(data)) + data)
            if fds is not None:
                socket.send_fds(self.control, [b"F"], fds)
            return self._read(timeout)
        except (OSError, SandboxError) as exc:
            self.stop()
            raise SandboxError(f"the worker stopped answering ({exc})") from None

    def preload(self, key: str, cases, budgets) -> None:
        """Send shared inputs once; every later learner can call them by key (it inherits them)."""
        if key in self.preloaded and self.proc is not None:
            return
        self.start()
        self._preload(key, cases, budgets)
        self.preloaded[key] = (cases, budgets)

    def _preload(self, key: str, cases, budgets) -> None:
        encoded = [[protocol.encode_arg(a) for a in args] for args in cases]
        reply = self.request({"op": "preload", "key": key, "cases": encoded, "budgets": list(budgets)})
        if reply.get("event") != "preloaded":
            raise SandboxError("the worker did not take the preloaded cases")

    def session(self, *, source: str, filename: str, module: str, function: str,
                parameters: tuple[str, ...]) -> Session:
        return Session(self, source=source, filename=filename, module=module, function=function,
                       parameters=parameters)


def _public_mode(mode: str) -> str:
    """A boot mode as ``Sandbox.mode`` names it: "plain" (no isolation) is "none"."""
    return "none" if mode == "plain" else mode


def _remove_tree(path: str) -> None:
    """Delete a sandbox's scratch directory whatever its learners did to it (chmod 000 inside). Permissions
    are only ever restored inside it: a directory already gone (stopped by another process that shared the
    sandbox) must never make this touch its parent, which is /tmp."""
    root = os.path.realpath(path)

    def fix(func, target, _exc):
        parent = os.path.realpath(os.path.dirname(target))
        if parent == root or parent.startswith(root + os.sep):
            try:
                os.chmod(parent, 0o700)
                func(target)
            except OSError:
                pass

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=fix)


def _read_exact(fd: int, n: int, deadline: float) -> bytes:
    chunks = []
    while n:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise SandboxError("the worker stopped answering")
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise SandboxError("the worker is gone")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class WorkerLost(SandboxError, RunnerWorkerLost):
    """The learner's world could not be built or the worker died: not the learner's doing."""


class Session:
    """One submission in a fresh learner world. Use as a context manager.

    ``loaded`` is the learner's load report, ``ended`` how it ended while it still had work to do (None
    if it answered everything), ``closed`` its captured output. Everything the learner sends is bounded:
    frames by what the calls can legitimately return, output by ``Limits.output``."""

    def __init__(self, sandbox: Sandbox, **request):
        self.sandbox = sandbox
        self.request = request
        self.loaded: dict = {}
        self.ended: dict | None = None
        self.closed: dict = {}
        self._channel: _LearnerChannel | None = None
        confinement = sandbox.confinement
        self._ooms = confinement.oom_kills() if confinement is not None else 0

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Session:
        self._channel = self._open()
        message = {"op": "load", "source": self.request["source"], "filename": self.request["filename"],
                   "module": self.request["module"], "function": self.request["function"],
                   "parameters": list(self.request["parameters"])}
        self._channel.send(message, self._deadline)
        world = self._wait_for(b"W", LOAD_FRAME_LIMIT, also=b"S")
        if world is not None and world[:1] == b"S":  # the sandbox could not build this learner's world
            detail = _decode_json(world[1:])
            self._end(kill=True, grace=0.0)
            self._channel.close()
            raise WorkerLost(str(detail.get("detail") if isinstance(detail, dict) else "no detail"))
        self.loaded = self._load_report(self._wait_for(b"L", LOAD_FRAME_LIMIT) if world is not None else None)
        return self

    def _open(self) -> _LearnerChannel:
        """A fresh world for this learner, holding the far ends of channels only it and we have."""
        limits = self.sandbox.limits
        chan, chan_far = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            reply = self.sandbox.request({"op": "open", "limits": limits.as_message()},
                                         fds=[chan_far.fileno(), out_w, err_w])
        except SandboxError as exc:
            reply = {"event": "error", "message": str(exc)}
        finally:
            chan_far.close()
            os.close(out_w)
            os.close(err_w)
        channel = _LearnerChannel(chan, out_r, err_r, limits)
        if reply.get("event") != "opened":
            channel.close()
            raise WorkerLost(str(reply.get("message") or "the worker could not start a learner"))
        return channel

    def _load_report(self, frame: bytes | None) -> dict:
        loaded = _decode_json(frame) if frame is not None else None
        if not isinstance(loaded, dict):
            if frame is not None:
                self._violation("sent a malformed load report")
            loaded = {}
        loaded.update(event="loaded", ok=loaded.get("ok") is True)
        if self.ended is not None:
            loaded["ended"] = self.ended
        return loaded

    def __exit__(self, *exc) -> None:
        channel = self._channel
        if channel is None:
            return
        if self.ended is None:
            channel.finish(END_GRACE)  # EOF on its channel: the learner flushes and leaves
            # A learner that hangs after answering everything (e.g. in flush) is stopped, not penalised.
            self._end(kill=not channel.eof, grace=0.0 if not channel.eof else END_GRACE)
        channel.drain_to_eof(0.2)
        self.closed = {"event": "closed", "elapsed": time.monotonic() - channel.started, **channel.output()}
        channel.close()

    # ------------------------------------------------------------------ calls
    def call(self, calls: list[list], budget: int) -> list[dict]:
        """Run calls (each a list of arguments); returns one raw result per call that completed.
        ``budget`` is the number of elements a result may legitimately hold."""
        budgets = [budget] * len(calls)
        message = {"op": "call", "calls": [[protocol.encode_arg(a) for a in args] for args in calls],
                   "budgets": budgets}
        return self._call(message, budgets)

    def call_preloaded(self, key: str) -> list[dict]:
        """Run every preloaded case of ``key`` (see Sandbox.preload)."""
        return self._call({"op": "call", "book": key}, self.sandbox.preloaded[key][1])

    def _call(self, message: dict, budgets) -> list[dict]:
        if self.ended is not None or not self.loaded.get("ok"):
            return []
        channel = self._channel
        assert channel is not None
        channel.expect(RESULT_FRAME_BASE + BYTES_PER_ELEMENT * max(map(int, budgets), default=0))
        channel.send(message, self._deadline)
        payloads: list[bytes] = []
        for budget in budgets:
            frame = self._wait_for(b"R", RESULT_FRAME_BASE + BYTES_PER_ELEMENT * int(budget))
            if frame is None:
                break
            if frame.count(b"[") + frame.count(b"{") > NESTING_PER_ELEMENT * int(budget) + 64:
                self._violation("sent a result nested deeper or wider than any value it could describe")
                break
            payloads.append(frame)
        else:
            self._wait_for(b"D", 16)
        results = _decode_results(payloads)
        if len(results) < len(payloads):
            self._violation("sent a malformed result")
        return results

    # ------------------------------------------------------------------ reading the learner
    def _wait_for(self, kind: bytes, limit: int, also: bytes = b"") -> bytes | None:
        """The payload of the next frame, which must be of ``kind`` (returned without its kind byte) or of
        ``also`` (returned whole); None if the learner ended first (``ended`` says why)."""
        channel = self._channel
        assert channel is not None
        deadline = self._deadline
        while self.ended is None:
            frame = channel.next_frame(limit)
            if frame is not None:
                if also and frame[:1] == also:
                    return frame
                if frame[:1] != kind:
                    self._violation("sent a message out of turn")
                    return None
                return frame[1:]
            if channel.violation:
                self._violation(channel.violation)
                return None
            if channel.eof:
                status = self._end(kill=False, grace=1.0)
                self.ended = self._status(status)
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._end(kill=True, grace=0.0)
                self.ended = {"reason": "timeout", "elapsed": time.monotonic() - channel.started}
                return None
            channel.pump(remaining)
        return None

    @property
    def _deadline(self) -> float:
        assert self._channel is not None
        return self._channel.started + self.sandbox.limits.time

    def _violation(self, detail: str) -> None:
        if self.ended is None:
            self._end(kill=True, grace=0.0)
            self.ended = {"reason": "protocol", "detail": detail,
                          "elapsed": time.monotonic() - self._channel.started}

    def _status(self, status: dict) -> dict:
        confinement = self.sandbox.confinement
        if status.get("reason") in ("signal", "killed") and confinement is not None \
                and confinement.oom_kills() > self._ooms:  # the kernel killed it: the sandbox's memory was used up
            status = {"reason": "memory_limit"}
        return {**status, "elapsed": time.monotonic() - self._channel.started}

    def _end(self, *, kill: bool, grace: float) -> dict:
        """Tell the zygote to stop this learner's world; how the learner ended (plain, checked data)."""
        try:
            reply = self.sandbox.request({"op": "end", "kill": kill, "grace": grace}, timeout=CONTROL_TIMEOUT + grace)
        except SandboxError as exc:
            if self._channel is not None:
                self._channel.close()
            raise WorkerLost(str(exc)) from None
        return _checked_status(reply.get("status"))


def _decode_results(payloads: list[bytes]) -> list[dict]:
    """The results of a batch, parsed at once (one parse, not one per call); up to the first malformed one."""
    whole = _decode_json(b"[" + b",".join(payloads) + b"]") if payloads else []
    if isinstance(whole, list) and len(whole) == len(payloads) and all(isinstance(r, dict) for r in whole):
        return whole
    results = []
    for payload in payloads:  # something is malformed: keep what precedes it
        result = _decode_json(payload)
        if not isinstance(result, dict):
            break
        results.append(result)
    return results


def _decode_json(payload: bytes):
    try:
        return json.loads(payload)
    except (ValueError, RecursionError, MemoryError):
        return None


def _checked_status(status) -> dict:
    """The zygote's report of how a learner ended, with every field of the expected type."""
    if not isinstance(status, dict):
        return {"reason": "killed"}
    out: dict = {"reason": str(status.get("reason", "killed"))[:40]}
    for key in ("exit_code", "signal"):
        if isinstance(status.get(key), int) and not isinstance(status.get(key), bool):
            out[key] = status[key]
    for key in ("signal_name", "detail"):
        if isinstance(status.get(key), str):
            out[key] = status[key][:300]
    return out


class _LearnerChannel:
    """The grader's ends of one learner's channels: frames in and out, output captured up to a cap."""

    def __init__(self, chan: socket.socket, out_fd: int, err_fd: int, limits: Limits):
        self.chan = chan
        self.started = time.monotonic()
        self.cap = limits.output
        self.names = {chan.fileno(): "chan", out_fd: "stdout", err_fd: "stderr"}
        self.open = set(self.names)
        for fd in self.names:
            os.set_blocking(fd, False)
        self.buffer = bytearray()
        self.frames: deque[bytes] = deque()
        self.received = 0
        self.captured = {"stdout": bytearray(), "stderr": bytearray()}
        self.totals = {"stdout": 0, "stderr": 0}
        self.eof = False
        self.violation = ""
        self._limit = LOAD_FRAME_LIMIT

    def send(self, message: dict, deadline: float) -> None:
        """Write a frame without ever blocking past ``deadline``, reading what the learner sends meanwhile
        (a learner blocked on a full stdout pipe could not read our frame)."""
        payload = json.dumps(message, separators=(",", ":")).encode()
        data = memoryview(struct.pack(">I", len(payload)) + payload)
        fd = self.chan.fileno()
        while data and time.monotonic() < deadline:
            readable, writable, _ = select.select(list(self.open), [fd], [], min(0.05, deadline - time.monotonic()))
            for ready in readable:
                self._read(ready)
            if writable:
                try:
                    data = data[os.write(fd, data):]
                except BlockingIOError:
                    continue
                except OSError:
                    return  # the learner is gone: reading says how it ended

    def expect(self, largest: int) -> None:
        """The largest frame the learner may send next (the largest result of the coming batch)."""
        self._limit = largest

    def next_frame(self, limit: int) -> bytes | None:
        """The next frame, which may be at most ``limit`` bytes (else a violation, and None)."""
        self._parse()
        if not self.frames:
            return None
        if len(self.frames[0]) > limit:
            self.violation = "sent an oversized message"
            return None
        return self.frames.popleft()

    def _parse(self) -> None:
        buffer, start, end = self.buffer, 0, len(self.buffer)
        while end - start >= 4 and not self.violation:
            size = int.from_bytes(buffer[start:start + 4], "big")
            if size > self._limit or size == 0:
                self.violation = "sent an oversized or empty message"
                break
            if end - start < 4 + size:
                break
            self.frames.append(bytes(buffer[start + 4:start + 4 + size]))
            start += 4 + size
        del buffer[:start]  # once per read: a batch of results arrives in a few large reads

    def pump(self, timeout: float) -> None:
        if not self.open:
            time.sleep(min(timeout, 0.01))
            return
        readable, _, _ = select.select(list(self.open), [], [], min(timeout, 0.05))
        for fd in readable:
            self._read(fd)

    def _read(self, fd: int) -> None:
        name = self.names[fd]
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.open.discard(fd)
            if name == "chan":
                self.eof = True
            return
        if name == "chan":
            self.received += len(chunk)
            if self.received > SESSION_CHANNEL_LIMIT:
                self.violation = "sent more data than any submission could need"
                self.open.discard(fd)
                return
            self.buffer += chunk
            self._parse()
            return
        self.totals[name] += len(chunk)
        buf = self.captured[name]
        room = self.cap - len(buf)
        if room > 0:
            buf += chunk[:room]

    def finish(self, grace: float) -> None:
        """EOF to the learner, then wait up to ``grace`` for it to leave (its channel closes)."""
        try:
            self.chan.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        deadline = time.monotonic() + grace
        while not self.eof and self.open and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
            self.buffer.clear()  # anything sent now is ignored (and bounded: SESSION_CHANNEL_LIMIT)
            self.frames.clear()

    def drain_to_eof(self, grace: float) -> None:
        """After the learner's world is gone: read what its pipes still hold."""
        deadline = time.monotonic() + grace
        while self.open and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
            self.buffer.clear()
            self.frames.clear()

    def output(self) -> dict:
        return {"stdout": bytes(self.captured["stdout"]).decode("utf-8", "replace"),
                "stderr": bytes(self.captured["stderr"]).decode("utf-8", "replace"),
                "stdout_bytes": self.totals["stdout"], "stderr_bytes": self.totals["stderr"]}

    def close(self) -> None:
        for fd in list(self.names):
            if fd == self.chan.fileno():
                continue
            try:
                os.close(fd)
            except OSError:
                pass
        self.chan.close()
        self.open.clear()
