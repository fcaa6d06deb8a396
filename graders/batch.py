"""Grading a whole class: parallel, resumable, with bounded memory, and no learner lost or confused.

Every entry of the class directory gets exactly one row, or is listed as skipped with its reason (hidden
files and tool leftovers such as __pycache__, and files that are not .py or .ipynb). Each learner's result
is written atomically to OUT/results/<key>.json as soon as it is graded (with the learner's identity and
the content hash of what was graded), so an interrupted batch resumes where it stopped and an unchanged
submission is not regraded. <key> is graders.store.learner_key(identity): one-to-one, so two learners
never share a file (not even on a case-insensitive file system). The gradebook, the feedback files and the
class summary are then rebuilt by streaming those files, never holding every report in memory; a result
that is missing, unreadable or recorded for another identity is regraded, never dropped or misattributed.

Symbolic links are never followed: a linked entry is a row with code not_a_regular_file. A learner with
two entries (bob.py and bob.ipynb, or bob.py and bob/) gets one row with code ambiguous_submission and score
0 that names both: the batch does not guess which one the learner meant, and nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import multiprocessing.util
import os
import stat
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from graders.engine.kind import Exercise
from graders.engine.messages import QUIZ_STRUCTURAL
from graders.lms import is_lms_zip
from graders.sandbox.launcher import Limits, Sandbox
from graders.sandbox.warm import WarmSandboxes
from graders.store import (  # noqa: F401 - learner_from_key, load_result, result_path are re-exported
    GRADER_ERROR,
    RESULTS,
    UNREADABLE,
    empty_result,
    grader_error_result,
    iter_result_rows,
    iter_results,
    learner_from_key,
    learner_key,
    load_result,
    result_path,
    unreadable_result,
    write_atomic,
    write_feedback,
    write_result,
)
from graders.submission import (
    JUNK_NAMES,
    SUFFIXES,
    NotARegularFile,
    Submission,
    SubmissionError,
    SubmissionTooLarge,
    is_junk,
    load,
)

AMBIGUOUS = "ambiguous_submission"
NOT_REGULAR = "not_a_regular_file"
TOO_LARGE = "too_large"
SKIP_HIDDEN = "hidden (the name starts with a dot)"
SKIP_JUNK = "left by the operating system or a tool, not a submission"
SKIP_NOT_CODE = "not a .py or .ipynb file"


@dataclass(frozen=True)
class Entry:
    """One learner's row. `problem` is a diagnosis code for a row that is not graded (ambiguous_submission),
    with `message` for the learner; `path` is then the first of the learner's entries."""

    learner: str
    path: Path
    problem: str | None = None
    message: str = ""

    @property
    def key(self) -> str:
        return learner_key(self.learner)


@dataclass(frozen=True)
class SkippedEntry:
    """An entry of the class directory that is not a submission (no row), and why."""

    entry: str
    reason: str

    def to_dict(self) -> dict:
        return {"entry": self.entry, "reason": self.reason}


@dataclass(frozen=True)
class ClassDirectory:
    entries: list[Entry]
    skipped: list[SkippedEntry] = field(default_factory=list)


class BatchError(ValueError):
    """The batch cannot start (a missing directory, an output inside the input, ...)."""


def discover(directory: Path) -> list[Entry]:
    """One entry per learner (see scan_class); the skipped entries are left out."""
    return scan_class(directory).entries


