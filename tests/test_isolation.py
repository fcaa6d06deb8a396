"""Learners never reach each other (issue 9): each attack on the *next* learner is graded as a pair in one
warm worker, and the victim's result must be identical to its result when graded alone in a fresh one.
Then the learner's own channel: forged or oversized frames, odd values, hangs after the last result,
patched builtins, and the memory the grader holds, whatever is submitted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from graders.engine.grading import MAX_SOURCE_BYTES, grade_source
from graders.report.data import report_dict
from graders.sandbox.launcher import Limits, Sandbox, python_paths
from tests.conftest import HAS_BWRAP, REFERENCE_SOURCE, REPO, SUBMISSIONS, requires_bwrap

ATTACKERS = sorted((SUBMISSIONS / "attackers").glob("*.py"))
VICTIMS = SUBMISSIONS / "victims"
LIMITS = Limits(time=5.0, memory=512 << 20)


def comparable(report) -> dict:
    """Everything of a report that depends on the submission (not timings)."""
    data = report_dict(report)
    data.pop("elapsed")
    return data


def consistent(report) -> bool:
    """Full marks exactly when nothing is diagnosed: score and diagnoses never contradict."""
    return report.full_marks == (not report.diagnoses)


def grade_in(box: Sandbox, source: str, exercise):
    return grade_source(exercise, source, sandbox=box, submission="learner.py")


def alone(exercise, source: str):
    with Sandbox(limits=LIMITS, isolation="bwrap") as box:
        return grade_in(box, source, exercise)


def after(exercise, attacker: str, victim: str):
    """(attacker's report, victim's report) graded one after the other by one warm worker."""
    with Sandbox(limits=LIMITS, isolation="bwrap") as box:
        first = grade_in(box, attacker, exercise)
        second = grade_in(box, victim, exercise)
        assert box.restarts == 0  # nothing the attacker did harmed the worker
        return first, second


@pytest.fixture(scope="module")
def probe_alone(exercise):
    return comparable(alone(exercise, (VICTIMS / "world_probe.py").read_text()))


@requires_bwrap
@pytest.mark.sandbox
@pytest.mark.parametrize("attacker", ATTACKERS, ids=lambda p: p.stem)
def test_the_next_learner_is_graded_as_if_alone(exercise, probe_alone, attacker):
    first, second = after(exercise, attacker.read_text(), (VICTIMS / "world_probe.py").read_text())
    assert consistent(first), first.codes
    assert comparable(second) == probe_alone
    assert second.full_marks
    world = second.output.stdout
    assert "pids [1]" in world and "left []" in world and "ipc 0 0 0 mq False" in world, world


@requires_bwrap
@pytest.mark.sandbox
def test_a_learner_never_finds_a_classmates_code_in_its_memory(exercise):
    scraper = (VICTIMS / "memory_scraper.py").read_text()
    secret = (SUBMISSIONS / "attackers" / "secret_solution.py").read_text()
    with Sandbox(limits=LIMITS, isolation="bwrap") as box:
        for _ in range(2):  # two classmates before it, as in the issue
            assert grade_in(box, secret, exercise).full_marks
        report = grade_in(box, scraper, exercise)
    out = report.output.stdout
    assert "selfte" in out, out  # the scan works: it finds what really is in its memory
    assert "7f3a9c" not in out, out


@requires_bwrap
@pytest.mark.sandbox
def test_a_learners_world_is_fresh_and_private(exercise):
    report = alone(exercise, (VICTIMS / "world_probe.py").read_text())
    world = report.output.stdout
    assert "pids [1]" in world  # itself, PID 1 of its own namespace: no other process to see or signal
    # /tmp holds the learner's work folder, plus the read-only Python install when it lives under /tmp (a venv
    # there, as CI and tox make them): nothing else, whoever graded before
    python_under_tmp = sorted({p.split("/")[2] for p in python_paths() if p.startswith("/tmp/")})
    assert f"tmp {sorted(['work', *python_under_tmp])} work ['residual_unit.py'] shm []" in world, world
    free_tmp, free_shm = (int(v) for v in world.split("free ")[1].split()[:2])
    assert free_tmp <= LIMITS.tmp_size >> 20 and free_shm <= LIMITS.shm_size >> 20  # size-capped RAM disks


@requires_bwrap
@pytest.mark.sandbox
def test_a_learner_opens_no_network_socket_and_no_other_architectures_calls(exercise):
    """Learners of one sandbox share its loopback-only network namespace: that is safe because they can open
    AF_UNIX sockets only (gone with their processes; TCP state would outlive them). Nothing reaches the kernel
    through another architecture's entry point, and io_uring (whose operations seccomp never sees) is off."""
    import platform

    report = alone(exercise, (VICTIMS / "socket_probe.py").read_text())
    found = dict(eval(report.output.stdout.split("SOCKETS ", 1)[1].splitlines()[0]))  # the probe's own repr
    assert report.full_marks, report.codes
    assert {k: found[k] for k in ("inet", "inet6", "udp", "netlink", "packet")} == dict.fromkeys(
        ("inet", "inet6", "udp", "netlink", "packet"), "EAFNOSUPPORT")
    assert found["unix"] == found["socketpair"] == "ok"  # multiprocessing and friends still work
    if platform.machine() == "x86_64":
        assert found["inet_high_bits"] == "EAFNOSUPPORT" and found["io_uring"] == "ENOSYS"
        assert found["i386_getpid"] == "-38" or found["i386_getpid"].startswith("died"), found  # -ENOSYS


