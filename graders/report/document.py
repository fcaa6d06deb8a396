"""One learner's feedback as a document every format renders the same way (text, Markdown, HTML, and
through them nbgrader, Gradescope and PrairieLearn): the summary first (the score, each named mistake with
its evidence, the rubric items applied), then the checks, where a failing check shows its one failing call
and never a line the page already shows. Built from a report's data form (graders/report/data.py), so
saved results render too. Nothing here is neutralised: each renderer does that for its own format
(graders/report/safe.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

OUTPUT_PREVIEW = 2000
OUTPUT_LINES = 30
EVIDENCE_INTRO = "Smallest input on which this mistake alone changes the result:"
TRACE_INTRO = "The correct computation on it, step by step:"
CHANGED_NOTE = "this mistake changes this step"
CHANGED_MARK = "<- " + CHANGED_NOTE
COUNTEREXAMPLE_INTRO = "Smallest failing input:"
SKIPPED_NOTE = "SKIP: not checked, because the first check failed; see what went wrong, above."
CHECK_MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}


@dataclass
class Step:
    label: str
    value: str
    changed: bool


@dataclass
class Evidence:
    call: str
    expected: str
    actual: str
    steps: list[Step]


@dataclass
class Mistake:
    code: str
    message: str
    detail: str  # "" when the message already says it
    evidence: Evidence | None = None


@dataclass
class CheckLine:
    name: str
    label: str
    status: str  # passed | failed | skipped | error
    score: object
    max_score: object
    lines: list[str] = field(default_factory=list)  # what this check adds to the page; empty for most

    @property
    def mark(self) -> str:
        return CHECK_MARKS.get(self.status, "ERROR")


@dataclass
class Document:
    exercise: str
    score: object
    max_score: object
    warning: str
    mistakes: list[Mistake]
    counterexample: Evidence | None  # the smallest failing input, shown only when no mistake has evidence
    counterexample_note: str
    rubric: list[dict]
    scoring_note: str  # how the score was reached, when not the plain sum of the checks
    checks: list[CheckLine]
    skipped_note: str
    visibility_note: str  # checks held back until the due date (graders/report/visibility.py)
    outputs: list[tuple[str, int, str]]  # (stdout | stderr, bytes written, preview)
    footer: str

    @property
    def title(self) -> str:
        return f"{self.exercise}: {self.score}/{self.max_score}"


def document(data: dict) -> Document:
    mistakes = [_mistake(d) for d in data.get("diagnosis_details") or []]
    counterexample, note = None, ""
    ce = data.get("counterexample")
    if isinstance(ce, dict) and not any(m.evidence for m in mistakes):
        counterexample = Evidence(str(ce.get("call", "")), str(ce.get("expected", "")), str(ce.get("actual", "")), [])
        note = str(ce.get("explanation") or "")
    shown_calls = {m.evidence.call for m in mistakes if m.evidence}
    if counterexample:
        shown_calls.add(counterexample.call)
    shown_lines = {m.message for m in mistakes}
    checks = [_check(c, shown_lines, shown_calls) for c in data.get("checks") or [] if isinstance(c, dict)]
    footer = ""
    if data.get("cases_digest"):
        footer = (f"seed {data.get('seed')}, cases {data.get('cases_digest')}, {data.get('generator')}, "
                  f"sandbox: {data.get('sandbox')}")
    return Document(exercise=str(data.get("exercise")), score=data.get("score"), max_score=data.get("max_score"),
                    warning=str(data.get("sandbox_note") or ""), mistakes=mistakes, counterexample=counterexample,
                    counterexample_note=note, rubric=[r for r in data.get("rubric") or [] if isinstance(r, dict)],
                    scoring_note=_scoring_note(data),
                    checks=checks, skipped_note=SKIPPED_NOTE if any(c.status == "skipped" for c in checks) else "",
                    visibility_note=" ".join(str(data.get(k) or "") for k in ("visibility_note", "output_note")).strip(),
                    outputs=_outputs(data.get("output") or {}), footer=footer)


def evidence_lines(evidence: Evidence, intro: str) -> list[str]:
    """The evidence as plain lines: the call, the correct computation step by step with the changed step
    marked, and what was expected next to what the learner's function gave."""
    lines = [intro, "  " + evidence.call]
    if evidence.steps:
        width = max(len(s.label) for s in evidence.steps)
        lines.append(TRACE_INTRO)
        for s in evidence.steps:
            lines.append(f"{'>' if s.changed else ' '} {s.label.ljust(width)} = {s.value}"
                         + (f"   {CHANGED_MARK}" if s.changed else ""))
    lines += [f"expected:      {evidence.expected}", f"your function: {evidence.actual}"]
    return lines


def rubric_line(item: dict) -> str:
    return f"-{item.get('deduction')}  {item.get('code')}"


def _scoring_note(data: dict) -> str:
    if data.get("scoring") == "rubric":
        return (f"Rubric scoring: {data.get('max_score')} points minus the rubric items of the mistakes named above "
                f"(the checks alone would give {data.get('check_score')}).")
    return str(data.get("scoring_note") or "")


def _outputs(output: dict) -> list[tuple[str, int, str]]:
    outputs = []
    for name in ("stdout", "stderr"):
        total = output.get(f"{name}_bytes") or 0
        if total:
            text = str(output.get(name) or "")[:OUTPUT_PREVIEW].rstrip()
            outputs.append((name, total, "\n".join(text.split("\n")[:OUTPUT_LINES])))
    return outputs


def _mistake(d: dict) -> Mistake:
    message, detail = str(d.get("message") or ""), str(d.get("detail") or "")
    if detail and detail in message:
        detail = ""
    evidence = None
    e = d.get("evidence")
    if isinstance(e, dict):
        steps = [Step(str(s.get("label", "")), str(s.get("value", "")), bool(s.get("changed")))
                 for s in e.get("trace") or [] if isinstance(s, dict)]
        evidence = Evidence(str(e.get("call", "")), str(e.get("expected", "")), str(e.get("actual", "")), steps)
    return Mistake(str(d.get("code") or ""), message, detail, evidence)


def _check(c: dict, shown_lines: set[str], shown_calls: set[str]) -> CheckLine:
    """A check's line, and the feedback lines it adds: none when it passed or was skipped (the first check
    says why), and otherwise only the lines the page does not already show (a diagnosis message, the
    evidence's call, an earlier check's identical reason or traceback)."""
    line = CheckLine(str(c.get("name", "")), str(c.get("label", "")), str(c.get("status", "error")),
                     c.get("score"), c.get("max_score"))
    if line.status in ("passed", "skipped"):
        return line
    details = c.get("details") if isinstance(c.get("details"), dict) else {}
    call = details.get("call") or ""
    for i, text in enumerate(str(c.get("feedback") or "").split("\n")):
        if text.startswith(COUNTEREXAMPLE_INTRO) or (text.strip() and text in shown_lines):
            continue
        if i == 0 and call and call in shown_calls:
            continue  # the summary shows this very call, with expected and actual
        line.lines.append(text)
        if text.strip():
            shown_lines.add(text)
    while line.lines and not line.lines[-1].strip():
        line.lines.pop()
    while line.lines and not line.lines[0].strip():
        line.lines.pop(0)
    return line
