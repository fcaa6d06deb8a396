"""A control group per sandbox, where this machine lets the grader make one (root, with cgroup v1 or v2
mounted writable; or a delegated cgroup v2 subtree): it caps everything the sandbox's processes hold in
memory, including what no address-space limit counts (memfd files, System V shared memory, RAM-disk
files, pipe buffers), the number of processes, and gives every sandbox the same CPU weight, so a learner
who spawns many busy processes cannot starve the learner graded next to it.

One learner runs in a sandbox at a time, so the sandbox's cap is that learner's cap (plus the zygote).
When the kernel has to kill, it kills the learner (learners ask to go first: oom_score_adj 1000) and
the sandbox counts it, so the learner is told it used too much memory. Without a control group the
limits stay per process (rlimits), which the README says.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu")


class Confinement:
    """The control group(s) of one sandbox. ``create`` returns None where none can be made."""

    def __init__(self, dirs: dict[str, Path], v2: bool):
        self.dirs = dirs
        self.v2 = v2

    @classmethod
    def create(cls, name: str, *, memory: int, pids: int) -> Confinement | None:
        try:
            made = cls._create_v2(name) if _v2_root() else cls._create_v1(name)
        except OSError:
            return None
        if made is None:
            return None
        try:
            made._configure(memory, pids)
        except OSError:
            made.remove()
            return None
        return made

    @classmethod
    def _create_v1(cls, name: str) -> Confinement | None:
        dirs = {}
        own = _own_v1_paths()
        for controller in V1_CONTROLLERS:
            base = ROOT / controller
            if not (base / "cgroup.procs").exists():
                return None
            path = base / own.get(controller, "").lstrip("/") / name
            path.mkdir()
            dirs[controller] = path
        return cls(dirs, v2=False)

    @classmethod
    def _create_v2(cls, name: str) -> Confinement | None:
        root = _v2_root()
        own = _own_v2_path()
        parent = root / own.lstrip("/")
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        available = (parent / "cgroup.controllers").read_text().split()
        wanted = [c for c in ("memory", "pids", "cpu") if c in available and c not in enabled]
        if wanted:  # fails where the parent holds processes itself (a v2 rule): then no cgroup
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
        path = parent / name
        path.mkdir()
        return cls({"unified": path}, v2=True)

    def _configure(self, memory: int, pids: int) -> None:
        if self.v2:
            path = self.dirs["unified"]
            _write(path / "memory.max", memory)
            _write_if(path / "memory.swap.max", 0)
            _write(path / "pids.max", pids)
            return
        _write(self.dirs["memory"] / "memory.limit_in_bytes", memory)
        _write_if(self.dirs["memory"] / "memory.memsw.limit_in_bytes", memory)
        _write(self.dirs["pids"] / "pids.max", pids)

    def enter(self) -> None:
        """Move the calling process (a sandbox about to start) into the group; its children follow."""
        for path in self.dirs.values():
            _write(path / "cgroup.procs", os.getpid())

    def oom_kills(self) -> int:
        """How many processes the kernel has killed in this group for want of memory."""
        path = self.dirs.get("unified") or self.dirs.get("memory")
        name = "memory.events" if self.v2 else "memory.oom_control"
        try:
            for line in (path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def peak_memory(self) -> int:
        """The most memory the group has held at once, in bytes (0 where the kernel does not say)."""
        path = self.dirs.get("unified") or self.dirs.get("memory")
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        try:
            return int((path / name).read_text())
        except (OSError, ValueError):
            return 0

    def remove(self) -> None:
        for path in self.dirs.values():
            try:
                path.rmdir()
            except OSError:
                pass


def _v2_root() -> Path | None:
    for candidate in (ROOT, ROOT / "unified"):
        if (candidate / "cgroup.controllers").exists() and "memory" in (candidate / "cgroup.controllers").read_text():
            return candidate
    return None


def _own_v1_paths() -> dict[str, str]:
    out = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            out[controller] = path
    return out


def _own_v2_path() -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return "/"


def _write(path: Path, value) -> None:
    path.write_text(str(value))


def _write_if(path: Path, value) -> None:
    if path.exists():
        try:
            path.write_text(str(value))
        except OSError:
            pass
