"""LMS bulk downloads in, LMS grades out.

In: the zip Canvas ("Download Submissions") or Moodle ("Download all submissions") hands out, read
directly, never extracted as it is:

- Canvas names each file ``<sortable name>[_late]_<user id>_<attachment id>_<file name>`` (a resubmitted
  file's name gets ``-1``, ``-2``, ...); the attachment id grows with every upload.
- Moodle puts each participant's files in ``<Full Name>_<participant id>_assignsubmission_file_/`` (older
  versions: flat files ``<Full Name>_<participant id>_assignsubmission_file_<file name>``); online text is
  ``..._assignsubmission_onlinetext_/onlinetext.html``.

Identity comes from the LMS naming (the user or participant id, never the file name), so a learner who
renamed or resubmitted a file is still one learner: the latest code file counts (Canvas: the highest
attachment id; Moodle: the newest time stamp), and the others are listed, as are members that are not a
learner's code. Members are copied out one by one, by name, with a size limit: no path of the zip is
trusted, no link is made, a file over the size limit is never read past it.

Out: the grades in the format the LMS imports: a Canvas gradebook CSV (matched on the ID column) and a Moodle
grading worksheet (matched on the Identifier column).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from graders.store import learner_key, write_atomic
from graders.submission import MAX_NOTEBOOK_BYTES, SUFFIXES, is_junk

# Canvas writes the prefix: the name (Unicode letters kept; anonymous grading: anon_<id>), then the ids. The
# first match wins, so a learner's own file name ("x_1002_5009_y.py") cannot move the file to someone else.
CANVAS = re.compile(r"^(?P<name>.+?)(?P<late>_late)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$",
                    re.IGNORECASE | re.DOTALL)
CANVAS_TEXT = re.compile(r"^(?P<name>.+?)(?P<late>_late)?_(?P<user>\d+)_(?P<file>text\.html|link\.html)$",
                         re.IGNORECASE | re.DOTALL)  # an online text or URL entry: no attachment id
# Moodle writes "Full Name_<id>_assignsubmission_<plugin>_": names hold no underscore (Moodle writes spaces),
# so the first match is Moodle's, never one inside the learner's own file name.
MOODLE = re.compile(r"^(?P<name>[^_/]+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$", re.DOTALL)
RESUBMITTED = re.compile(r"(?:-\d+| \(\d+\))(?=\.[^.]+$)")  # a re-uploaded file's suffix: Canvas -1, browsers (1)
MAX_MEMBERS = 20_000
ROSTER = "lms.json"


class LmsError(ValueError):
    """The zip is not an LMS download gradekit can read (one line for the user)."""


@dataclass
class LmsFile:
    member: str  # the zip member's name
    file: str  # the file name as the learner uploaded it
    order: tuple  # larger is newer
    modified: str  # ISO time stamp from the zip, for the worksheet


@dataclass
class LmsLearner:
    lms: str
    user_id: str
    name: str  # as the LMS wrote it (Canvas: the sortable name, e.g. doejane)
    late: bool | None = None  # Canvas marks it; Moodle's download does not say
    files: list[LmsFile] = field(default_factory=list)

    @property
    def learner(self) -> str:
        """The identity in grades.csv and the results store (one download): the name and the LMS id."""
        return f"{self.name}_{self.user_id}"


@dataclass
class LmsDownload:
    lms: str  # "canvas" | "moodle"
    learners: dict[str, LmsLearner]  # by user id
    ignored: list[dict]  # {"member", "reason"}: not a learner's code file


def is_lms_zip(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".zip"


def read_download(path: Path) -> LmsDownload:
    """The learners of a Canvas or Moodle download and their files; LmsError when it is neither."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise LmsError(f"{path}: not a readable zip ({exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise LmsError(f"{path}: {len(infos)} files; an LMS download of one assignment holds far fewer")
    moodle = sum(1 for i in infos if MOODLE.match(_top(i.filename)))
    canvas = sum(1 for i in infos if "/" not in i.filename.strip("/")
                 and (CANVAS.match(i.filename) or CANVAS_TEXT.match(i.filename)))
    if not moodle and not canvas:
        raise LmsError(f"{path}: neither a Canvas nor a Moodle submissions download (no member is named like "
                       "name_userid_attachmentid_file or Full Name_id_assignsubmission_file_)")
    return _read_moodle(infos) if moodle >= canvas else _read_canvas(infos)


def _top(name: str) -> str:
    return name.split("/", 1)[0]


def _stamp(info: zipfile.ZipInfo) -> tuple[tuple, str]:
    try:
        moment = datetime(*info.date_time)
    except ValueError:
        return (0,), ""
    return tuple(info.date_time), moment.isoformat(timespec="minutes")


def _read_canvas(infos) -> LmsDownload:
    learners: dict[str, LmsLearner] = {}
    ignored = []
    for info in infos:
        flat = "/" not in info.filename.strip("/")
        match = (CANVAS_TEXT.match(info.filename) or CANVAS.match(info.filename)) if flat else None
        if match is None:
            ignored.append({"member": info.filename, "reason": "not named like a Canvas submission"})
            continue
        learner = learners.setdefault(match["user"], LmsLearner("canvas", match["user"], match["name"]))
        learner.late = bool(learner.late) or bool(match["late"])
        _, modified = _stamp(info)
        attachment = int(match["attachment"]) if "attachment" in match.groupdict() else 0
        learner.files.append(LmsFile(info.filename, match["file"], (attachment,), modified))
    return LmsDownload("canvas", learners, ignored)


def _read_moodle(infos) -> LmsDownload:
    learners: dict[str, LmsLearner] = {}
    ignored = []
    for info in infos:
        match = MOODLE.match(_top(info.filename))
        if match is None:
            ignored.append({"member": info.filename, "reason": "not named like a Moodle submission"})
            continue
        inside = info.filename.split("/", 1)[1] if "/" in info.filename else match["rest"]
        learner = learners.setdefault(match["user"], LmsLearner("moodle", match["user"], match["name"].strip()))
        if match["plugin"] != "file":
            ignored.append({"member": info.filename, "reason": f"{match['plugin']} submission, not a file"})
            continue
        order, modified = _stamp(info)
        learner.files.append(LmsFile(info.filename, inside.rsplit("/", 1)[-1], order, modified))
    return LmsDownload("moodle", learners, ignored)


def code_files(learner: LmsLearner, wanted=None) -> list[LmsFile]:
    """The learner's code files (.py, .ipynb) that ``wanted(file_name)`` accepts, newest first."""
    files = [f for f in learner.files if Path(f.file).suffix.lower() in SUFFIXES and not is_junk(f.file)
             and (wanted is None or wanted(RESUBMITTED.sub("", f.file)))]
    return sorted(files, key=lambda f: f.order, reverse=True)


def extract_latest(download: LmsDownload, zip_path: Path, dest: Path, wanted=None, rank=None,
                   identity=None) -> dict[str, dict]:
    """Copy each learner's file that counts to ``dest/<key>/<file>``: among the code files ``wanted``
    accepts, the best by ``rank(file name, text)`` (e.g. named after the exercise, or defining its
    function: a test file uploaded with the solution does not count), then the newest. The learner's
    record (identity, late flag, the file that counts, the others, an unreadable member's error), by
    ``identity(learner, download)`` (default: the name and the LMS id). No code file: ``path`` None."""
    records = {}
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for learner in download.learners.values():
            who = identity(learner, download) if identity else learner.learner
            files = code_files(learner, wanted)
            if rank is not None and len(files) > 1:
                files.sort(key=lambda f: (rank(RESUBMITTED.sub("", f.file), _peek(archive, f.member)), f.order),
                           reverse=True)
            record = {"learner": who, "lms": learner.lms, "user_id": learner.user_id,
                      "name": learner.name, "late": learner.late, "path": None, "file": None, "modified": "",
                      "error": "", "superseded": [f.file for f in files[1:]],
                      "other_files": [f.file for f in learner.files if f not in files]}
            if files:
                chosen = files[0]
                target = dest / learner_key(who) / _safe_file_name(chosen.file)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    _copy_member(archive, chosen.member, target)
                except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError) as exc:
                    record.update(file=chosen.file, error=f"{chosen.file} cannot be read from the LMS download "
                                                          f"({type(exc).__name__}: {exc})")
                else:
                    record.update(path=str(target), file=chosen.file, modified=chosen.modified)
            records[who] = record
    return records


def _peek(archive: zipfile.ZipFile, member: str, size: int = 1 << 18) -> str:
    """The start of a member as text, for ranking (an unreadable member ranks as empty)."""
    try:
        with archive.open(member) as src:
            return src.read(size).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError):
        return ""


