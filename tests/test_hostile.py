"""Hostile submissions (issue 3): each is graded with the right score and code, and nothing escapes:
no marker file outside the sandbox, no loopback connection, no process left running, the reference
never reached, the repository untouched.

Every hostile file is bounded by itself (at most 200 processes, 4 GiB, 200 MB of output), so this suite
cannot endanger the machine even if the sandbox were broken."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from graders.engine.grading import grade_source
from graders.sandbox.launcher import Limits, Sandbox
from tests.conftest import REFERENCE_SOURCE, REPO, SUBMISSIONS, requires_bwrap

HOSTILE = sorted((SUBMISSIONS / "hostile").glob("*.py"))
PORT = 47613
FORGED = [Path("/tmp/results.json"), REPO / "results.json", Path("/autograder/results/results.json")]
# Legitimate alternatives: writing junk on the worker channel is a crash; 8 spinning threads starve
# their own main thread of the GIL past the 2 s limit used here (the grader is a separate process).
ALSO_ACCEPTED = {"forge_results": {"crashed"}, "threads_busy": {"timeout"}}


def expectation(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <code>'"
    return first.removeprefix("# expect: ").strip()


def escape_markers() -> list[Path]:
    return [p for pattern in [Path("/tmp").glob("gradekit_escape_*"), Path.home().glob("gradekit_escape_*"),
                              REPO.glob("gradekit_escape_*"), REPO.parent.glob("gradekit_escape_*")] for p in pattern]


def repo_fingerprint() -> str:
    h = hashlib.sha256()
    for path in sorted(REPO.rglob("*")):
        if ".git" in path.parts or "__pycache__" in path.parts or ".hypothesis" in path.parts or not path.is_file():
            continue
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def process_table() -> dict[int, tuple[int, bytes]]:
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_bytes()
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            table[int(name)] = (int(stat[stat.rfind(b")") + 2:].split()[1]), cmdline)
    return table


def leftovers(sandbox: Sandbox) -> list[int]:
    """Processes below the worker (zygote): a finished grading must leave none."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    queue, zygote = [sandbox.proc.pid], None
    while queue and zygote is None:  # the first worker.py process below the launcher is the zygote
        pid = queue.pop(0)
        argv = table.get(pid, (0, b""))[1].split(b"\0")
        if b"worker.py" in b" ".join(argv) and not argv[0].endswith(b"bwrap"):
            zygote = pid
        queue += children.get(pid, [])
    assert zygote is not None
    found, queue = [], list(children.get(zygote, []))
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += children.get(pid, [])
    return found


class Listener:
    """TCP and UDP listeners on the port the hostile code targets; records anything that arrives."""

    def __init__(self):
        self.received: list[str] = []
        self.tcp = socket.socket()
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for attempt in range(60):  # another run of this suite on the machine may hold the port for a while
            try:
                self.tcp.bind(("127.0.0.1", PORT))
                self.udp.bind(("127.0.0.1", PORT))
                break
            except OSError:
                if attempt == 59:
                    raise
                time.sleep(1)
        self.tcp.listen()
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.tcp.accept()
                self.received.append("tcp connection")
                conn.close()
            except OSError:
                pass
            try:
                self.udp.recvfrom(100)
                self.received.append("udp datagram")
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join()
        self.tcp.close()
        self.udp.close()


@pytest.fixture(scope="module")
def hostile_sandbox():
    box = Sandbox(limits=Limits(time=2.0, memory=512 << 20), isolation="bwrap")
    yield box
    box.stop()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def fingerprint():
    return repo_fingerprint()


@requires_bwrap
@pytest.mark.sandbox
@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.stem)
def test_hostile_submission_is_graded_and_contained(exercise, hostile_sandbox, listener, path):
    for marker in escape_markers():
        marker.unlink()
    forged_before = {p: p.stat().st_mtime if p.exists() else None for p in FORGED}
    expected = expectation(path)
    started = time.monotonic()
    report = grade_source(exercise, path.read_text(), sandbox=hostile_sandbox, submission=path.name)
    assert time.monotonic() - started < 15

    if expected == "correct":
        assert report.score == report.max_score, report.codes
    else:
        accepted = {expected} | ALSO_ACCEPTED.get(path.stem, set())
        assert accepted & set(report.codes), report.codes
        assert report.score <= 3, report.codes  # wrong answers can keep only structure points

    time.sleep(0.3)  # give an escaped daemon the chance to show itself
    if hostile_sandbox.proc is not None:
        assert leftovers(hostile_sandbox) == []
    assert escape_markers() == []
    assert listener.received == []
    assert {p: p.stat().st_mtime if p.exists() else None for p in FORGED} == forged_before


@requires_bwrap
@pytest.mark.sandbox
def test_grading_goes_on_after_every_hostile_submission(exercise, hostile_sandbox, fingerprint):
    report = grade_source(exercise, REFERENCE_SOURCE, sandbox=hostile_sandbox)
    assert report.score == report.max_score
    assert repo_fingerprint() == fingerprint


def test_every_hostile_file_declares_what_to_expect():
    assert len(HOSTILE) >= 15
    assert all(expectation(p) in {"correct", "timeout", "memory_limit", "crashed", "raises", "exits", "unknown"}
               for p in HOSTILE)


PARTIAL = '''
import numpy as np
def residual_block(x, w1, w2):
    if x.shape[0] > 3:  # the worked examples are small: they pass, then a later case hangs
        while True:
            pass
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)
'''


@requires_bwrap
@pytest.mark.sandbox
def test_partial_results_survive_a_hang(exercise, hostile_sandbox):
    report = grade_source(exercise, PARTIAL, sandbox=hostile_sandbox)
    assert "timeout" in report.codes
    passed = {c.name for c in report.checks if c.passed}
    assert {"worked_example_1", "worked_example_2", "worked_example_3"} <= passed
    assert 0 < report.score < report.max_score


def test_output_is_capped_and_counted(grade):
    flood = "import sys\nsys.stdout.write('x' * 5_000_000)\n" + REFERENCE_SOURCE
    report = grade(flood)
    assert report.score == report.max_score
    assert report.output.stdout_bytes == 5_000_000
    assert len(report.output.stdout) <= Limits.output


@requires_bwrap
@pytest.mark.sandbox
def test_sandbox_shows_no_repository_and_no_reference(exercise, hostile_sandbox):
    probe = '''
import os, sys, gc
import numpy as np
seen = sorted(os.listdir("/"))
leaks = [m for m in sys.modules if "solution" in m or "graders" in m]
leaks += [o.__name__ for o in gc.get_objects() if callable(o) and getattr(o, "__name__", "") == "residual_block"
          and getattr(o, "__module__", "") != __name__]
print("ROOT", seen, "LEAKS", leaks, "REPO", os.path.exists(%r), "NET", os.path.exists("/sys/class/net/eth0"))
def residual_block(x, w1, w2):
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)
''' % str(REPO)
    report = grade_source(exercise, probe, sandbox=hostile_sandbox)
    out = report.output.stdout
    assert "LEAKS []" in out and "REPO False" in out, out
    assert "work" not in out.split("LEAKS")[0], out