def scan_class(directory: Path) -> ClassDirectory:
    """Every entry of the class directory is a learner's row or a skipped entry with its reason.

    A learner submits <learner>.py, <learner>.ipynb, or a folder <learner>/ (nbgrader's
    submitted/<learner>/<assignment>/ layout included); `_alice.py` is a learner. Skipped (and listed):
    names starting with a dot, known tool leftovers (JUNK_NAMES), and entries that are neither a folder nor
    a .py/.ipynb file. Nothing is opened here: a symbolic link named like a submission (or pointing to a
    folder: only its target's type is looked up) is a row that grading refuses as not_a_regular_file, and
    two entries of one learner (bob.py and bob.ipynb, bob.py and bob/) make one ambiguous_submission row."""
    directory = Path(directory)
    if not directory.exists():
        raise BatchError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise BatchError(f"{directory}: not a directory")
    nbgrader = directory / "submitted"
    if nbgrader.is_dir() and not nbgrader.is_symlink():
        directory = nbgrader
    try:
        with os.scandir(directory) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise BatchError(f"{directory}: cannot be read ({exc.strerror})") from None
    found: dict[str, list[Path]] = {}
    skipped = []
    for child in children:
        name, path = child.name, Path(child.path)
        learner = None
        if is_junk(name):
            skipped.append(SkippedEntry(name, SKIP_JUNK if name in JUNK_NAMES else SKIP_HIDDEN))
            continue
        try:
            mode = child.stat(follow_symlinks=False).st_mode
        except OSError as exc:
            skipped.append(SkippedEntry(name, f"cannot be read ({exc.strerror})"))
            continue
        if stat.S_ISDIR(mode):
            learner = name
        elif path.suffix in SUFFIXES and path.stem:
            learner = path.stem  # a regular file, or a link / FIFO / device that grading will refuse
        elif stat.S_ISLNK(mode) and _points_to_directory(path):
            learner = name
        if learner is None:
            reason = SKIP_NOT_CODE if stat.S_ISREG(mode) else f"{SKIP_NOT_CODE} ({_kind(mode)})"
            skipped.append(SkippedEntry(name, reason))
            continue
        found.setdefault(learner, []).append(path)
    entries = []
    for learner, paths in found.items():
        if len(paths) == 1:
            entries.append(Entry(learner, paths[0]))
        else:
            names = ", ".join(p.name for p in paths[:-1]) + f" and {paths[-1].name}"
            entries.append(Entry(learner, paths[0], AMBIGUOUS,
                                 f"You submitted more than one entry ({names}), so none of them was graded: "
                                 "keep only the one to grade and submit again."))
    entries.sort(key=lambda e: e.learner)
    return ClassDirectory(entries, skipped)


def _points_to_directory(link: Path) -> bool:
    """Whether a symbolic link's target is a folder (its metadata only: nothing is opened)."""
    try:
        return stat.S_ISDIR(os.stat(link).st_mode)
    except (OSError, ValueError):
        return False


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def safe_name(learner: str) -> str:
    """Deprecated name of learner_key."""
    return learner_key(learner)