def _safe_file_name(name: str) -> str:
    """The uploaded file's name without any directory part, Canvas's resubmission suffix, or a leading
    dot: it only has to keep its suffix (the grader reads .py or .ipynb)."""
    base = RESUBMITTED.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    stem, suffix = Path(base).stem or "submission", Path(base).suffix.lower()
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem)[:100] + suffix


def _copy_member(archive: zipfile.ZipFile, member: str, target: Path) -> None:
    """At most MAX_NOTEBOOK_BYTES + 1 bytes (grading then refuses anything over its own limit)."""
    with archive.open(member) as src, open(target, "wb") as out:
        remaining = MAX_NOTEBOOK_BYTES + 1
        while remaining > 0:
            chunk = src.read(min(1 << 20, remaining))
            if not chunk:
                break
            out.write(chunk)
            remaining -= len(chunk)


def save_roster(out: Path, records: dict[str, dict], download: LmsDownload) -> None:
    write_atomic(out / ROSTER, json.dumps({"lms": download.lms, "learners": records, "ignored": download.ignored},
                                          indent=1, ensure_ascii=False))


def load_roster(out: Path) -> dict | None:
    try:
        data = json.loads((out / ROSTER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("learners"), dict) else None


# ------------------------------------------------------------------------------------------ grades out
def canvas_gradebook(rows: list[dict], roster: dict, column: str) -> str:
    """A Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then the assignment's
    column (Canvas matches learners on ID; a column named "Title (assignment id)" updates that assignment,
    any other name creates one), with the "Points Possible" row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
    maximum = rows[0]["max_score"] if rows else ""
    writer.writerow(["    Points Possible", "", "", "", "", maximum])
    for row in rows:
        record = roster["learners"].get(row["learner"])
        if record is None:
            continue
        writer.writerow([_cell(record["name"]), record["user_id"], "", "", "", row["score"]])
    return buffer.getvalue()


def moodle_worksheet(rows: list[dict], roster: dict, feedback: dict[str, str], graded_at: str = "") -> str:
    """A Moodle grading worksheet (Assignment > Upload grading worksheet), matched on Identifier.
    "Last modified (grade)" is when gradekit graded (Moodle skips a row whose grade changed after it)."""
    graded_at = graded_at or datetime.now().strftime("%Y-%m-%d %H:%M")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                     "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                     "Feedback comments"])
    for row in rows:
        record = roster["learners"].get(row["learner"])
        if record is None:
            continue
        status = "Submitted for grading" if record.get("path") else "No submission"
        writer.writerow([f"Participant {record['user_id']}", _cell(record["name"]), "", status, row["score"],
                         row["max_score"], "Yes", record.get("modified") or "", graded_at,
                         _cell(feedback.get(row["learner"], ""))])
    return buffer.getvalue()


def _cell(value: str) -> str:
    from graders.report.classbook import csv_cell

    return csv_cell(value)


def roster_dict(record) -> dict:
    return asdict(record)


class CourseIdentity:
    """One learner across several downloads of one course: Canvas's user id is the same in every
    assignment (the first name seen for it is kept); Moodle's participant id is not (it is per assignment),
    so a Moodle learner is their full name, with the id added only where two participants share a name."""

    def __init__(self):
        self.by_user: dict[str, str] = {}

    def __call__(self, learner: LmsLearner, download: LmsDownload) -> str:
        if learner.lms == "canvas":
            return self.by_user.setdefault(learner.user_id, learner.learner)
        same = sum(1 for other in download.learners.values() if other.name == learner.name)
        return learner.name if same == 1 else learner.learner