# ------------------------------------------------------------------------------- the learner's channel
def forging(payload: str) -> str:
    """A correct solution that writes ``payload`` (bytes, as Python source) on the result channel first."""
    return textwrap.dedent(f"""\
        import os, struct
        import numpy as np
        _sent = []
        def residual_block(x, w1, w2):
            if not _sent:
                _sent.append(1)
                data = {payload}
                for fd in range(3, 64):  # wherever the result channel is
                    try:
                        os.write(fd, struct.pack(">I", len(data)) + data)
                    except OSError:
                        pass
            return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
        """)


FORGED_FRAMES = {
    "not_json": 'b"R{not json"',
    "deep_nesting": 'b"R" + b"[" * 100000 + b"]" * 100000',
    "huge_integer": 'b"R{\\"kind\\": \\"returned\\", \\"value\\": {\\"kind\\": \\"scalar\\", \\"value\\": " + b"9" * 5000 + b"}}"',
    "bad_shape": 'b"R{\\"kind\\":\\"returned\\",\\"value\\":{\\"kind\\":\\"ndarray\\",\\"__nd__\\":\\"<f8\\",\\"shape\\":\\"abc\\",\\"data\\":\\"!!\\"}}"',
    "object_dtype": 'b"R{\\"kind\\":\\"returned\\",\\"value\\":{\\"kind\\":\\"ndarray\\",\\"__nd__\\":\\"|O\\",\\"shape\\":[2],\\"data\\":\\"\\"}}"',
    "wrong_types": 'b"R{\\"kind\\":\\"raised\\",\\"error\\":{\\"type\\":123,\\"message\\":[1],\\"lineno\\":\\"5\\",\\"bases\\":7}}"',
    "lone_surrogate": 'b"R{\\"kind\\":\\"raised\\",\\"error\\":{\\"type\\":\\"E\\\\ud800\\",\\"message\\":\\"\\\\udfff\\\\u001b[2J\\"}}"',
    "format_codes": 'b"R{\\"kind\\":\\"returned\\",\\"value\\":{\\"kind\\":\\"scalar\\",\\"value\\":\\"{:.3g}\\"},\\"mutated\\":[{}]}"',
    "unknown_kind": 'b"Z{}"',
    "oversized": 'b"R" + b" " * (8 << 20)',
}