def content_hash(exercise: Exercise, source: str | None, error: str | None, path: Path | str = "") -> str:
    """Identifies what was graded; an unreadable submission's error is hashed without its location,
    so that a copied or moved class directory is still recognised as unchanged."""
    h = hashlib.sha256(f"{exercise.name}\0{exercise.fingerprint}\0".encode())
    if source is None and path:
        error = (error or "").replace(str(path), "<submission>")
    h.update((source if source is not None else f"unreadable:{error}").encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# --------------------------------------------------------------------------------- per-process state
_STATE: dict = {}


def _init_worker(exercise_name: str, scoring: str, limits: Limits, isolation: str, visibility,
                 warm: WarmSandboxes | None = None) -> None:
    from graders import exercises
    from graders.engine.scoring import with_scoring

    _STATE["exercise"] = with_scoring(exercises.get(exercise_name), scoring)
    _STATE["visibility"] = visibility
    adopted = warm.adopt() if warm is not None else None
    _STATE["sandbox"] = sandbox = adopted or Sandbox(limits=limits, isolation=isolation)
    # Pool processes leave through multiprocessing's exit hook, not atexit: stop the worker there.
    multiprocessing.util.Finalize(None, sandbox.stop, exitpriority=10)


def read_submission(exercise: Exercise, path: Path | str) -> tuple[Submission | None, SubmissionError | None, str]:
    """(submission, None, digest) for a readable submission, (None, the error, digest) otherwise; never
    raises for anything a learner can submit."""
    try:
        submission = load(Path(path), Path(exercise.stub).stem)
    except SubmissionError as exc:
        return None, exc, content_hash(exercise, None, str(exc), str(path))
    return submission, None, content_hash(exercise, submission.source, None)


def expected_digest(exercise: Exercise, entry: Entry) -> str:
    """The content hash a current result for this entry carries."""
    if entry.problem:
        return content_hash(exercise, None, f"{entry.problem}: {entry.message}")
    return read_submission(exercise, entry.path)[2]


def _grade_one(learner: str, path: str, out_dir: str) -> dict:
    """Runs in a pool process: grade, write the result file, return a small summary."""
    from graders.engine.grading import grade_source
    from graders.report.data import report_dict

    exercise: Exercise = _STATE["exercise"]
    sandbox: Sandbox = _STATE["sandbox"]
    submission, error, digest = read_submission(exercise, path)
    if submission is None:
        data = refused_result(exercise, error)
    else:
        try:
            report = grade_source(exercise, submission.source, sandbox=sandbox, submission=str(submission.path))
            data = report_dict(report)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the batch
            sandbox.stop()
            data = grader_error_result(exercise, f"{type(exc).__name__}: {exc}")
    data.update(learner=learner, path=path, content_hash=digest)
    write_feedback(Path(out_dir), data, _STATE.get("visibility"))
    write_result(Path(out_dir), data)
    return {"learner": learner, "score": data["score"], "diagnoses": data["diagnoses"]}


def _grade_chunk(items: list[tuple[str, str]], out_dir: str) -> list:
    """Runs in a pool process: several learners per task (fewer trips through the pool's queues and threads).
    Each learner's summary, or the exception that stopped its grading: one never loses the others."""
    done: list = []
    for learner, path in items:
        try:
            done.append(_grade_one(learner, path, out_dir))
        except Exception as exc:  # noqa: BLE001 - reported for this learner alone
            done.append(exc if _picklable(exc) else RuntimeError(f"{type(exc).__name__}: {exc}"))
    return done


def _picklable(exc: Exception) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return True
    except Exception:  # noqa: BLE001
        return False


def too_large_message(size: int, limit: int) -> str:
    """The engine's sentence for code too_large (graders/engine/messages.py)."""
    return QUIZ_STRUCTURAL["too_large"].format(size=size, limit=limit)


def refused_result(exercise: Exercise, error: SubmissionError) -> dict:
    """The row of a submission that was not run: too_large, not_a_regular_file or unreadable."""
    if isinstance(error, SubmissionTooLarge):
        return empty_result(exercise, TOO_LARGE, too_large_message(error.size, error.limit))
    if isinstance(error, NotARegularFile):
        return empty_result(exercise, NOT_REGULAR, str(error))
    return unreadable_result(exercise, str(error))


def problem_result(exercise: Exercise, entry: Entry) -> dict:
    """The row of an entry that discovery already refused (ambiguous_submission)."""
    data = empty_result(exercise, entry.problem, entry.message)
    data.update(learner=entry.learner, path=str(entry.path), content_hash=expected_digest(exercise, entry))
    return data


# ---------------------------------------------------------------------------------------------- run
@dataclass(frozen=True)
class BatchSummary:
    """`graded`: rows written by this run; `unchanged`: rows whose saved result was current; `total`: rows
    (one per learner); `skipped`: entries of the class directory that are not submissions, with reasons
    (also in summary.json and index.html)."""

    graded: int
    unchanged: int
    total: int
    elapsed: float
    skipped: list[SkippedEntry] = field(default_factory=list)


def is_current(out: Path, entry: Entry, exercise: Exercise) -> bool:
    """True when a trustworthy result exists for exactly this submission content (resume / skip-unchanged).
    Never raises: whatever is in the results folder or the class directory, False means "grade it again".
    A result that records a grader_error is never current, so a rerun retries it."""
    try:
        saved = load_result(out, entry.learner)
        if saved is None or GRADER_ERROR in saved["diagnoses"]:
            return False
        return saved["content_hash"] == expected_digest(exercise, entry)
    except Exception:  # noqa: BLE001 - anything unexpected means: regrade
        return False


def prepare(exercise: Exercise) -> None:
    """Compute what every submission shares once (cases, expected outputs, catalog variants), and check the
    exercise's declaration, before forking workers."""
    exercise.prepare()
    exercise.validate()


def run_batch(directory: Path, exercise: Exercise, out: Path, *, jobs: int, limits: Limits, isolation: str,
              force: bool = False, progress=None, visibility=None, warm: WarmSandboxes | None = None) -> BatchSummary:
    """Grade a class directory, or the zip an LMS hands out (graders/lms.py), into ``out`` (``warm``:
    sandboxes already booting for the grading processes; the caller closes them)."""
    out_resolved, dir_resolved = Path(out).resolve(), Path(directory).resolve()
    if out_resolved == dir_resolved or dir_resolved in out_resolved.parents:
        raise BatchError(f"--out {out} is inside the submissions directory {directory}; choose another place")
    if is_lms_zip(Path(directory)):
        found, roster = lms_class(Path(directory), exercise, Path(out))
    else:
        found, roster = scan_class(directory), None
    summary = grade_class(found, exercise, Path(out), jobs=jobs, limits=limits, isolation=isolation, force=force,
                          progress=progress, columns=lms_columns(roster), visibility=visibility, warm=warm)
    if roster is not None:
        write_lms_grades(Path(out), exercise, found.entries, roster, visibility)
    return summary


def grade_class(found: ClassDirectory, exercise: Exercise, out: Path, *, jobs: int, limits: Limits, isolation: str,
                force: bool = False, progress=None, columns: dict | None = None, visibility=None,
                warm: WarmSandboxes | None = None) -> BatchSummary:
    """Grade the entries (resuming, skipping unchanged ones) and write the class outputs. ``columns``:
    extra grades.csv columns, learner -> {column: value}; ``visibility``: what learners' feedback files
    show (graders/report/visibility.py; the instructor's outputs keep everything); ``warm``: sandboxes
    already booting for the grading processes (else they are launched here, to boot while the exercise
    is prepared)."""
    started = time.monotonic()
    entries = found.entries
    (out / RESULTS).mkdir(parents=True, exist_ok=True)
    todo = [e for e in entries if force or not is_current(out, e, exercise)]
    refused = [e for e in todo if e.problem]
    to_grade = [e for e in todo if not e.problem]
    for entry in refused:  # nothing to run: written here
        data = problem_result(exercise, entry)
        write_feedback(out, data, visibility)
        write_result(out, data)
    if progress:
        progress(0, len(to_grade))
    if to_grade:
        jobs = max(1, min(jobs, len(to_grade)))
        boot = 0 if warm or not exercise.runs_code else jobs
        with WarmSandboxes(boot, limits=limits, isolation=isolation) as own:
            prepare(exercise)
            _run_pool(to_grade, exercise, out, jobs=jobs, limits=limits, isolation=isolation, progress=progress,
                      visibility=visibility, warm=warm or own)
    from graders.report.classbook import write_class_outputs

    write_class_outputs(exercise, entries, out, skipped=found.skipped, columns=columns, visibility=visibility,
                        fresh=frozenset(e.learner for e in todo))
    return BatchSummary(len(todo), len(entries) - len(todo), len(entries), time.monotonic() - started,
                        list(found.skipped))


# ------------------------------------------------------------------------------------------ LMS zips
NOT_SUBMITTED = "not_submitted"
NOT_SUBMITTED_MESSAGE = "Not submitted: no .py or .ipynb file for this exercise was found in your submission."
LMS_FILES = "lms_files"


def lms_class(zip_path: Path, exercise: Exercise, out: Path, wanted=None, identity=None) -> tuple[ClassDirectory, dict]:
    """A class directory read from an LMS download: one row per LMS identity (the file that counts: named
    after the exercise, else defining its function, else the newest; none: a not_submitted row), the other
    and ignored files listed as skipped entries."""
    from graders.lms import LmsError, extract_latest, load_roster, read_download, save_roster

    try:
        download = read_download(zip_path)
    except LmsError as exc:
        raise BatchError(str(exc)) from None
    stem = Path(exercise.stub).stem

    def rank(name: str, text: str) -> tuple[bool, bool]:
        return Path(name).stem == stem, exercise.declared_in(text) or f"def {exercise.function}(" in text

    records = extract_latest(download, zip_path, out / LMS_FILES / exercise.name, wanted, rank, identity)
    save_roster(out, records, download)
    entries, skipped = [], []
    for learner, record in sorted(records.items()):
        if record["path"]:
            entries.append(Entry(learner, Path(record["path"])))
        elif record["error"]:
            entries.append(Entry(learner, out / LMS_FILES / exercise.name, UNREADABLE,
                                 f"Your submission could not be read: {record['error']}"))
        else:
            entries.append(Entry(learner, out / LMS_FILES / exercise.name, NOT_SUBMITTED, NOT_SUBMITTED_MESSAGE))
        skipped += [SkippedEntry(f"{learner}: {name}", "another upload: one file counts (see the learner's row)")
                    for name in record["superseded"]]
        skipped += [SkippedEntry(f"{learner}: {name}", "not a .py or .ipynb file for this exercise")
                    for name in record["other_files"]]
    skipped += [SkippedEntry(item["member"], item["reason"]) for item in download.ignored]
    return ClassDirectory(entries, skipped), load_roster(out)


def lms_columns(roster: dict | None) -> dict | None:
    if roster is None:
        return None
    return {learner: {"late": "yes" if record.get("late") else ("no" if record.get("late") is False else ""),
                      "lms_id": record["user_id"]} for learner, record in roster["learners"].items()}


def write_lms_grades(out: Path, exercise: Exercise, entries: list[Entry], roster: dict, visibility=None) -> Path:
    """canvas_grades.csv (a Canvas gradebook import) or moodle_grades.csv (a Moodle grading worksheet): what
    learners may see (the worksheet's feedback follows the visibility settings); a grader error leaves the
    grade empty rather than exporting a 0."""
    from graders.lms import canvas_gradebook, moodle_worksheet
    from graders.report.visibility import learner_view

    rows, feedback = [], {}
    for data in iter_results(entries, out, exercise):
        failed = GRADER_ERROR in data["diagnoses"]
        rows.append({"learner": data["learner"], "score": "" if failed else data["score"], "max_score": data["max_score"]})
        view = learner_view(data, visibility) if visibility is not None else data
        named = "; ".join(f"[{d.get('code')}] {d.get('message')}" + (f" ({d['detail']})" if d.get("detail") else "")
                          for d in view.get("diagnosis_details") or [])
        feedback[data["learner"]] = f"{view['score']}/{view['max_score']}" + (f": {named}" if named else "")
    if roster["lms"] == "canvas":
        target = out / "canvas_grades.csv"
        write_atomic(target, canvas_gradebook(rows, roster, f"{exercise.title} ({exercise.name})"))
    else:
        target = out / "moodle_grades.csv"
        write_atomic(target, moodle_worksheet(rows, roster, feedback))
    return target


POOL_LOST = "the grading process stopped while grading this submission"
POOL_DEAD = "the grading processes stop before grading anything"


def _run_pool(todo: list[Entry], exercise: Exercise, out: Path, *, jobs, limits, isolation, progress,
              visibility=None, warm: WarmSandboxes | None = None) -> None:
    """Grade `todo` in a pool of processes. A pool process that dies (it never runs learner code, so this
    is rare) loses what it held: that is retried one submission at a time, so one bad submission cannot
    break the rest again; the one a lone process died on is a grader_error row (retried by the next run).
    When pools keep dying before grading anything (a worker that cannot start), every remaining learner
    gets a grader_error row instead of the batch retrying forever."""
    import multiprocessing

    position = {e.learner: i for i, e in enumerate(todo)}
    pending = list(reversed(todo))
    done = stalled = 0
    context = multiprocessing.get_context("fork")

    def finish(entry: Entry, why: str | None = None) -> None:
        nonlocal done
        if why is not None:
            record_failure(exercise, entry, out, BrokenProcessPool(why))
        done += 1
        if progress:
            progress(done, done + len(pending) + sum(map(len, running.values())) + len(lost))

    while pending:
        completed, lost, running = 0, [], {}
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context, initializer=_init_worker,
                                 initargs=(exercise.name, exercise.scoring, limits, isolation, visibility, warm)) as pool:
            while (pending or running) and not lost:
                while pending and sum(map(len, running.values())) < jobs * 4:
                    chunk = [pending.pop() for _ in range(chunk_size(len(pending), jobs))]
                    try:
                        items = [(e.learner, str(e.path)) for e in chunk]
                        running[pool.submit(_grade_chunk, items, str(out))] = chunk
                    except BrokenProcessPool:  # the pool broke while it was being filled
                        lost.extend(chunk)
                        break
                if lost:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    chunk = running.pop(future)
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        lost.extend(chunk)
                        continue
                    except Exception as exc:  # noqa: BLE001 - the task failed (its reply): keep what it graded
                        results = [None if is_current(out, e, exercise) else exc for e in chunk]
                    for entry, result in zip(chunk, results):
                        if isinstance(result, BaseException):
                            record_failure(exercise, entry, out, result)
                        completed += 1
                        finish(entry)
        if warm is not None:  # adopted by this pool's processes, which have ended: a new pool boots its own
            warm.close()
            warm = None
        if not lost:
            continue
        lost = sorted([*lost, *(e for chunk in running.values() for e in chunk)], key=lambda e: position[e.learner])
        running = {}
        stalled = 0 if completed else stalled + 1
        if jobs == 1:
            finish(lost.pop(0), POOL_LOST)
        if stalled >= 3:
            pending, remaining = [], [*lost, *reversed(pending)]
            lost = []
            for entry in remaining:
                finish(entry, POOL_DEAD)
            return
        pending.extend(reversed(lost))
        lost, jobs = [], 1


CHUNK = 4  # learners per pool task at most


def chunk_size(pending: int, jobs: int) -> int:
    """Learners per pool task: several while plenty are waiting, one near the end (no process idles while
    another works through a chunk) and with one process, which must know which learner it died on."""
    return 1 if jobs == 1 else max(1, min(CHUNK, pending // (jobs * 4)))


def record_failure(exercise: Exercise, entry: Entry, out: Path, exc: BaseException) -> None:
    data = grader_error_result(exercise, f"{type(exc).__name__}: {exc}")
    data.update(learner=entry.learner, path=str(entry.path), content_hash="")
    write_feedback(out, data)
    write_result(out, data)


class Progress:
    """A one-line progress bar on a terminal; silent otherwise (CI, pipes)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up when used: sys.stderr may have been replaced
        self.enabled = self.stream.isatty()
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
