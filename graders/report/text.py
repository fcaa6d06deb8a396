"""Plain text (terminals) and Markdown (feedback files), rendered from a report's feedback document
(graders/report/document.py): the summary first, then the checks.

Every string taken from the data passes through graders.report.safe on its way out: in text, controls and
invisible characters become visible escapes and learner lines are indented under the renderer's own; in
Markdown, learner text is either inside a fence no content can close (md_fence) or escaped inline (md_text).
"""

from __future__ import annotations

from graders.report.document import (
    COUNTEREXAMPLE_INTRO,
    EVIDENCE_INTRO,
    Document,
    document,
    evidence_lines,
    rubric_line,
)
from graders.report.safe import for_terminal, md_fence, md_text, one_line


def check_feedback_text(check) -> str:
    """The feedback of one CheckResult as text (the JSON `feedback` field). Raw data: reporters neutralise it."""
    fb = check.feedback
    if fb is None:
        return ""
    lines = [fb.rationale]
    if fb.help:
        lines.append(fb.help)
    if fb.counterexample is not None and fb.counterexample.call != fb.call:
        ce = fb.counterexample
        lines.append(f"{COUNTEREXAMPLE_INTRO} {ce.call}: expected {ce.expected}, got {ce.actual}")
    return "\n".join(lines)


def _indented(text: str, first: str, rest: str | None = None) -> list[str]:
    """Terminal lines of (already neutralised) text: the first prefixed by `first`, every further line by
    `rest` (default: as many spaces), so no learner line starts at the left margin."""
    rest = " " * len(first) if rest is None else rest
    lines = text.split("\n")
    return [first + lines[0], *(rest + line for line in lines[1:])]


def _nested(block: str, indent: str) -> list[str]:
    """A Markdown block nested in a list item: every line indented (blank ones too), so no line leaves it."""
    return [indent + line for line in block.split("\n")]


class _Format:
    """What differs between text and Markdown: headings, inline text, blocks of learner-influenced lines."""

    def __init__(self, markdown: bool):
        self.markdown = markdown

    def inline(self, value) -> str:
        return md_text(value) if self.markdown else one_line(value)

    def heading(self, text: str) -> str:
        return f"## {text}" if self.markdown else f"{text}:"

    def block(self, lines: list[str], indent: str) -> list[str]:
        text = "\n".join(lines)
        if self.markdown:
            return _nested(md_fence(text), indent)
        return _indented(for_terminal(text), indent)


def summary_lines(doc: Document, *, markdown: bool = False) -> list[str]:
    """The summary: title, warning, each named mistake with its evidence, the smallest failing input when no
    mistake has evidence, and the rubric items applied."""
    f = _Format(markdown)
    out = [f"# {f.inline(doc.title)}" if markdown else one_line(doc.title), ""]
    if doc.warning:  # said first: what this grade is worth
        out += [f"{'**Warning:**' if markdown else 'WARNING:'} {f.inline(doc.warning)}", ""]
    if doc.mistakes:
        out.append(f.heading("What went wrong"))
        for m in doc.mistakes:
            out += _mistake_lines(f, m)
        out.append("")
    if doc.counterexample:
        out.append(f.heading("Smallest failing input"))
        ce = doc.counterexample
        out += f.block([ce.call, f"expected: {ce.expected}", f"got:      {ce.actual}"], "" if markdown else "  ")
        if doc.counterexample_note:
            out.append(f"({f.inline(doc.counterexample_note)})" if markdown else f"  ({one_line(doc.counterexample_note)})")
        out.append("")
    if doc.rubric:
        out.append(f.heading("Rubric items applied"))
        out += [f"- {f.inline(rubric_line(item))}" if markdown else f"  {one_line(rubric_line(item))}"
                for item in doc.rubric]
    if doc.scoring_note:
        out.append(f.inline(doc.scoring_note))
    if doc.rubric or doc.scoring_note:
        out.append("")
    return out


def _mistake_lines(f: _Format, m) -> list[str]:
    detail = f" ({m.detail})" if m.detail else ""
    if f.markdown:
        out = [f"- [{md_text(m.code)}] {md_text(m.message + detail)}"]
    else:
        out = _indented(for_terminal(m.message + detail), f"- [{one_line(m.code)}] ", "    ")
    if m.evidence:
        if f.markdown:
            out += ["", *_nested(md_fence("\n".join(evidence_lines(m.evidence, EVIDENCE_INTRO))), "  "), ""]
        else:
            out += f.block(evidence_lines(m.evidence, EVIDENCE_INTRO), "    ")
    return out


def check_lines(doc: Document, *, markdown: bool = False) -> list[str]:
    f = _Format(markdown)
    out = [f.heading("Checks")]
    for c in doc.checks:
        points = f"[{f.inline(c.score)}/{f.inline(c.max_score)}]"
        out.append(f"- **{c.mark}** {md_text(c.label)} {points}" if markdown
                   else f"  {c.mark:5} {one_line(c.label)}  {points}")
        if c.lines:
            out += f.block(c.lines, "  " if markdown else " " * 10)
    for note in (doc.skipped_note, doc.visibility_note):
        if note:
            out.append(f.inline(note) if markdown else f"  {one_line(note)}")
    return out


def tail_lines(doc: Document, *, markdown: bool = False) -> list[str]:
    f = _Format(markdown)
    out = []
    for name, total, preview in doc.outputs:
        more = f" (showing the start of {f.inline(total)} bytes)" if total > len(preview) else ""
        out += ["", f"Your code printed to {name}{more}:"]
        if preview:
            out += f.block(preview.split("\n"), "" if markdown else "  ")
    if doc.footer:
        out += ["", f"({f.inline(doc.footer)})"]
    return out


def render_text(data: dict, *, markdown: bool = False) -> str:
    doc = document(data)
    lines = summary_lines(doc, markdown=markdown) + check_lines(doc, markdown=markdown) + tail_lines(doc, markdown=markdown)
    return "\n".join(lines) + "\n"


def rendered(data: dict, visibility=None) -> dict:
    """The text renderings other tools show as they are (`grade --json`, for nbgrader's test cells), as
    the learner may see them now: the summary, what each check adds to it, and which checks are held back
    until the due date (graders/report/visibility.py)."""
    from graders.report.visibility import learner_view

    view = learner_view(data, visibility) if visibility is not None else data
    doc = document(view)
    shown = {c["name"] for c in view.get("checks") or []}
    return {"summary": "\n".join(summary_lines(doc)).rstrip() + "\n",
            "checks": {c.name: "\n".join(for_terminal(line) for line in c.lines) for c in doc.checks},
            "hidden": [c["name"] for c in data.get("checks") or [] if c["name"] not in shown],
            "text": render_text(view)}
