# gradekit grades the code cells run so far in a separate process (the hidden reference never enters this
# kernel) and caches the report; each test cell below is one of its checks, worth the points it shows.
# (This is graders/report/nbgrader_cell.py, shipped as source in the notebook's first test cell after a line
# `_GRADEKIT = {"exercise": ..., "options": [...], "timeout": ...}`. Standard library only.)


def _gradekit_check(check, summary=False):
    """(passed, message) of one gradekit check for the code cells this kernel has run."""
    import contextlib
    import hashlib
    import io
    import os
    import sys
    import tempfile
    import warnings

    from IPython import get_ipython

    config = globals().get("_GRADEKIT") or {}
    exercise, options, timeout = config.get("exercise"), config.get("options", []), config.get("timeout", 120)
    shell = get_ipython()
    if shell is None:
        return False, "run this notebook in a Jupyter kernel: the tests grade the code cells it ran"
    marker = "# gradekit-nbgrader test cell"
    cells = [c for c in shell.history_manager.input_hist_raw if c.strip() and marker not in c]
    python = os.environ.get("GRADEKIT_PYTHON") or sys.executable
    key = hashlib.sha256("\0".join([python, *cells]).encode()).hexdigest()
    cache = globals().setdefault("_gradekit_reports", {})
    if key not in cache:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), \
                tempfile.TemporaryDirectory(prefix="gradekit-") as tmp:
            warnings.simplefilter("ignore")
            report = _gradekit_run(python, cells, tmp, exercise, options, timeout)
        cache.clear()
        cache[key] = report
    report = cache[key]
    if "error" in report:
        return False, "gradekit could not grade this notebook: " + str(report["error"])
    if summary:
        _gradekit_summary(report, exercise)
    rendered = report.get("rendered") or {}
    for c in report["checks"]:
        if isinstance(c, dict) and c.get("name") == check:
            head = f"{c.get('label')} [{c.get('score')}/{c.get('max_score')}]"
            if check in (rendered.get("hidden") or []) and os.environ.get("NBGRADER_EXECUTION") != "autograde":
                print("HIDDEN", c.get("label"), "- graded after the due date")  # autograding grades it
                return True, head
            if c.get("passed"):
                print("PASS", head)
                return True, head
            why = (rendered.get("checks") or {}).get(check, c.get("feedback") or "")
            if c.get("status") == "skipped":
                return False, f"NOT CHECKED {head}: the code did not load (see the first test cell)\n{why}"
            return False, f"FAIL {head}\n{why}"
    return False, f"gradekit reported no check {check!r}: this notebook is from another version of the exercise"


def _gradekit_run(python, cells, tmp, exercise, options, timeout):
    """The JSON report of `python -m graders grade` on the cells, written as a notebook in `tmp`."""
    import json
    import os
    import subprocess

    path = os.path.join(tmp, "submission.ipynb")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
            for c in cells]}, fh)
    command = [python, "-m", "graders", "grade", path, "--exercise", exercise, "--json", *options]
    try:
        done = subprocess.run(command, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        report = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        return {"error": f"the grader did not finish within {timeout} s"}
    except OSError as exc:
        return {"error": f"cannot start {python} ({exc.strerror})"}
    except ValueError:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        if "No module named graders" in done.stderr:
            return {"error": "gradekit is not installed in this kernel's Python; your instructor's autograder runs "
                             "these tests"}
        if last.startswith("gradekit: error:"):
            return {"error": last}
        return {"error": f"the grader failed (exit status {done.returncode})"}
    if not isinstance(report, dict) or not isinstance(report.get("checks", []), list):
        return {"error": "the grader sent an unreadable report"}
    return report


def _gradekit_summary(report, exercise):
    summary = (report.get("rendered") or {}).get("summary")
    if summary:  # the same summary as every other format: score, mistakes with their evidence, rubric
        print(summary)
        return
    print(f"gradekit: {report.get('score')}/{report.get('max_score')} for {exercise}")
    for d in report.get("diagnosis_details") or []:
        detail = d.get("detail") or ""
        print(f"- [{d.get('code')}] {d.get('message')}" + (f" ({detail})" if detail else ""))
    ce = report.get("counterexample")
    if ce:
        print(f"Smallest failing input: {ce.get('call')}\n  expected: {ce.get('expected')}\n"
              f"  got:      {ce.get('actual')}")
