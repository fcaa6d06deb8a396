"""HTML pages: a learner's feedback and the instructor's class overview, readable from phone width up.
Everything taken from a report's data passes through graders.report.safe.for_html: HTML-escaped (content
and quoted attributes alike), with controls, bidi overrides and other invisible characters shown as
visible escapes. Long values wrap instead of widening the page."""

from __future__ import annotations

from graders.report.document import (
    CHANGED_NOTE,
    COUNTEREXAMPLE_INTRO,
    EVIDENCE_INTRO,
    TRACE_INTRO,
    Document,
    Evidence,
    document,
    rubric_line,
)
from graders.report.safe import for_html

STYLE = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:62rem;margin:0 auto;padding:1rem;
color:#1d1d1f;background:#fff}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:0}
code,pre,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem}
code,.code{overflow-wrap:anywhere}
pre{background:#f5f5f7;border:1px solid #ddd;border-radius:4px;padding:.5rem .75rem;margin:.4rem 0;
white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #d0d0d0;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f5f5f7;white-space:nowrap}.num{white-space:nowrap}td.code{min-width:9rem}
img,svg{max-width:100%;height:auto}
.score{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem 1rem}
.score .points{font-size:1.4rem;font-weight:600}
.bar{height:.5rem;background:#e6e6e6;border-radius:4px;overflow:hidden;margin:.25rem 0 1rem}
.bar span{display:block;height:100%;background:#2f7d32}
.warning{border-left:4px solid #b26a00;background:#fff6e5;padding:.5rem 1rem}
.mistake{border-left:4px solid #b3261e;background:#fdf6f5;padding:.5rem 1rem;margin:.75rem 0}
.mistake p{margin:.3rem 0}.detail{color:#555}
.trace td:first-child{width:40%}
.trace tr.changed{background:#fff0b3;font-weight:600}
.compare{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1rem .75rem;margin:.4rem 0}
.compare dt{font-weight:600}.compare dd{margin:0}
.checks{list-style:none;padding:0;margin:0}
.check{display:grid;grid-template-columns:4.2rem minmax(0,1fr) max-content;gap:.2rem .75rem;
padding:.45rem 0;border-bottom:1px solid #eee}
.check pre{grid-column:2/4;margin:.2rem 0 0}
.mark{font-size:.8rem;font-weight:700;text-align:center;border-radius:3px;padding:.1rem 0;align-self:start}
.passed .mark{background:#e4f3e4;color:#1b5e20}.failed .mark,.error .mark{background:#fbe3e1;color:#a4161a}
.skipped .mark{background:#ececec;color:#555}.points-cell{white-space:nowrap;color:#444}
footer{color:#666;font-size:.85rem;margin-top:2rem;overflow-wrap:anywhere}
@media (max-width:600px){body{padding:.6rem}.check{grid-template-columns:3.6rem minmax(0,1fr)}
.check .points-cell{grid-column:2}.check pre{grid-column:1/-1}.trace td:first-child{width:45%}}
"""
OUTPUT_PREVIEW = 2000


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{for_html(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")


def score_bar(score, max_score) -> str:
    try:
        share = max(0.0, min(1.0, float(score) / float(max_score)))
    except (TypeError, ValueError, ZeroDivisionError):
        share = 0.0
    return f"<div class='bar' aria-hidden='true'><span style='width:{share * 100:.1f}%'></span></div>"


def feedback_html(data: dict) -> str:
    doc = document(data)
    e = for_html
    parts = [f"<header><div class='score'><h1>{e(doc.exercise)}</h1><span class='points'>{e(doc.score)} / "
             f"{e(doc.max_score)} points</span></div>{score_bar(doc.score, doc.max_score)}</header><main>"]
    if doc.warning:
        parts.append(f"<p class='warning'><strong>Warning:</strong> {e(doc.warning)}</p>")
    parts += _summary(doc)
    parts.append("<section><h2>Checks</h2><ul class='checks'>")
    for c in doc.checks:
        pre = f"<pre>{e(chr(10).join(c.lines))}</pre>" if c.lines else ""
        parts.append(f"<li class='check {_status(c.status)}'><span class='mark'>{c.mark}</span>"
                     f"<span class='label'>{e(c.label)}</span><span class='points-cell'>{e(c.score)}/{e(c.max_score)}"
                     f"</span>{pre}</li>")
    notes = "".join(f"<p class='detail'>{e(note)}</p>" for note in (doc.skipped_note, doc.visibility_note) if note)
    parts.append("</ul>" + notes + "</section>")
    for name, total, preview in doc.outputs:
        more = f" (the first {len(preview)} of {e(total)} bytes)" if total > len(preview) else ""
        parts.append(f"<section><h2>Your code printed to {name}{more}</h2>"
                     + (f"<pre>{e(preview)}</pre>" if preview else "") + "</section>")
    parts.append("</main>")
    if doc.footer:
        parts.append(f"<footer>{e(doc.footer)}</footer>")
    return page(f"{doc.exercise} feedback", "".join(parts))


def _status(status: str) -> str:
    return status if status in ("passed", "failed", "skipped", "error") else "error"  # a class the CSS knows


def _summary(doc: Document) -> list[str]:
    e = for_html
    parts = []
    if doc.mistakes:
        parts.append("<section><h2>What went wrong</h2>")
        for m in doc.mistakes:
            detail = f"<p class='detail'>{e(m.detail)}</p>" if m.detail else ""
            evidence = _evidence(m.evidence, EVIDENCE_INTRO) if m.evidence else ""
            parts.append(f"<article class='mistake'><h3><code>{e(m.code)}</code></h3><p>{e(m.message)}</p>"
                         f"{detail}{evidence}</article>")
        parts.append("</section>")
    if doc.counterexample:
        note = f"<p>{e(doc.counterexample_note)}</p>" if doc.counterexample_note else ""
        parts.append(f"<section><h2>{e(COUNTEREXAMPLE_INTRO.rstrip(':'))}</h2>"
                     f"{_evidence(doc.counterexample, '')}{note}</section>")
    if doc.rubric or doc.scoring_note:
        items = "".join(f"<li class='code'>{e(rubric_line(r))}</li>" for r in doc.rubric)
        parts.append("<section><h2>Rubric items applied</h2>" + (f"<ul>{items}</ul>" if items else "")
                     + (f"<p>{e(doc.scoring_note)}</p>" if doc.scoring_note else "") + "</section>")
    return parts


def _evidence(ev: Evidence, intro: str) -> str:
    e = for_html
    parts = [f"<p>{e(intro)}</p>" if intro else "", f"<pre>{e(ev.call)}</pre>"]
    if ev.steps:
        rows = "".join(
            (f"<tr class='changed'><td><code>{e(s.label)}</code><br>{e(CHANGED_NOTE)}</td>" if s.changed
             else f"<tr><td><code>{e(s.label)}</code></td>") + f"<td><code>{e(s.value)}</code></td></tr>"
            for s in ev.steps)
        parts.append(f"<p>{e(TRACE_INTRO)}</p><table class='trace'><tr><th>step</th><th>correct value</th></tr>{rows}</table>")
    parts.append(f"<dl class='compare'><dt>expected</dt><dd><code>{e(ev.expected)}</code></dd>"
                 f"<dt>your function</dt><dd><code>{e(ev.actual)}</code></dd></dl>")
    return "".join(parts)