@pytest.mark.parametrize("name", sorted(FORGED_FRAMES))
def test_forged_frames_are_graded_never_a_crash(exercise, sandbox, name):
    report = grade_source(exercise, forging(FORGED_FRAMES[name]), sandbox=sandbox, submission="forger.py")
    assert not report.full_marks
    assert consistent(report), report.codes
    data = report_dict(report)
    from graders.report.text import render_text
    render_text(data).encode("utf-8")  # renders, and as valid UTF-8
    render_text(data, markdown=True).encode("utf-8")


def test_a_huge_frame_keeps_the_grader_small(tmp_path):
    """One 60 MiB frame, 24 times over: the grading process stays far below 500 MB."""
    source = tmp_path / "residual_unit.py"
    source.write_text(textwrap.dedent("""\
        import os, struct
        import numpy as np
        def residual_block(x, w1, w2):
            item = b'{"kind":"none"},'
            block = b'R{"kind":"returned","value":{"kind":"sequence","items":[' + item * (3 << 20) + b'{"kind":"none"}]}}'
            for _ in range(24):
                for fd in range(3, 64):  # wherever the result channel is
                    try:
                        os.write(fd, struct.pack(">I", len(block)) + block)
                    except OSError:
                        pass
            return np.zeros(3)
        """))
    proc = subprocess.Popen([sys.executable, "-m", "graders", "grade", str(source), "--json"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this grading process alone
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0
    assert usage.ru_maxrss < 500 * 1024, f"grader peaked at {usage.ru_maxrss / 1024:.0f} MiB"
    assert b'"score": 0' in out
    assert b"private result channel" in out  # named for what it did, not "the grading worker stopped"


def test_complex_and_huge_results_are_named_for_what_they_are(exercise, grade):
    complex_report = grade("import numpy as np\ndef residual_block(x, w1, w2):\n"
                           "    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x).astype(complex)\n")
    assert "wrong_dtype" in complex_report.codes
    assert "complex128" in " ".join(d.message for d in complex_report.diagnoses)
    huge = grade("import numpy as np\ndef residual_block(x, w1, w2):\n"
                 "    return np.broadcast_to(x, (100000, x.shape[0]))\n")
    assert "wrong_shape" in huge.codes
    message = " ".join(d.message for d in huge.diagnoses)
    assert "(100000," in message and "numpy.ndarray, expected numpy.ndarray" not in message


def test_hanging_after_the_last_result_is_not_a_timeout(exercise, sandbox):
    hang = REFERENCE_SOURCE + textwrap.dedent("""
        import sys, time
        class _Stuck:
            def write(self, text):
                return len(text)
            def flush(self):
                time.sleep(3600)
        sys.stdout = _Stuck()
        """)
    report = grade_source(exercise, hang, sandbox=sandbox, submission="hang.py")
    assert report.full_marks and report.codes == (), report.codes


def test_patching_builtins_does_not_hide_a_mutation(exercise, grade):
    report = grade("import builtins\nimport numpy as np\nbuiltins.zip = lambda *a: iter(())\n"
                   "def residual_block(x, w1, w2):\n    y = np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n"
                   "    x[...] = 7.0\n    return y\n")
    assert "mutates_input" in report.codes
    assert not report.full_marks


def test_an_oversized_file_is_too_large_not_crashed(exercise, grade, tmp_path):
    big = REFERENCE_SOURCE + "\n# padding\n" + ("#" * 99 + "\n") * (MAX_SOURCE_BYTES // 100)
    report = grade(big)
    assert report.codes == ("too_large",) and report.score == 0
    path = tmp_path / "residual_unit.py"
    path.write_text(REFERENCE_SOURCE + ("#" * 99 + "\n") * 200_000)  # 20 MB, correct
    done = subprocess.run([sys.executable, "-m", "graders", "grade", str(path), "--json"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"too_large"' in done.stdout


@requires_bwrap
@pytest.mark.sandbox
def test_a_lost_worker_is_replaced_and_the_learner_graded_again(exercise):
    with Sandbox(limits=LIMITS, isolation="bwrap") as box:
        assert grade_in(box, REFERENCE_SOURCE, exercise).full_marks
        os.killpg(box.proc.pid, 9)  # the worker dies between two learners
        box.proc.wait()
        report = grade_in(box, REFERENCE_SOURCE, exercise)
        assert report.full_marks and box.restarts == 1


# ------------------------------------------------------------------------------- without bubblewrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the chroot fallback is what a root grader without bubblewrap uses")
def test_root_fallback_cannot_reach_the_reference(exercise):
    thief = (SUBMISSIONS / "hostile" / "find_reference.py").read_text()
    probe = textwrap.dedent(f"""\
        import os
        import numpy as np
        print("SEES", os.path.exists({str(REPO / 'solutions' / 'residual_unit.py')!r}), os.listdir("/"), os.getuid() >= 2_000_000_000)
        def residual_block(x, w1, w2):
            return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
        """)
    with Sandbox(limits=LIMITS, isolation="none") as box:
        assert box.mode == "chroot"
        stolen = grade_in(box, thief, exercise)
        seen = grade_in(box, probe, exercise)
    assert not stolen.full_marks, stolen.codes
    assert "SEES False ['tmp'] True" in seen.output.stdout, seen.output.stdout
    assert seen.full_marks and "chroot" in seen.sandbox_note


def test_an_unprotected_grade_says_it_could_be_forged(exercise):
    box = Sandbox(limits=LIMITS, isolation="none")
    box._spawn("plain")  # what a grader that is neither root nor has bubblewrap gets
    try:
        report = grade_in(box, REFERENCE_SOURCE, exercise)
    finally:
        box.stop()
    assert report.sandbox == "none" and "forged" in report.sandbox_note
    from graders.report.text import render_text

    assert "forged" in render_text(report_dict(report))


def test_no_sandbox_leaves_anything_behind(exercise):
    before = set(Path("/tmp").glob("gradekit-sandbox-*"))
    for isolation in ("auto", "none"):
        with Sandbox(limits=LIMITS, isolation=isolation) as box:
            grade_in(box, (SUBMISSIONS / "attackers" / "leave_undeletable_tmp.py").read_text(), exercise)
    assert set(Path("/tmp").glob("gradekit-sandbox-*")) == before


@requires_bwrap
@pytest.mark.sandbox
@pytest.mark.slow
def test_a_venv_under_tmp_grades_like_any_other(tmp_path):
    """CI and tox make venvs under /tmp, where each learner gets a /tmp of its own: the install must still
    be there (read-only) for the learner's lazy imports, and nothing of it may be walked or wiped."""
    assert str(tmp_path).startswith("/tmp/")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "numpy", "hypothesis"], check=True, capture_output=True,
                   timeout=600)
    learner = tmp_path / "residual_unit.py"
    learner.write_text("import fractions, statistics\nimport numpy.polynomial.hermite\n" + REFERENCE_SOURCE)
    done = subprocess.run([python, "-m", "graders", "grade", str(learner), "--require-sandbox", "--json"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert '"score": 20' in done.stdout and '"sandbox": "bwrap"' in done.stdout, done.stdout[:2000]
    assert (venv / "bin" / "python").exists()  # untouched


@pytest.fixture(scope="module")
def normal_user_python():
    """A normal user's Python (nobody, with a venv under /tmp built from the system Python): how a grader
    that is not root runs. Skipped where that cannot be built (not root, no system Python or no registry)."""
    if os.geteuid() != 0 or not Path("/usr/bin/python3").exists():
        pytest.skip("needs root (to become nobody) and /usr/bin/python3")
    home = Path(tempfile.mkdtemp(prefix="gradekit-nobody-"))  # pytest's own temp root is private to root
    os.chown(home, 65534, 65534)
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    try:
        subprocess.run([*as_nobody, "/usr/bin/python3", "-m", "venv", str(home / "venv")], check=True,
                       capture_output=True, env=env, timeout=120)
        subprocess.run([*as_nobody, str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "numpy",
                        "hypothesis"], check=True, capture_output=True, env=env, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"cannot build a normal user's venv here: {exc}")
    yield as_nobody, str(home / "venv" / "bin" / "python"), {**env, "PYTHONPATH": str(REPO)}, home
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["bwrap", "none"])
def test_a_normal_user_grades_too(normal_user_python, isolation):
    as_nobody, python, env, home = normal_user_python
    if isolation == "bwrap" and not HAS_BWRAP:
        pytest.skip("bubblewrap is not installed")
    learner = home / f"residual_unit_{isolation}.py"
    learner.write_text(REFERENCE_SOURCE)
    os.chown(learner, 65534, 65534)
    done = subprocess.run([*as_nobody, python, "-m", "graders", "grade", str(learner), "--isolation", isolation,
                           "--json"], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert '"score": 20' in done.stdout
    if isolation == "bwrap":
        assert '"sandbox": "bwrap"' in done.stdout and '"sandbox_note": ""' in done.stdout
    else:  # neither bubblewrap nor root: graded, and the report says the grade could be forged
        assert '"sandbox": "none"' in done.stdout and "forged" in done.stdout


@requires_bwrap
@pytest.mark.sandbox
def test_in_a_batch_the_next_learner_is_graded_as_if_alone(tmp_path):
    """The same through `batch --jobs 1` (one warm worker for the whole class): every attacker, then the
    victim, whose result and feedback equal those of the victim graded alone."""
    import json

    def run(names_sources: dict, out):
        folder = tmp_path / f"class_{out}"
        folder.mkdir()
        for name, source in names_sources.items():
            (folder / name).write_text(source)
        done = subprocess.run([sys.executable, "-m", "graders", "batch", str(folder), "--exercise", "residual_unit",
                               "--out", str(tmp_path / out), "--jobs", "1", "--require-sandbox"], cwd=REPO,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        victim = json.loads((tmp_path / out / "results" / "zz_victim.json").read_text())
        feedback = (tmp_path / out / "feedback" / "zz_victim.md").read_text()
        return {k: v for k, v in victim.items() if k not in ("elapsed", "path", "submission")}, feedback

    probe = (VICTIMS / "world_probe.py").read_text()
    attackers = {f"a{i}_{p.stem}.py": p.read_text() for i, p in enumerate(ATTACKERS)}
    assert run({**attackers, "zz_victim.py": probe}, "together") == run({"zz_victim.py": probe}, "alone")


HOARDER = textwrap.dedent("""\
    import os, time
    import numpy as np
    ready_r, ready_w = os.pipe()
    for _ in range(4):  # four helpers, each well within its own address-space limit
        if os.fork() == 0:
            try:
                block = np.ones(14_000_000)  # 112 MB, touched
                os.write(ready_w, b".")
                time.sleep(30)
            finally:
                os._exit(0)
    os.close(ready_w)
    ready = b""
    while len(ready) < 4:  # the helpers hold their memory first (deterministic: no race with the main process)
        chunk = os.read(ready_r, 4)
        if not chunk:
            break
        ready += chunk
    held = np.ones(28_000_000)  # 224 MB more, within this process's own limit: together, over the sandbox's
    def residual_block(x, w1, w2):
        return np.maximum(0.0, w2 @ np.maximum(0.0, w1 @ x) + x)
    """)


@requires_bwrap
@pytest.mark.sandbox
def test_a_learners_processes_together_cannot_exceed_the_sandboxs_memory(exercise):
    """Address-space limits are per process; the sandbox's control group caps them together (where the
    grader may make one: as root here), and the kernel then stops the learner, never the grader."""
    limits = Limits(time=8.0, memory=256 << 20)
    with Sandbox(limits=limits, isolation="bwrap") as box:
        if box.confinement is None:
            pytest.skip("no control group can be made here (not root, or no writable cgroup file system)")
        report = grade_in(box, HOARDER, exercise)
        peak = box.confinement.peak_memory()
        after = grade_in(box, REFERENCE_SOURCE, exercise)
        assert box.restarts == 0
    cap = limits.memory + limits.tmp_size + limits.shm_size + (256 << 20)
    assert peak <= cap, f"the sandbox held {peak >> 20} MiB, more than its {cap >> 20} MiB"
    assert "memory_limit" in report.codes and consistent(report), report.codes
    assert after.full_marks
