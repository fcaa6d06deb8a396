"""What the engine needs from a sandbox: the interface, not the class (graders/sandbox/launcher.py's
Sandbox is the one implementation; tests may pass another)."""

from __future__ import annotations

from typing import Any, Protocol


class WorkerLost(RuntimeError):
    """The runner could not give a learner its world, or lost it: never the learner's doing. The engine
    replaces the runner's worker and grades that learner again."""


class Limits(Protocol):
    time: float
    memory: int


class Session(Protocol):
    loaded: dict  # the learner's load report: {"ok": bool, "code": ..., "error": {...}, ...}
    ended: dict | None  # how the learner ended while it still had work to do (None: it answered everything)
    closed: dict  # its captured output: stdout, stderr, stdout_bytes, stderr_bytes

    def __enter__(self) -> Session: ...
    def __exit__(self, *exc) -> None: ...
    def call(self, calls: list[list], budget: int) -> list[dict]: ...
    def call_preloaded(self, key: str) -> list[dict]: ...


class Runner(Protocol):
    limits: Limits
    mode: str | None  # "bwrap", "chroot" or "none"
    note: str  # what its isolation does not give, for every report ("" when fully sandboxed)

    def preload(self, key: str, cases: Any, budgets: Any) -> None: ...
    def session(self, *, source: str, filename: str, module: str, function: str,
                parameters: tuple[str, ...]) -> Session: ...
    def restart(self) -> None: ...
