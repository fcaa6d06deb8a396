"""Sandboxes booted ahead of a batch: each grading process adopts its own, none is shared or left behind."""

import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile

import pytest

from graders.sandbox.launcher import Limits, Sandbox
from graders.sandbox.warm import WarmSandboxes
from tests.conftest import REPO, requires_bwrap

PROBE = "import os\ndef probe():\n    return 1\n"


def zygotes() -> set[int]:
    """Sandboxed workers running now (their command line names the worker script)."""
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as fh:
                    if b"/sandbox/worker.py" in fh.read():
                        found.add(int(name))
            except OSError:
                pass
    return found


def scratch_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("gradekit-sandbox-")}


def _adopt_and_run(warm: WarmSandboxes, answers) -> None:
    sandbox = warm.adopt()
    if sandbox is None:
        answers.put(("none", None, None))
        return
    with sandbox.session(source=PROBE, filename="probe.py", module="probe", function="probe",
                         parameters=()) as session:
        answers.put((sandbox.proc.pid, session.loaded.get("ok"), sandbox.control.fileno()))
    sandbox.stop()


@requires_bwrap
def test_each_forked_process_adopts_its_own_booted_sandbox_and_nothing_is_left():
    before = zygotes()
    context = multiprocessing.get_context("fork")
    with WarmSandboxes(2, limits=Limits(), isolation="bwrap") as warm:
        probe = warm.probe()
        assert probe.mode == "bwrap" and warm.sandboxes[1].requested == "bwrap"
        answers = context.Queue()
        children = [context.Process(target=_adopt_and_run, args=(warm, answers)) for _ in range(3)]
        for child in children:
            child.start()
        for child in children:
            child.join(60)
        got = [answers.get(timeout=5) for _ in children]
        booted = [g for g in got if g[0] != "none"]
        assert len(booted) == 2 and len(got) - len(booted) == 1  # the third process boots its own
        assert all(ok for _, ok, _ in booted)
        assert len({pid for pid, _, _ in booted}) == 2  # two different zygotes
    assert zygotes() <= before  # closed: every zygote stopped, those the children stopped reaped


@requires_bwrap
def test_a_bubblewrap_that_fails_falls_back_once_and_stops_the_others(monkeypatch):
    monkeypatch.setattr(Sandbox, "_bwrap_command", lambda self, memfd, fd, config: ["false"])
    with WarmSandboxes(3, limits=Limits(), isolation="auto") as warm:
        probe = warm.probe()
        assert probe.mode in ("chroot", "none")
        assert "bubblewrap failed to start" in probe.warning
        assert warm.sandboxes == [probe]  # the others booted in the mode that failed: stopped


def test_a_sandbox_requested_without_bubblewrap_starts_in_the_fallback_everywhere():
    with WarmSandboxes(2, limits=Limits(), isolation="none") as warm:
        probe = warm.probe()
        assert probe.mode == ("chroot" if os.geteuid() == 0 else "none") and probe.warning is None
        assert len(warm.sandboxes) == 2 and warm.sandboxes[1].launched_mode == probe.mode


@requires_bwrap
def test_batch_boots_one_sandbox_per_grading_process_no_probe_of_its_own(tmp_path):
    """`batch --jobs 2` starts two sandboxes (the probe is one of them), not three."""
    work = tmp_path / "class"
    work.mkdir()
    for name in ("ann", "bob", "cyd"):
        (work / f"{name}.py").write_text((REPO / "solutions" / "residual_unit.py").read_text())
    counter = tmp_path / "spawned"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import graders.sandbox.launcher as l\n"
        "begin = l.Sandbox._begin\n"
        f"def counted(self, mode):\n    open({str(counter)!r}, 'a').write(mode + '\\n')\n    return begin(self, mode)\n"
        "l.Sandbox._begin = counted\n")
    env = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{REPO}"}
    before = scratch_dirs()
    done = subprocess.run([sys.executable, "-m", "graders", "batch", str(work), "--exercise", "residual_unit",
                           "--out", str(tmp_path / "out"), "--jobs", "2", "--isolation", "bwrap"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert counter.read_text().split() == ["bwrap", "bwrap"]
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()[1:]
    assert [r.split(",")[:2] for r in rows] == [["ann", "20"], ["bob", "20"], ["cyd", "20"]]
    assert scratch_dirs() <= before


def test_count_is_validated():
    with pytest.raises(ValueError, match="count"):
        WarmSandboxes(-1, limits=Limits(), isolation="none")


def test_an_interrupted_batch_leaves_no_booted_sandbox(tmp_path):
    """Ctrl-C while the exercise is still being prepared: the sandboxes booting for it are stopped."""
    work = tmp_path / "class"
    work.mkdir()
    (work / "ann.py").write_text("def residual_block(x, w1, w2):\n    return x\n")
    before, scratch_before = zygotes(), scratch_dirs()
    proc = subprocess.Popen([sys.executable, "-m", "graders", "batch", str(work), "--exercise", "residual_unit",
                             "--out", str(tmp_path / "out")], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "GRADEKIT_NO_CACHE": "1"})
    try:
        proc.wait(0.8)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    proc.wait(60)
    assert zygotes() <= before
    assert scratch_dirs() <= scratch_before


def test_removing_a_scratch_directory_never_touches_its_parent(tmp_path):
    """A pool process stops (and deletes) the sandbox it adopted; the batch then stops it again. Deleting the
    already deleted directory once changed the permissions of its parent, /tmp, to 0700 (as root)."""
    from graders.sandbox.launcher import _remove_tree

    parent = tmp_path / "tmp"
    parent.mkdir()
    parent.chmod(0o1777)
    _remove_tree(str(parent / "gradekit-sandbox-gone"))
    assert parent.stat().st_mode & 0o7777 == 0o1777
    scratch = parent / "gradekit-sandbox-x"
    (scratch / "learner" / "locked").mkdir(parents=True)
    (scratch / "learner" / "locked" / "file").write_text("x")
    (scratch / "learner" / "locked").chmod(0)
    (scratch / "learner").chmod(0o500)
    _remove_tree(str(scratch))  # what a learner did inside is undone, nothing outside
    assert not scratch.exists() and parent.stat().st_mode & 0o7777 == 0o1777


@requires_bwrap
def test_a_batch_leaves_the_temporary_directory_as_it_found_it(tmp_path):
    shared_tmp = tmp_path / "tmp"  # the batch's own TMPDIR: the test does not depend on the state of /tmp
    shared_tmp.mkdir()
    shared_tmp.chmod(0o1777)
    work = tmp_path / "class"
    work.mkdir()
    (work / "ann.py").write_text((REPO / "solutions" / "residual_unit.py").read_text())
    done = subprocess.run([sys.executable, "-m", "graders", "batch", str(work), "--exercise", "residual_unit",
                           "--out", str(tmp_path / "out"), "--jobs", "2"], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TMPDIR": str(shared_tmp)})
    assert done.returncode == 0, done.stderr
    assert shared_tmp.stat().st_mode & 0o7777 == 0o1777
    assert list(shared_tmp.iterdir()) == []  # every sandbox's scratch directory removed
