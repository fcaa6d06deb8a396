"""Start and talk to the sandboxed worker (see worker.py) from the grader process.

Isolation, when bubblewrap is available: a read-only view of the system and of the Python install
(nothing of the repository: no solutions/, no graders/, no other submissions), a private /tmp wiped
after every submission, no network, its own PID/IPC/UTS namespaces, --die-with-parent, and rlimits set
per submission by the worker (address space, CPU, processes, file size, open files). Run as root, the
worker is started as `nobody` so that the process-count limit is enforced (the kernel does not apply
RLIMIT_NPROC to root); the Python install is reached through a bind mount in a private mount namespace,
because `nobody` cannot traverse /root.

Without bubblewrap: the documented fallback runs the same worker with the same rlimits and the same
process cleanup, in a scratch directory, but with the filesystem and network of the grading user.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from graders.sandbox import worker as protocol

WORKER_SOURCE = Path(protocol.__file__).read_text(encoding="utf-8")
NOBODY = 65534
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
REPLY_GRACE = 5.0  # the zygote enforces deadlines; we only step in if it stops answering


class SandboxError(RuntimeError):
    """The sandbox could not be started (a grader problem, never a learner's)."""


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits."""

    time: float = 10.0  # wall-clock seconds for loading and all calls of one submission
    memory: int = 1 << 30  # bytes of address space above the worker's own
    nproc: int = 64  # processes and threads
    output: int = 64 * 1024  # bytes of stdout and of stderr kept for feedback
    file_size: int = 16 << 20  # largest file the submission may write in its scratch space

    def as_message(self) -> dict:
        return {"time": self.time, "memory": self.memory, "nproc": self.nproc, "output": self.output,
                "file_size": self.file_size}


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def python_paths() -> list[str]:
    """Directories the worker's interpreter needs: the install prefixes and every site-packages."""
    dirs = {sys.base_prefix, sys.prefix, *site.getsitepackages()}
    user_site = site.getusersitepackages()
    if user_site and os.path.isdir(user_site):
        dirs.add(user_site)
    existing = sorted(d for d in dirs if os.path.isdir(d))
    # drop directories already inside another one
    return [d for d in existing if not any(d != o and d.startswith(o.rstrip("/") + "/") for o in existing)]


SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime")
STAGING_CANDIDATES = ("/mnt", "/media", "/srv", "/boot")


class Sandbox:
    """One warm worker. Not thread-safe: use one per grading thread or process."""

    def __init__(self, *, limits: Limits = Limits(), isolation: str = "auto"):
        if isolation not in ("auto", "bwrap", "none"):
            raise ValueError(f"isolation must be 'auto', 'bwrap' or 'none', not {isolation!r}")
        self.limits = limits
        self.requested = isolation
        self.mode: str | None = None  # "bwrap" or "none" once started
        self.warning: str | None = None
        self.proc: subprocess.Popen | None = None
        self._scratch: str | None = None
        self.info: dict = {}
        self.preloaded: set[str] = set()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        if self.proc is not None:
            return self
        if self.requested in ("auto", "bwrap") and bwrap_path():
            try:
                self._spawn(self._bwrap_command(), pass_fds=self._pass_fds)
                self.mode = "bwrap"
                return self
            except SandboxError as exc:
                if self.requested == "bwrap":
                    raise
                self.warning = f"bubblewrap failed to start ({exc}); running submissions without it"
        elif self.requested == "bwrap":
            raise SandboxError("bubblewrap (bwrap) is not installed; install the 'bubblewrap' package")
        else:
            if self.requested == "auto":
                self.warning = ("bubblewrap (bwrap) not found: submissions run with rlimits and process "
                                "cleanup only, not isolated from the filesystem or network")
        # One private directory holds the worker's source and the scratch space; stop() removes it.
        self._scratch = tempfile.mkdtemp(prefix="gradekit-sandbox-")
        os.chmod(self._scratch, 0o700)
        worker = os.path.join(self._scratch, "worker.py")
        Path(worker).write_text(WORKER_SOURCE, encoding="utf-8")
        self._spawn([sys.executable, "-I", "-B", worker, self._scratch], pass_fds=())
        self.mode = "none"
        return self

    def _bwrap_command(self) -> list[str]:
        memfd = os.memfd_create("gradekit-worker", 0)
        os.write(memfd, WORKER_SOURCE.encode())
        os.lseek(memfd, 0, os.SEEK_SET)
        self._pass_fds = (memfd,)
        python = sys.executable
        args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--dir", "/sandbox", "--ro-bind-data", str(memfd), "/sandbox/worker.py",
                "--chdir", "/tmp", "--clearenv"]
        for key, value in SANDBOX_ENV.items():
            args += ["--setenv", key, value]
        for path in SYSTEM_FILES:
            args += ["--ro-bind-try", path, path]
        tail = [python, "-I", "-B", "/sandbox/worker.py", "/tmp"]
        if os.geteuid() != 0:
            for path in SYSTEM_DIRS:
                args += ["--ro-bind-try", path, path]
            for path in python_paths():
                args += ["--ro-bind", path, path]
            return args + tail
        # Root: stage the Python install in a private mount namespace, then drop to nobody.
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
        args += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
        drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        script.append("exec " + shlex.join(drop + args + tail))
        for tool in ("unshare", "setpriv", "mount"):
            if not shutil.which(tool):
                raise SandboxError(f"'{tool}' (util-linux) is needed to sandbox as root")
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", " && ".join(script)]

    def _spawn(self, command: list[str], pass_fds) -> None:
        env = dict(SANDBOX_ENV)
        try:
            self.proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=pass_fds, env=env, start_new_session=True, cwd=self._scratch or "/",
            )
        finally:
            for fd in pass_fds:
                os.close(fd)
        try:
            ready = self._read(STARTUP_TIMEOUT)
        except SandboxError:
            err = self._stderr_tail()
            self.stop()
            raise SandboxError(err or "the worker did not start") from None
        if ready.get("event") != "ready":
            self.stop()
            raise SandboxError("the worker sent an unexpected greeting")
        self.info = ready

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        try:
            os.set_blocking(self.proc.stderr.fileno(), False)
            data = self.proc.stderr.read() or b""
        except (OSError, ValueError):
            data = b""
        lines = data.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def stop(self) -> None:
        self.preloaded = set()
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ protocol
    def _send(self, message: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            protocol.write_frame(self.proc.stdin.fileno(), message)
        except (BrokenPipeError, OSError) as exc:
            raise SandboxError("the worker is gone") from exc

    def _read(self, timeout: float) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        header = self._read_exact(fd, 4, deadline)
        size = int.from_bytes(header, "big")
        if size > protocol.MAX_FRAME:
            raise SandboxError("the worker sent an oversized reply")
        import json

        return json.loads(self._read_exact(fd, size, deadline))

    @staticmethod
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

    def request(self, message: dict) -> dict:
        """One round trip; if the worker dies or hangs it is restarted and SandboxError raised."""
        self.start()
        try:
            self._send(message)
            return self._read(self.limits.time + REPLY_GRACE)
        except SandboxError:
            self.stop()
            raise

    def preload(self, key: str, cases) -> None:
        """Send shared inputs once; every later session can call them by key (children inherit them)."""
        if key in self.preloaded and self.proc is not None:
            return
        encoded = [[protocol.encode_arg(a) for a in args] for args in cases]
        reply = self.request({"op": "preload", "key": key, "cases": encoded})
        if reply.get("event") != "preloaded":
            raise SandboxError("the worker did not take the preloaded cases")
        self.preloaded.add(key)

    def session(self, *, source: str, filename: str, module: str, function: str,
                parameters: tuple[str, ...]) -> Session:
        return Session(self, source=source, filename=filename, module=module, function=function,
                       parameters=parameters)


class Session:
    """One submission loaded in a fresh child of the worker. Use as a context manager."""

    def __init__(self, sandbox: Sandbox, **request):
        self.sandbox = sandbox
        self.request = request
        self.loaded: dict = {}
        self.ended: dict | None = None
        self.closed: dict = {}

    def __enter__(self) -> Session:
        message = {"op": "open", **self.request, "parameters": list(self.request["parameters"]),
                   "limits": self.sandbox.limits.as_message()}
        try:
            self.loaded = self.sandbox.request(message)
        except SandboxError as exc:
            self.loaded = {"event": "loaded", "ok": False}
            self.ended = {"reason": "worker_lost", "detail": str(exc)}
        self.ended = self.ended or self.loaded.get("ended")
        return self

    def call(self, calls: list[list]) -> list[dict]:
        """Run calls (each a list of numpy arrays); returns one raw result per call that completed."""
        return self._call({"op": "call", "calls": [[protocol.encode_arg(a) for a in args] for args in calls]})

    def call_preloaded(self, key: str) -> list[dict]:
        """Run every preloaded case of ``key`` (see Sandbox.preload)."""
        return self._call({"op": "call", "book": key})

    def _call(self, message: dict) -> list[dict]:
        if self.ended is not None or not self.loaded.get("ok"):
            return []
        try:
            reply = self.sandbox.request(message)
        except SandboxError as exc:
            self.ended = {"reason": "worker_lost", "detail": str(exc)}
            return []
        if reply.get("ended"):
            self.ended = reply["ended"]
        results = reply.get("results")
        return results if isinstance(results, list) else []

    def __exit__(self, *exc) -> None:
        if self.sandbox.proc is None:
            self.closed = {}
            return
        try:
            self.closed = self.sandbox.request({"op": "close"})
        except SandboxError:
            self.closed = {}
        if self.closed.get("ended") and self.ended is None:
            self.ended = self.closed["ended"]
