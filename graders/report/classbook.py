"""The instructor's outputs for a batch, streamed from the saved per-learner results:
grades.csv, report.json, feedback/<key>.md|.html, summary.json, score_distribution.svg, index.html.

One row per learner the batch discovered (a learner without a trustworthy saved result is a grader_error
row, never left out). Files are named by the learner's key (graders.store.learner_key); grades.csv,
report.json, summary.json and index.html show the learner's identity itself. A grades.csv cell that a
spreadsheet would evaluate as a formula is prefixed with a single quote.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from graders.report.html import page
from graders.report.safe import for_html
from graders.store import display_name, iter_result_rows, learner_key, write_atomic, write_feedback

TOP_COUNTEREXAMPLES = 10
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A grades.csv cell: text a spreadsheet would evaluate (it starts with =, +, -, @, a tab or a carriage
    return) gets a leading single quote; an undecodable byte of a file name shows as \\xNN; numbers stay
    numbers."""
    if not isinstance(value, str):
        return value
    value = display_name(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def feedback_href(key: str, suffix: str = ".html") -> str:
    """The link to a feedback file from index.html: the key, percent-encoded as a URL path segment (a key's
    own `%XX` escapes are part of the file name)."""
    return "feedback/" + quote(key + suffix, safe="")


def _is_regular_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def write_class_outputs(exercise, entries, out: Path, skipped=(), columns: dict | None = None, visibility=None,
                        fresh: frozenset[str] = frozenset()) -> dict:
    """``columns``: extra grades.csv columns per learner (an LMS download's late flag and id); ``visibility``:
    what the learners' feedback files show (when it restricts anything, the feedback of every learner graded
    in an earlier run is rewritten, so a run after the due date shows what was held back); ``fresh``: the
    learners whose feedback this run has just written."""
    rewrite = visibility is not None and visibility.restricts(exercise.checks)
    columns = columns or {}
    extra = sorted({name for values in columns.values() for name in values})

    feedback_dir = out / "feedback"
    feedback_dir.mkdir(parents=True, exist_ok=True)
    check_names = [c.name for c in exercise.checks]
    mistakes: Counter = Counter()
    rubric_hits: Counter = Counter()
    counterexamples: Counter = Counter()
    counterexample_codes: dict[str, set] = {}
    scores: list[int] = []
    rows = []
    csv_buffer = io.StringIO()
    writer = csv.writer(csv_buffer, lineterminator="\n")
    writer.writerow([csv_cell(v) for v in ("student", "score", "max_score", "diagnoses", *check_names, *extra)])
    report_tmp = out / ".report.json.tmp"
    with report_tmp.open("w", encoding="utf-8") as report_file:
        report_file.write(json.dumps({"exercise": exercise.name, "version": exercise.version,
                                      "seed": exercise.seed})[:-1] + ', "learners": [\n')
        for i, (data, saved) in enumerate(iter_result_rows(entries, out, exercise)):
            learner = data["learner"]
            name = learner_key(learner)
            # written by the grading worker; restore it if deleted, and always write a missing result's own
            if (rewrite and learner not in fresh) or not saved or not _is_regular_file(feedback_dir / f"{name}.html"):
                write_feedback(out, data, visibility)
            by_check = {c["name"]: c["score"] for c in data["checks"]}
            own = columns.get(learner, {})
            writer.writerow([csv_cell(v) for v in (learner, data["score"], data["max_score"], ";".join(data["diagnoses"]),
                                                   *(by_check.get(n, 0) for n in check_names),
                                                   *(own.get(name, "") for name in extra))])
            report_file.write(("," if i else "") + json.dumps(data) + "\n")
            scores.append(data["score"])
            mistakes.update(set(data["diagnoses"]))
            rubric_hits.update({item["code"] for item in data.get("rubric") or []})
            ce = data.get("counterexample")
            if ce:
                counterexamples[ce["call"]] += 1
                counterexample_codes.setdefault(ce["call"], set()).update(data["diagnoses"])
            rows.append((learner, name, data["score"], data["max_score"], data["diagnoses"]))
        report_file.write("]}\n")
    report_tmp.replace(out / "report.json")
    write_atomic(out / "grades.csv", csv_buffer.getvalue())
    summary = {
        "exercise": exercise.name,
        "version": exercise.version,
        "seed": exercise.seed,
        "learners": len(scores),
        "skipped": [item.to_dict() if hasattr(item, "to_dict") else dict(item) for item in skipped],
        "max_score": exercise.max_score,
        "mean_score": round(statistics.fmean(scores), 3) if scores else None,
        "median_score": statistics.median(scores) if scores else None,
        "full_marks": sum(1 for s in scores if s == exercise.max_score),
        "mistakes": dict(mistakes.most_common()),
        "scoring": exercise.scoring,
        "rubric": [{"code": code, "deduction": exercise.rubric[code], "learners": rubric_hits.get(code, 0)}
                   for code in sorted(exercise.rubric, key=lambda c: (-rubric_hits.get(c, 0), c))],
        "score_distribution": {str(k): v for k, v in sorted(Counter(scores).items())},
        "common_counterexamples": [
            {"call": call, "learners": n, "diagnoses": sorted(counterexample_codes[call])}
            for call, n in counterexamples.most_common(TOP_COUNTEREXAMPLES)
        ],
    }
    write_atomic(out / "summary.json", json.dumps(summary, indent=2))
    write_atomic(out / "score_distribution.svg", histogram_svg(Counter(scores), exercise.max_score))
    write_atomic(out / "index.html", index_html(exercise, summary, rows))
    return summary


def histogram_svg(counts: Counter, max_score: int) -> str:
    width, height, pad = 640, 260, 36
    bins = max_score + 1
    bar = (width - 2 * pad) / bins
    top = max(counts.values(), default=1)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
             "font-family='sans-serif' font-size='11'>",
             f"<text x='{width / 2}' y='16' text-anchor='middle' font-size='13'>Score distribution</text>",
             f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='#333'/>"]
    for score in range(bins):
        n = counts.get(score, 0)
        h = (height - 2 * pad - 10) * n / top
        x = pad + score * bar
        if n:
            parts.append(f"<rect x='{x + 1:.1f}' y='{height - pad - h:.1f}' width='{bar - 2:.1f}' height='{h:.1f}' fill='#4a7bd0'>"
                         f"<title>{n} learner(s) scored {score}</title></rect>")
            parts.append(f"<text x='{x + bar / 2:.1f}' y='{height - pad - h - 3:.1f}' text-anchor='middle'>{n}</text>")
        if score % max(1, bins // 10) == 0 or score == max_score:
            parts.append(f"<text x='{x + bar / 2:.1f}' y='{height - pad + 14}' text-anchor='middle'>{score}</text>")
    parts.append(f"<text x='{width / 2}' y='{height - 4}' text-anchor='middle'>score (out of {max_score})</text></svg>")
    return "".join(parts) + "\n"


def index_html(exercise, summary: dict, rows) -> str:
    hints = {m.code: m.hint for m in exercise.catalog}
    body = [f"<h1>{for_html(exercise.title)}</h1>",
            f"<p>{summary['learners']} learners, mean {summary['mean_score']} / {summary['max_score']}, "
            f"median {summary['median_score']}, full marks: {summary['full_marks']}. Seed {summary['seed']}, "
            f"version {for_html(summary['version'])}."
            + (f" {len(summary['skipped'])} entries skipped (listed below)." if summary["skipped"] else "") + "</p>",
            "<p><a href='grades.csv'>grades.csv</a> · <a href='report.json'>report.json</a> · "
            "<a href='summary.json'>summary.json</a></p>",
            "<h2>Score distribution</h2><img class='chart' src='score_distribution.svg' width='640' height='260' "
            "alt='score distribution'>",
            "<h2>Mistakes made</h2><table><tr><th>code</th><th>learners</th><th>hint</th></tr>"]
    for code, n in summary["mistakes"].items():
        body.append(f"<tr><td class='code'>{for_html(code)}</td><td class='num'>{n}</td><td>{for_html(hints.get(code, ''))}</td></tr>")
    body.append("</table>")
    if summary["scoring"] == "rubric":
        body.append("<h2>Rubric items applied</h2><table><tr><th>rubric item</th><th>points</th><th>learners</th></tr>")
        for item in summary["rubric"]:
            body.append(f"<tr><td class='code'>{for_html(item['code'])}</td><td class='num'>-{item['deduction']}</td>"
                        f"<td class='num'>{item['learners']}</td></tr>")
        body.append("</table>")
    body.append("<h2>Most common smallest failing inputs</h2><table><tr><th>input</th><th>learners</th><th>diagnoses</th></tr>")
    for ce in summary["common_counterexamples"]:
        body.append(f"<tr><td class='code'>{for_html(ce['call'])}</td><td class='num'>{ce['learners']}</td>"
                    f"<td>{for_html(', '.join(ce['diagnoses']))}</td></tr>")
    body.append("</table><h2>Learners</h2><table><tr><th>learner</th><th>score</th><th>diagnoses</th></tr>")
    for learner, name, score, max_score, codes in rows:
        body.append(f"<tr><td><a href='{for_html(feedback_href(name))}'>{for_html(learner)}</a></td>"
                    f"<td class='num'>{for_html(score)}/{for_html(max_score)}</td><td class='code'>{for_html(', '.join(codes))}</td></tr>")
    body.append("</table>")
    if summary["skipped"]:
        body.append(f"<h2>Skipped entries ({len(summary['skipped'])})</h2><p>Entries of the class directory that "
                    "are not submissions: no row, no grade.</p><table><tr><th>entry</th><th>reason</th></tr>")
        for item in summary["skipped"]:
            body.append(f"<tr><td class='code'>{for_html(item['entry'])}</td><td>{for_html(item['reason'])}</td></tr>")
        body.append("</table>")
    return page(f"{exercise.name}: class overview", "".join(body))
