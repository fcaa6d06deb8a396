"""pytest configuration for the exercises' self-check tests. You never need to edit this file.

It makes the shared helper (selfcheck.py, next to this file) importable from every exercise folder, and ends
every run with one line per exercise, so that you see where you are at a glance:

    ================================ your exercises ================================
    gradient_flow        not started
    projection_shortcut  not started
    residual_backward    not started
    residual_unit        12/17 passing
    resnet_concepts      5/5 passing

An exercise is "not started" while its file is untouched (the function still raises NotImplementedError, or
no answer of the quiz is filled in yet): then only its first test fails, telling you what to edit, and its
other tests are skipped. Skipped is not passed: the run fails until every test of every exercise passes.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import selfcheck  # noqa: E402

# Several copies of exercises/ (each with this file) may run in one pytest session, and each copy's hooks run:
# the state lives on the session's config, keyed by test id and exercise folder, so that the copies agree and
# the summary is written once.
_CONFIG = []


def _state() -> dict:
    config = _CONFIG[-1]
    state = getattr(config, "_exercise_progress", None)
    if state is None:  # a new session: forget what an earlier one in this process loaded
        selfcheck.reset()
        state = {"tests": {}, "outcomes": {}, "broken": set(), "shown": False}
        config._exercise_progress = state
    return state


def pytest_configure(config):
    _CONFIG.append(config)
    _state()


def pytest_unconfigure(config):
    if config in _CONFIG:
        _CONFIG.remove(config)


def _folder(nodeid: str) -> Path:
    """The exercise folder of a test ("exercises/residual_unit/test_residual_unit.py::test_x" -> its folder)."""
    return (_CONFIG[-1].rootpath / nodeid.split("::")[0]).resolve().parent


def pytest_collectreport(report):
    if report.failed and report.nodeid.endswith(".py"):  # a test file that cannot even be collected
        _state()["broken"].add(_folder(report.nodeid))


def pytest_collection_finish(session):
    _state()["tests"] = {item.nodeid: Path(item.path).resolve().parent for item in session.items}


def pytest_runtest_logreport(report):
    """A test passed if its call passed and none of its phases failed."""
    outcomes = _state()["outcomes"]
    if report.failed:
        outcomes[report.nodeid] = "failed"
    elif outcomes.get(report.nodeid) == "failed":
        pass
    elif report.when == "call":
        outcomes[report.nodeid] = "passed" if report.passed else "skipped"
    else:
        outcomes.setdefault(report.nodeid, "skipped" if report.skipped else "started")


def progress() -> list[tuple[str, str, bool]]:
    """(exercise, status, every test passes) for every exercise of this run; status is "12/17 passing",
    "not started", "does not load" (its file), "tests do not load" or "not run"."""
    state = _state()
    folders: dict[Path, list[str]] = {folder: [] for folder in state["broken"]}
    for nodeid, folder in state["tests"].items():
        folders.setdefault(folder, []).append(nodeid)
    names = [folder.name for folder in folders]
    rows = []
    for folder in sorted(folders):
        tests = folders[folder]
        # the folder's name, or its path when several folders of this run share a name
        label = folder.name if names.count(folder.name) == 1 else _relative(folder)
        passed = sum(state["outcomes"].get(t) == "passed" for t in tests)
        if folder in state["broken"]:
            status = "tests do not load (see the error above)"
        elif selfcheck.exercise_status(folder):
            status = selfcheck.exercise_status(folder)
        elif not any(t in state["outcomes"] for t in tests):
            status = "not run"
        else:
            status = f"{passed}/{len(tests)} passing"
        rows.append((label, status, bool(tests) and passed == len(tests) and folder not in state["broken"]))
    return rows


def _relative(folder: Path) -> str:
    try:
        return folder.relative_to(_CONFIG[-1].rootpath).as_posix()
    except ValueError:
        return folder.as_posix()


def pytest_terminal_summary(terminalreporter):
    state = _state()
    if state["shown"]:  # another copy of this file wrote it
        return
    state["shown"] = True
    rows = progress()
    if not rows:
        return
    width = max(len(row[0]) for row in rows) + 2
    terminalreporter.write_sep("=", "your exercises")
    for label, status, complete in rows:
        terminalreporter.write_line(f"{label.ljust(width)}{status}", green=complete, yellow=not complete)


def pytest_sessionfinish(session):
    """A skipped test is not a passed one: a run with an exercise not started (or not loading) fails."""
    state = _state()
    stopped = {folder for folder in state["tests"].values() if selfcheck.exercise_status(folder)}
    if (stopped or state["broken"]) and session.exitstatus == 0:
        session.exitstatus = 1
