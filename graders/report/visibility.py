"""What learners see before the deadline, per check: everything (``all``, the default), the result without
the failing case (``result``), or nothing until after the due date (``after_due``).

With unlimited resubmissions, showing the failing call of every hidden case lets a learner harvest the fixed
case set over many tries. A restricted check keeps its result (or, before the due date, hides even that),
and then nothing on the learner's page shows a generated case: no counterexample, no failing call in a
diagnosis (the evidence of a named mistake stays: it is an input shrunk for that mistake, shown to teach it).

Applied to learner outputs only (feedback files, Gradescope, PrairieLearn, the nbgrader cells); the
instructor's report.json, class and course pages keep everything. Declared per check
(``agreement(..., visibility="result")``, ``@check(points=2, visibility="after_due")``) or set per run with
``--visibility NAME=LEVEL[,NAME=LEVEL]`` and ``--due`` (ISO date and time).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from graders.engine.checks import VISIBILITY_LEVELS

LEVELS = VISIBILITY_LEVELS
RESULT_ONLY = "The failing case is not shown before the due date."
AFTER_DUE = "{count} check(s) worth {points} point(s) are shown after the due date{due}."
GENERATED_INPUT = "a generated input"
OUTPUT_HIDDEN = "What your code printed is not shown before the due date (it can show the generated inputs)."


class VisibilityError(ValueError):
    """A bad visibility setting: one line naming it."""


@dataclass(frozen=True)
class Visibility:
    overrides: dict[str, str] = field(default_factory=dict)  # check name -> level, over the declared ones
    due: datetime | None = None

    def level(self, check: dict) -> str:
        return self.overrides.get(check.get("name", ""), check.get("visibility") or "all")

    def restricts(self, checks) -> bool:
        """Does any of these checks (a report's check dicts, or Check objects) show learners less than all?"""
        return any(self.level(c if isinstance(c, dict) else {"name": c.name, "visibility": c.visibility}) != "all"
                   for c in checks)

    def released(self, now: datetime | None = None) -> bool:
        if self.due is None:
            return False
        now = now or datetime.now(self.due.tzinfo)
        return now >= self.due

    def effective(self, check: dict, now: datetime | None = None) -> str:
        level = self.level(check)
        return "all" if level != "all" and self.released(now) else level

    def to_dict(self) -> dict:
        return {"overrides": dict(self.overrides), "due": self.due.isoformat() if self.due else None}

    @classmethod
    def from_dict(cls, data: dict | None) -> Visibility:
        data = data or {}
        due = data.get("due")
        return cls(dict(data.get("overrides") or {}), datetime.fromisoformat(due) if due else None)


DEFAULT = Visibility()


def parse_levels(text: str | None, check_names) -> dict[str, str]:
    """``NAME=LEVEL[,NAME=LEVEL]`` (``*`` for every check) -> overrides; VisibilityError naming the bad part."""
    out: dict[str, str] = {}
    names = list(check_names)
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        name, sep, level = part.partition("=")
        name, level = name.strip(), level.strip()
        if not sep or level not in LEVELS:
            raise VisibilityError(f"--visibility {part!r}: write CHECK=LEVEL with LEVEL one of {', '.join(LEVELS)}")
        if name == "*":
            out.update(dict.fromkeys(names, level))
        elif name in names:
            out[name] = level
        else:
            raise VisibilityError(f"--visibility {part!r}: no check {name!r} (checks: {', '.join(names)})")
    return out


def parse_due(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        due = datetime.fromisoformat(text)
    except ValueError:
        raise VisibilityError(f"--due {text!r}: write an ISO date and time, e.g. 2026-12-15T23:59") from None
    # without a zone it is this machine's local time, kept with its offset: a grading container elsewhere
    # (PrairieLearn, Gradescope: often UTC) must not read it in its own zone
    return due if due.tzinfo else due.astimezone()


def learner_view(data: dict, visibility: Visibility = DEFAULT, now: datetime | None = None) -> dict:
    """A copy of a report's data form as the learner may see it now."""
    levels = [visibility.effective(c, now) for c in data.get("checks") or []]
    if all(level == "all" for level in levels):
        return data
    view = copy.deepcopy(data)
    shown, hidden = [], []
    for check, level in zip(view["checks"], levels):
        if level == "after_due":
            hidden.append(check)
            continue
        if level == "result":
            check["feedback"] = "" if check.get("status") == "passed" else RESULT_ONLY
            check["details"] = None
        shown.append(check)
    view["checks"] = shown
    view["counterexample"] = None
    view["worst_error"] = ""
    # what the code printed may show the generated inputs it was called with
    output = view.get("output") or {}
    if output.get("stdout_bytes") or output.get("stderr_bytes"):
        view["output"] = {"stdout": "", "stderr": "", "stdout_bytes": 0, "stderr_bytes": 0}
        view["output_note"] = OUTPUT_HIDDEN
    function = _function_of(view)
    for d in view.get("diagnosis_details") or []:
        d["message"], d["detail"] = scrub_calls(d.get("message", ""), function), scrub_calls(d.get("detail", ""), function)
    if hidden:
        if view.get("scoring") != "rubric":
            view["score"] = sum(c.get("score") or 0 for c in shown)
            view["max_score"] = sum(c.get("max_score") or 0 for c in shown)
        due = f" ({visibility.due.isoformat(sep=' ', timespec='minutes')})" if visibility.due else ""
        note = AFTER_DUE.format(count=len(hidden), points=sum(c.get("max_score") or 0 for c in hidden), due=due)
        view["visibility_note"] = note
    return view


def _function_of(data: dict) -> str:
    """The learner's function name, read from a check's call (``f(x=...)``), for scrubbing calls."""
    for check in data.get("checks") or []:
        call = (check.get("details") or {}).get("call") if isinstance(check.get("details"), dict) else ""
        if call and "(" in call:
            return call.split("(", 1)[0]
    return ""


def scrub_calls(text: str, function: str = "") -> str:
    """``text`` with every call ``name(arg=...)`` of the learner's function (balanced parentheses and
    brackets) replaced by "a generated input"; any ``word(x=[`` style call when the name is unknown."""
    if not text:
        return text
    out, i = [], 0
    while i < len(text):
        start = _call_start(text, i, function)
        if start < 0:
            out.append(text[i:])
            break
        end = _matching(text, text.index("(", start))
        if end < 0:
            out.append(text[i:])
            break
        out.append(text[i:start] + GENERATED_INPUT)
        i = end + 1
    return "".join(out)


def _call_start(text: str, i: int, function: str) -> int:
    import re

    name = re.escape(function) if function else r"[A-Za-z_]\w*"
    match = re.compile(rf"\b{name}\([A-Za-z_]\w*=").search(text, i)
    return match.start() if match else -1


def _matching(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        ch = text[j]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return j
    return -1
