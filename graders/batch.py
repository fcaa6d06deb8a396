"""Grading a whole class: parallel, resumable, with bounded memory.

Each learner's result is written atomically to OUT/results/<learner>.json as soon as it is graded
(with the content hash of what was graded), so an interrupted batch resumes where it stopped and an
unchanged submission is not regraded. The gradebook, the feedback files and the class summary are
then rebuilt by streaming those files, never holding every report in memory.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing.util
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from graders.engine.exercise import Exercise
from graders.sandbox.launcher import Limits, Sandbox
from graders.submission import SUFFIXES, SubmissionError, load

RESULTS = "results"
SAFE_ID = re.compile(r"[^A-Za-z0-9._@+-]")


@dataclass(frozen=True)
class Entry:
    learner: str
    path: Path


class BatchError(ValueError):
    """The batch cannot start (a missing directory, an output inside the input, ...)."""


def discover(directory: Path) -> list[Entry]:
    """One entry per learner: <learner>.py, <learner>.ipynb, or a folder <learner>/ (nbgrader's
    submitted/<learner>/<assignment>/ layout included)."""
    if not directory.exists():
        raise BatchError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise BatchError(f"{directory}: not a directory")
    if (directory / "submitted").is_dir():
        directory = directory / "submitted"
    entries = []
    for child in sorted(directory.iterdir()):
        if child.name.startswith((".", "_")):
            continue
        if child.is_file() and child.suffix in SUFFIXES:
            entries.append(Entry(child.stem, child))
        elif child.is_dir():
            entries.append(Entry(child.name, child))
    seen: dict[str, Path] = {}
    for e in entries:
        if e.learner in seen:
            raise BatchError(f"learner {e.learner!r} has two submissions: {seen[e.learner].name} and {e.path.name}")
        seen[e.learner] = e.path
    return entries


def safe_name(learner: str) -> str:
    return SAFE_ID.sub("_", learner) or "_"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def content_hash(exercise: Exercise, source: str | None, error: str | None, path: Path | str = "") -> str:
    """Identifies what was graded; an unreadable submission's error is hashed without its location,
    so that a copied or moved class directory is still recognised as unchanged."""
    h = hashlib.sha256(f"{exercise.name}\0{exercise.fingerprint}\0".encode())
    if source is None and path:
        error = (error or "").replace(str(path), "<submission>")
    h.update((source if source is not None else f"unreadable:{error}").encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------- per-process state
_STATE: dict = {}


def _init_worker(exercise_name: str, limits: Limits, isolation: str) -> None:
    from graders import exercises

    _STATE["exercise"] = exercises.get(exercise_name)
    _STATE["sandbox"] = sandbox = Sandbox(limits=limits, isolation=isolation)
    # Pool processes leave through multiprocessing's exit hook, not atexit: stop the worker there.
    multiprocessing.util.Finalize(None, sandbox.stop, exitpriority=10)


def _grade_one(learner: str, path: str, out_dir: str) -> dict:
    """Runs in a pool process: grade, write the result file, return a small summary."""
    from graders.engine.grade import grade_source
    from graders.report.data import report_dict

    exercise: Exercise = _STATE["exercise"]
    sandbox: Sandbox = _STATE["sandbox"]
    try:
        submission = load(Path(path), Path(exercise.stub).stem)
        source, error = submission.source, None
    except SubmissionError as exc:
        source, error = None, str(exc)
    digest = content_hash(exercise, source, error, path)
    if source is None:
        data = unreadable_result(exercise, error)
    else:
        try:
            report = grade_source(exercise, source, sandbox=sandbox, submission=str(submission.path))
            data = report_dict(report)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the batch
            sandbox.stop()
            data = grader_error_result(exercise, f"{type(exc).__name__}: {exc}")
    data.update(learner=learner, path=path, content_hash=digest)
    write_feedback(Path(out_dir), data)
    write_atomic(Path(out_dir) / RESULTS / f"{safe_name(learner)}.json", json.dumps(data, indent=1))
    return {"learner": learner, "score": data["score"], "diagnoses": data["diagnoses"]}


def write_feedback(out: Path, data: dict) -> None:
    """feedback/<learner>.md and .html: what the learner reads (written next to the result)."""
    from graders.report.html import feedback_html
    from graders.report.text import render_text

    name = safe_name(data["learner"])
    write_atomic(out / "feedback" / f"{name}.md", render_text(data, markdown=True))
    write_atomic(out / "feedback" / f"{name}.html", feedback_html(data))


def unreadable_result(exercise: Exercise, error: str) -> dict:
    return empty_result(exercise, "unreadable", f"Your submission could not be read: {error}")


def grader_error_result(exercise: Exercise, error: str) -> dict:
    return empty_result(exercise, "grader_error", f"The grader failed on this submission ({error}); ask your instructor.")


def empty_result(exercise: Exercise, code: str, message: str) -> dict:
    return {
        "exercise": exercise.name, "version": exercise.version, "submission": "", "score": 0,
        "max_score": exercise.max_score, "diagnoses": [code],
        "diagnosis_details": [{"code": code, "message": message, "detail": ""}],
        "checks": [{"name": c.name, "label": c.label, "score": 0, "max_score": c.points, "passed": False,
                    "status": "failed" if i == 0 else "skipped", "feedback": message if i == 0 else "", "details": None}
                   for i, c in enumerate(exercise.checks)],
        "counterexample": None, "worst_error": "", "seed": exercise.seed, "cases_digest": "", "generator": "",
        "sandbox": "", "output": {"stdout": "", "stderr": "", "stdout_bytes": 0, "stderr_bytes": 0}, "elapsed": 0.0,
    }


# ---------------------------------------------------------------------------------------------- run
@dataclass(frozen=True)
class BatchSummary:
    graded: int
    skipped: int
    total: int
    elapsed: float


def is_current(out: Path, entry: Entry, exercise: Exercise) -> bool:
    """True when a result exists for exactly this submission content (resume / skip-unchanged)."""
    result = out / RESULTS / f"{safe_name(entry.learner)}.json"
    if not result.exists():
        return False
    try:
        saved = json.loads(result.read_text(encoding="utf-8")).get("content_hash")
    except (OSError, ValueError):
        return False
    try:
        submission = load(entry.path, Path(exercise.stub).stem)
        digest = content_hash(exercise, submission.source, None)
    except SubmissionError as exc:
        digest = content_hash(exercise, None, str(exc), entry.path)
    return saved == digest


def prepare(exercise: Exercise) -> None:
    """Compute the shared cases, expected outputs and variant tables once, before forking workers."""
    from graders.engine.compare import reference_data
    from graders.engine.diagnose import variant_table

    if exercise.grade_hook is not None:
        return
    reference_data(exercise)
    for size in range(min(2, exercise.max_combination) + 1):
        variant_table(exercise, size)


def run_batch(directory: Path, exercise: Exercise, out: Path, *, jobs: int, limits: Limits, isolation: str,
              force: bool = False, progress=None) -> BatchSummary:
    started = time.monotonic()
    entries = discover(directory)
    out_resolved, dir_resolved = out.resolve(), directory.resolve()
    if out_resolved == dir_resolved or dir_resolved in out_resolved.parents:
        raise BatchError(f"--out {out} is inside the submissions directory {directory}; choose another place")
    (out / RESULTS).mkdir(parents=True, exist_ok=True)
    todo = [e for e in entries if force or not is_current(out, e, exercise)]
    skipped = len(entries) - len(todo)
    if progress:
        progress(0, len(todo))
    if todo:
        prepare(exercise)
        _run_pool(todo, exercise, out, jobs=jobs, limits=limits, isolation=isolation, progress=progress)
    from graders.report.classbook import write_class_outputs

    write_class_outputs(exercise, entries, out)
    return BatchSummary(len(todo), skipped, len(entries), time.monotonic() - started)


def _run_pool(todo: list[Entry], exercise: Exercise, out: Path, *, jobs, limits, isolation, progress) -> None:
    import multiprocessing

    pending = list(reversed(todo))
    done = 0
    context = multiprocessing.get_context("fork")
    while pending:
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context, initializer=_init_worker,
                                 initargs=(exercise.name, limits, isolation)) as pool:
            running = {}
            broken = False
            while (pending or running) and not broken:
                while pending and len(running) < jobs * 4:
                    entry = pending.pop()
                    running[pool.submit(_grade_one, entry.learner, str(entry.path), str(out))] = entry
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    entry = running.pop(future)
                    try:
                        future.result()
                    except BrokenProcessPool:
                        broken = True
                        pending.append(entry)
                        continue
                    except Exception as exc:  # noqa: BLE001
                        record_failure(exercise, entry, out, exc)
                    done += 1
                    if progress:
                        progress(done, done + len(pending) + len(running))
            if broken:
                # a pool process died (it never runs learner code, so this is rare): retry what it held,
                # grading each remaining submission alone so one bad one cannot break the rest again
                pending.extend(running.values())
                jobs = 1


def record_failure(exercise: Exercise, entry: Entry, out: Path, exc: BaseException) -> None:
    data = grader_error_result(exercise, f"{type(exc).__name__}: {exc}")
    data.update(learner=entry.learner, path=str(entry.path), content_hash="")
    write_feedback(out, data)
    write_atomic(out / RESULTS / f"{safe_name(entry.learner)}.json", json.dumps(data, indent=1))


def iter_results(entries: list[Entry], out: Path) -> Iterator[dict]:
    """Stream saved results in learner order (one in memory at a time)."""
    for e in entries:
        path = out / RESULTS / f"{safe_name(e.learner)}.json"
        try:
            yield json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


class Progress:
    """A one-line progress bar on a terminal; silent otherwise (CI, pipes)."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        width = 30
        filled = int(width * done / total)
        rate = done / max(time.monotonic() - self.started, 1e-9)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:.0f}/s ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
