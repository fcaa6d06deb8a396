"""HTML pages: a learner's feedback and the instructor's class overview. Everything is escaped."""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
.passed{color:#176117}.failed,.error{color:#a11}.skipped{color:#777}code,pre{background:#f4f4f4}
pre{padding:.5rem;overflow-x:auto}.code{font-family:monospace}
"""


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")


def feedback_html(data: dict) -> str:
    parts = [f"<h1>{escape(data['exercise'])}: {data['score']}/{data['max_score']}</h1>"]
    if data["diagnosis_details"]:
        parts.append("<h2>What went wrong</h2><ul>")
        for d in data["diagnosis_details"]:
            detail = f" <em>({escape(d['detail'])})</em>" if d["detail"] and d["detail"] not in d["message"] else ""
            parts.append(f"<li><span class='code'>[{escape(d['code'])}]</span> {escape(d['message'])}{detail}</li>")
        parts.append("</ul>")
    ce = data.get("counterexample")
    if ce:
        parts.append("<h2>Smallest failing input</h2><pre>" + escape(
            f"{ce['call']}\nexpected: {ce['expected']}\ngot:      {ce['actual']}") + "</pre>")
        if ce.get("explanation"):
            parts.append(f"<p>{escape(ce['explanation'])}</p>")
    parts.append("<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>points</th><th>feedback</th></tr>")
    for c in data["checks"]:
        parts.append(f"<tr><td>{escape(c['label'])}</td><td class='{escape(c['status'])}'>{escape(c['status'])}</td>"
                     f"<td>{c['score']}/{c['max_score']}</td><td><pre>{escape(c['feedback'] or '')}</pre></td></tr>")
    parts.append("</table>")
    output = data.get("output") or {}
    for name in ("stdout", "stderr"):
        if output.get(f"{name}_bytes"):
            parts.append(f"<h3>Your code printed to {name} ({output[f'{name}_bytes']} bytes)</h3>"
                         f"<pre>{escape(output.get(name, '')[:2000])}</pre>")
    return page(f"{data['exercise']} feedback", "".join(parts))
