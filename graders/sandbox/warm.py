"""Sandboxes booted ahead of a batch's grading processes.

Each grading process of a batch needs its own warm worker, and booting one (bubblewrap, Python, numpy) costs
~0.2 s of CPU. Launched first, the workers boot on the other cores while the grader imports and prepares the
exercise; the first one, completed in the grader, is the probe that fails fast and says which isolation the
machine gives. The grading processes, forked afterwards, adopt one each (a process adopted after they are
used up, such as a replacement, boots its own). Only the adopting process talks to its sandbox: the others
close their copies of its descriptors.
"""

from __future__ import annotations

import multiprocessing

from graders.sandbox.launcher import Limits, Sandbox


class WarmSandboxes:
    """``count`` sandboxes launched now; ``probe()`` completes the first, ``adopt()`` hands one to a forked
    grading process, ``close()`` (in the process that launched them) stops whatever is left."""

    def __init__(self, count: int, *, limits: Limits, isolation: str):
        if count < 0:
            raise ValueError(f"count must be >= 0, not {count}")
        self.limits, self.isolation = limits, isolation
        self.sandboxes = [Sandbox(limits=limits, isolation=isolation).launch() for _ in range(count)]
        self._taken = multiprocessing.get_context("fork").Value("i", 0)

    def probe(self) -> Sandbox:
        """The first sandbox, started here (SandboxError if none can start). The others then start in its
        mode or not at all; when it had to fall back from bubblewrap, they (booting in the mode that failed)
        are stopped, and adopters boot their own."""
        if not self.sandboxes:
            self.sandboxes.append(Sandbox(limits=self.limits, isolation=self.isolation).launch())
        first = self.sandboxes[0]
        launched = first.launched_mode
        first.start()
        if first.mode != launched:
            for sandbox in self.sandboxes[1:]:
                sandbox.stop()
            del self.sandboxes[1:]
        for sandbox in self.sandboxes[1:]:
            sandbox.requested = self.isolation_after_probe(first)
        return first

    @staticmethod
    def isolation_after_probe(probe: Sandbox) -> str:
        """What the grading processes ask for once the probe has started: bubblewrap or nothing, never a
        silent fallback in one of them."""
        return "bwrap" if probe.mode == "bwrap" else "none"

    def adopt(self) -> Sandbox | None:
        """In a forked grading process: the next sandbox nobody has adopted (None when all are taken); this
        process's copies of the others' descriptors are closed."""
        with self._taken.get_lock():
            index = self._taken.value
            self._taken.value += 1
        for i, sandbox in enumerate(self.sandboxes):
            if i != index:
                sandbox.release()
        return self.sandboxes[index] if index < len(self.sandboxes) else None

    def close(self) -> None:
        """Stop every sandbox (those adopted by processes that have ended included: they are children of
        this process, which reaps them)."""
        for sandbox in self.sandboxes:
            sandbox.stop()
        self.sandboxes = []

    def __enter__(self) -> WarmSandboxes:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
