"""Plain text (terminals) and Markdown (feedback files), rendered from a report's data form."""

from __future__ import annotations

from graders.engine.results import PASSED

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}
OUTPUT_PREVIEW = 2000


def check_feedback_text(check) -> str:
    """The feedback of one CheckResult as text (the JSON `feedback` field)."""
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


def render_text(data: dict, *, markdown: bool = False) -> str:
    head = (lambda s: f"## {s}") if markdown else (lambda s: f"{s}:")
    title = f"{data['exercise']}: {data['score']}/{data['max_score']}"
    out = [f"# {title}" if markdown else title, ""]
    if data["diagnosis_details"]:
        out.append(head("What went wrong"))
        for d in data["diagnosis_details"]:
            detail = f" ({d['detail']})" if d["detail"] and d["detail"] not in d["message"] else ""
            out.append(f"- [{d['code']}] {d['message']}{detail}")
        out.append("")
    ce = data.get("counterexample")
    if ce:
        out.append(head("Smallest failing input"))
        lines = [ce["call"], f"expected: {ce['expected']}", f"got:      {ce['actual']}"]
        out += ["```", *lines, "```"] if markdown else ["  " + line for line in lines]
        if ce.get("explanation"):
            out.append(f"({ce['explanation']})" if markdown else f"  ({ce['explanation']})")
        out.append("")
    out.append(head("Checks"))
    for c in data["checks"]:
        mark = MARKS.get(c["status"], "ERROR")
        out.append(f"- **{mark}** {c['label']} [{c['score']}/{c['max_score']}]" if markdown
                   else f"  {mark:5} {c['label']}  [{c['score']}/{c['max_score']}]")
        if c["status"] != PASSED and c["feedback"]:
            indent = "    " if markdown else "          "
            out += [indent + line for line in c["feedback"].splitlines()]
    output = data.get("output") or {}
    for name in ("stdout", "stderr"):
        total, text = output.get(f"{name}_bytes", 0), output.get(name, "")
        if total:
            shown = text[:OUTPUT_PREVIEW]
            more = f" (showing {len(shown)} of {total} bytes)" if total > len(shown) else ""
            out += ["", f"Your code printed to {name}{more}:"]
            body = shown.rstrip().splitlines()[:30]
            out += ["```", *body, "```"] if markdown else ["  " + line for line in body]
    if data.get("cases_digest"):
        out += ["", f"(seed {data['seed']}, cases {data['cases_digest']}, {data['generator']}, sandbox: {data['sandbox']})"]
    return "\n".join(out) + "\n"
