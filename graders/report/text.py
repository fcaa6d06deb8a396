"""Plain-text rendering for terminals and for per-learner feedback files (Markdown-compatible)."""

from __future__ import annotations

from graders.engine.results import FAILED, PASSED, SKIPPED, CheckResult, GradeReport

MARKS = {PASSED: "PASS", FAILED: "FAIL", SKIPPED: "SKIP"}
OUTPUT_PREVIEW = 2000


def check_feedback_text(check: CheckResult) -> str:
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


def render_text(report: GradeReport, *, markdown: bool = False) -> str:
    title = f"{report.exercise}: {report.score}/{report.max_score}"
    out = [f"# {title}" if markdown else title, ""]
    if report.diagnoses:
        out.append("## What went wrong" if markdown else "What went wrong:")
        for d in report.diagnoses:
            detail = f" ({d.detail})" if d.detail and d.detail not in d.message else ""
            out.append(f"- [{d.code}] {d.message}{detail}")
        out.append("")
    if report.counterexample is not None:
        ce = report.counterexample
        out.append("## Smallest failing input" if markdown else "Smallest failing input:")
        block = [f"  {ce.call}", f"  expected: {ce.expected}", f"  got:      {ce.actual}"]
        out += (["```"] + [b.strip() if i == 0 else b for i, b in enumerate(block)] + ["```"]) if markdown else block
        if ce.explanation:
            out.append(f"  ({ce.explanation})")
        out.append("")
    out.append("## Checks" if markdown else "Checks:")
    for c in report.checks:
        mark = MARKS.get(c.status, "ERROR")
        out.append(f"- {mark} {c.label} [{c.score}/{c.max_score}]" if markdown else f"  {mark:5} {c.label}  [{c.score}/{c.max_score}]")
        if c.status != PASSED and c.feedback is not None:
            for line in check_feedback_text(c).splitlines():
                out.append(("    " if markdown else "          ") + line)
    for name, text, total in (("stdout", report.output.stdout, report.output.stdout_bytes),
                              ("stderr", report.output.stderr, report.output.stderr_bytes)):
        if total:
            shown = text[:OUTPUT_PREVIEW]
            more = f" (showing {len(shown)} of {total} bytes)" if total > len(shown) else ""
            out += ["", f"Your code printed to {name}{more}:"]
            out += ["```", shown.rstrip(), "```"] if markdown else ["  " + line for line in shown.rstrip().splitlines()[:30]]
    out += ["", f"(seed {report.seed}, cases {report.cases_digest}, {report.generator}, sandbox: {report.sandbox})"]
    return "\n".join(out) + "\n"
