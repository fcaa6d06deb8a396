"""HTML pages: a learner's feedback and the instructor's class overview. Everything taken from a report's
data passes through graders.report.safe.for_html: HTML-escaped (content and quoted attributes alike), with
controls, bidi overrides and other invisible characters shown as visible escapes."""

from __future__ import annotations

from graders.report.safe import for_html

STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
.passed{color:#176117}.failed,.error{color:#a11}.skipped{color:#777}code,pre{background:#f4f4f4}
pre{padding:.5rem;overflow-x:auto}.code{font-family:monospace}
"""
STATUSES = ("passed", "failed", "skipped", "error")
OUTPUT_PREVIEW = 2000


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{for_html(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")


def feedback_html(data: dict) -> str:
    e = for_html
    parts = [f"<h1>{e(data['exercise'])}: {e(data['score'])}/{e(data['max_score'])}</h1>"]
    if data.get("sandbox_note"):
        parts.append(f"<p class='warning'><strong>Warning:</strong> {e(data['sandbox_note'])}</p>")
    if data["diagnosis_details"]:
        parts.append("<h2>What went wrong</h2><ul>")
        for d in data["diagnosis_details"]:
            detail = f" <em>({e(d['detail'])})</em>" if d["detail"] and d["detail"] not in d["message"] else ""
            parts.append(f"<li><span class='code'>[{e(d['code'])}]</span> {e(d['message'])}{detail}</li>")
        parts.append("</ul>")
    ce = data.get("counterexample")
    if ce:
        parts.append("<h2>Smallest failing input</h2><pre>" + e(
            f"{ce['call']}\nexpected: {ce['expected']}\ngot:      {ce['actual']}") + "</pre>")
        if ce.get("explanation"):
            parts.append(f"<p>{e(ce['explanation'])}</p>")
    parts.append("<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>points</th><th>feedback</th></tr>")
    for c in data["checks"]:
        status = c["status"] if c["status"] in STATUSES else "error"  # a class name the stylesheet knows
        parts.append(f"<tr><td>{e(c['label'])}</td><td class='{status}'>{e(c['status'])}</td>"
                     f"<td>{e(c['score'])}/{e(c['max_score'])}</td><td><pre>{e(c['feedback'])}</pre></td></tr>")
    parts.append("</table>")
    output = data.get("output") or {}
    for name in ("stdout", "stderr"):
        if output.get(f"{name}_bytes"):
            parts.append(f"<h3>Your code printed to {name} ({e(output[f'{name}_bytes'])} bytes)</h3>"
                         f"<pre>{e((output.get(name) or '')[:OUTPUT_PREVIEW])}</pre>")
    return page(f"{data['exercise']} feedback", "".join(parts))
