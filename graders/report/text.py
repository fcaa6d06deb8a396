"""Plain text (terminals) and Markdown (feedback files), rendered from a report's data form.

Every string taken from the data passes through graders.report.safe on its way out: in text, controls and
invisible characters become visible escapes and learner lines are indented under the renderer's own; in
Markdown, learner text is either inside a fence no content can close (md_fence) or escaped inline (md_text).
"""

from __future__ import annotations

from graders.engine.results import PASSED
from graders.report.safe import for_terminal, md_fence, md_text, one_line

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}
OUTPUT_PREVIEW = 2000


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
        lines.append(f"Smallest failing input: {ce.call}: expected {ce.expected}, got {ce.actual}")
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


def render_text(data: dict, *, markdown: bool = False) -> str:
    inline = md_text if markdown else one_line  # engine words and learner text that must stay on one line
    head = (lambda s: f"## {s}") if markdown else (lambda s: f"{s}:")
    title = f"{inline(data['exercise'])}: {inline(data['score'])}/{inline(data['max_score'])}"
    out = [f"# {title}" if markdown else title, ""]
    if data.get("sandbox_note"):  # said first: what this grade is worth
        out += [f"{'**Warning:**' if markdown else 'WARNING:'} {inline(data['sandbox_note'])}", ""]
    if data["diagnosis_details"]:
        out.append(head("What went wrong"))
        for d in data["diagnosis_details"]:
            show_detail = d["detail"] and d["detail"] not in d["message"]
            if markdown:
                detail = f" ({md_text(d['detail'])})" if show_detail else ""
                out.append(f"- [{md_text(d['code'])}] {md_text(d['message'])}{detail}")
            else:
                detail = f" ({for_terminal(d['detail'])})" if show_detail else ""
                out += _indented(f"{for_terminal(d['message'])}{detail}", f"- [{one_line(d['code'])}] ", "    ")
        out.append("")
    ce = data.get("counterexample")
    if ce:
        out.append(head("Smallest failing input"))
        lines = [for_terminal(ce["call"]), f"expected: {for_terminal(ce['expected'])}",
                 f"got:      {for_terminal(ce['actual'])}"]
        if markdown:
            out.append(md_fence("\n".join(lines)))
        else:
            out += _indented("\n".join(lines), "  ")
        if ce.get("explanation"):
            out += [f"({md_text(ce['explanation'])})"] if markdown else _indented(f"({for_terminal(ce['explanation'])})", "  ")
        out.append("")
    out.append(head("Checks"))
    for c in data["checks"]:
        mark = MARKS.get(c["status"], "ERROR")
        points = f"[{inline(c['score'])}/{inline(c['max_score'])}]"
        out.append(f"- **{mark}** {md_text(c['label'])} {points}" if markdown
                   else f"  {mark:5} {one_line(c['label'])}  {points}")
        if c["status"] != PASSED and c["feedback"]:
            if markdown:
                out += _nested(md_fence(c["feedback"]), "  ")
            else:
                out += _indented(for_terminal(c["feedback"]), " " * 10)
    output = data.get("output") or {}
    for name in ("stdout", "stderr"):
        total, text = output.get(f"{name}_bytes", 0), output.get(name) or ""
        if total:
            shown = text[:OUTPUT_PREVIEW]
            more = f" (showing {len(shown)} of {inline(total)} bytes)" if total > len(shown) else ""
            out += ["", f"Your code printed to {name}{more}:"]
            shown_text = for_terminal(shown).rstrip()
            body = shown_text.split("\n")[:30] if shown_text else []
            out += [md_fence("\n".join(body))] if markdown else ["  " + line for line in body]
    if data.get("cases_digest"):
        out += ["", f"(seed {inline(data['seed'])}, cases {inline(data['cases_digest'])}, {inline(data['generator'])}, "
                    f"sandbox: {inline(data['sandbox'])})"]
    return "\n".join(out) + "\n"
