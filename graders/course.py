"""`python -m graders course DIR --out OUT [--jobs N] [--exercises A,B]`: every learner on every exercise.

Layouts of DIR (graders/course_layout.py reads them): nbgrader's ``submitted/<learner>/<exercise>/...``,
``<learner>/<exercise>.py|.ipynb``, per-exercise LMS downloads ``<exercise>.zip``, or DIR itself one LMS
download whose files are named after the exercises. Each exercise is graded like `batch` into
``OUT/<exercise>/`` (resumable, unchanged submissions skipped); a learner who did not submit an exercise
gets 0 there, marked not submitted, never an error. Then, from the saved results only:

- ``course.csv``: ``learner``, one column per exercise, ``total``, ``max_total``, ``not_submitted``;
- ``course.json``: the same numbers, per-exercise summaries, who has not submitted what, and the
  misconceptions that persist across exercises (one concept, named in two exercises or more for a learner:
  e.g. transposed weights in the forward and the backward pass);
- ``learners/<key>.html``: one page per learner, linking each exercise's feedback;
- ``index.html``: the course page (score distributions, missing submissions, persistent misconceptions).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from pathlib import Path
from urllib.parse import quote

from graders.batch import NOT_SUBMITTED, BatchError, grade_class, write_lms_grades
from graders.course_layout import scan_course
from graders.report.classbook import csv_cell
from graders.report.html import page, score_bar
from graders.report.safe import for_html
from graders.store import iter_results, learner_key, write_atomic


def register(subparsers, add_sandbox_options) -> None:
    from graders.options import add_jobs_option, add_scoring_option, add_visibility_options

    p = subparsers.add_parser("course", help="grade every learner on every exercise: course gradebook and pages")
    p.add_argument("directory", help="the course's submissions (see `course --help`), or one LMS download (.zip)")
    p.add_argument("--out", required=True, help="output directory: one batch folder per exercise, course.csv, "
                                                "course.json, index.html, learners/")
    add_jobs_option(p)
    p.add_argument("--exercises", default=None, metavar="A,B", help="only these exercises (default: all)")
    p.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    add_sandbox_options(p)
    add_scoring_option(p)
    add_visibility_options(p)
    p.set_defaults(run=cmd_course)


def cmd_course(args) -> int:

    from graders import exercises as registry
    from graders.options import (
        UsageError,
        jobs_from,
        launch_sandboxes,
        limits_from,
        probe_isolation,
        scored_as,
        visibility_from,
    )

    chosen = _chosen(registry, args.exercises, UsageError)
    chosen = [scored_as(e, args.scoring) for e in chosen]
    known = {c.name for e in chosen for c in e.checks} | {"*"}
    unknown = [p for p in (args.visibility or "").split(",") if p.strip() and p.split("=", 1)[0].strip() not in known]
    if unknown:
        raise UsageError(f"--visibility {unknown[0]!r}: no exercise of this course has that check")
    visibility = {e.name: visibility_from(_only_known(args, e), e) for e in chosen}
    jobs = jobs_from(args)
    directory, out = Path(args.directory), Path(args.out)
    if not directory.exists():
        raise UsageError(f"{directory}: no such file or directory")
    if directory.is_dir() and (out.resolve() == directory.resolve() or directory.resolve() in out.resolve().parents):
        raise UsageError(f"--out {out} is inside the submissions directory {directory}; choose another place")
    with launch_sandboxes(args, 1) as warm:  # grade_class boots each exercise's while preparing it
        isolation = probe_isolation(warm)
    try:
        summary = run_course(directory, chosen, out, jobs=jobs, limits=limits_from(args), isolation=isolation,
                             force=args.force, report=print, visibility=visibility)
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    print(f"{len(summary['learners'])} learners, {len(chosen)} exercises; open {out / 'index.html'}")
    return 0


def _only_known(args, exercise):
    """The --visibility settings that name this exercise's checks (a course's exercises have different
    checks: CHECK=LEVEL applies to the exercises that have CHECK, ``*`` to all)."""
    import argparse

    names = {c.name for c in exercise.checks}
    parts = [p for p in (args.visibility or "").split(",") if p.split("=", 1)[0].strip() in names | {"*"}]
    return argparse.Namespace(visibility=",".join(parts), due=args.due)


def _chosen(registry, names: str | None, usage_error) -> list:
    if not names:
        return list(registry.all_exercises())
    chosen = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        try:
            chosen.append(registry.get(name))
        except registry.UnknownExercise as exc:
            raise usage_error(str(exc)) from None
    if not chosen:
        raise usage_error("--exercises names no exercise")
    return chosen


def run_course(directory: Path, exercises: list, out: Path, *, jobs: int, limits, isolation: str,
               force: bool = False, report=None, visibility: dict | None = None) -> dict:
    """Grade the course; write course.csv, course.json, index.html and learners/. ``report(line)`` gets one
    line per exercise as it is done."""
    out.mkdir(parents=True, exist_ok=True)
    layout = scan_course(directory, exercises, out)
    table: dict[str, dict[str, dict]] = {learner: {} for learner in layout.learners}
    per_exercise = {}
    for exercise in exercises:
        started = time.monotonic()
        found = layout.classes[exercise.name]
        batch = grade_class(found, exercise, out / exercise.name, jobs=jobs, limits=limits, isolation=isolation,
                            force=force, columns=layout.columns.get(exercise.name),
                            visibility=(visibility or {}).get(exercise.name))
        if exercise.name in layout.rosters:  # an LMS download: its grades in the LMS's import format too
            write_lms_grades(out / exercise.name, exercise, found.entries, layout.rosters[exercise.name],
                             (visibility or {}).get(exercise.name))
        missing = sum(1 for e in found.entries if e.problem == NOT_SUBMITTED)
        if report:
            report(f"{exercise.name}: graded {batch.graded}, unchanged {batch.unchanged}, {batch.total} learners "
                   f"({missing} not submitted) in {time.monotonic() - started:.1f} s")
        for data in iter_results(found.entries, out / exercise.name, exercise):
            table.setdefault(data["learner"], {})[exercise.name] = _row(data)
        per_exercise[exercise.name] = json.loads((out / exercise.name / "summary.json").read_text(encoding="utf-8"))
    summary = course_summary(exercises, table, per_exercise, layout.skipped)
    write_course_outputs(out, exercises, table, summary)
    return summary


def _row(data: dict) -> dict:
    return {"score": data["score"], "max_score": data["max_score"], "diagnoses": list(data["diagnoses"]),
            "submitted": NOT_SUBMITTED not in data["diagnoses"]}


def concepts_of(exercise) -> dict[str, str]:
    """Catalog code -> the concept it is a misconception about (the code itself unless declared)."""
    return {code: exercise.concept(code) for code in exercise.codes}


def persistent_misconceptions(exercises: list, table: dict) -> list[dict]:
    """Concepts a learner got wrong in two exercises or more, with who and where, most learners first."""
    concepts = {e.name: concepts_of(e) for e in exercises}
    found: dict[str, dict[str, list]] = {}
    for learner, rows in table.items():
        seen: dict[str, list] = {}
        for exercise, row in rows.items():
            for code in row["diagnoses"]:
                concept = concepts[exercise].get(code)
                if concept:
                    seen.setdefault(concept, []).append({"exercise": exercise, "code": code})
        for concept, where in seen.items():
            if len({w["exercise"] for w in where}) >= 2:
                found.setdefault(concept, {})[learner] = where
    return sorted(({"concept": c, "learners": len(who), "who": who} for c, who in found.items()),
                  key=lambda item: (-item["learners"], item["concept"]))


def course_summary(exercises: list, table: dict, per_exercise: dict, skipped: list) -> dict:
    learners = sorted(table)
    rows = []
    for learner in learners:
        scores = {e.name: table[learner].get(e.name, {"score": 0, "submitted": False}) for e in exercises}
        rows.append({"learner": learner, "scores": {n: r["score"] for n, r in scores.items()},
                     "total": sum(r["score"] for r in scores.values()),
                     "not_submitted": [n for n, r in scores.items() if not r["submitted"]]})
    totals = [r["total"] for r in rows]
    return {
        "exercises": [{"name": e.name, "title": e.title, "max_score": e.max_score, "version": e.version,
                       "summary": per_exercise.get(e.name, {})} for e in exercises],
        "max_total": sum(e.max_score for e in exercises),
        "learners": rows,
        "mean_total": round(statistics.fmean(totals), 3) if totals else None,
        "not_submitted": {e.name: [r["learner"] for r in rows if e.name in r["not_submitted"]] for e in exercises},
        "persistent_misconceptions": persistent_misconceptions(exercises, table),
        "skipped": [s.to_dict() for s in skipped],
    }


def write_course_outputs(out: Path, exercises: list, table: dict, summary: dict) -> None:
    names = [e.name for e in exercises]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", *names, "total", "max_total", "not_submitted"])
    for row in summary["learners"]:
        writer.writerow([csv_cell(row["learner"]), *(row["scores"][n] for n in names), row["total"],
                         summary["max_total"], ";".join(row["not_submitted"])])
    write_atomic(out / "course.csv", buffer.getvalue())
    write_atomic(out / "course.json", json.dumps(summary, indent=1))  # ASCII: a name may hold undecodable bytes
    (out / "learners").mkdir(exist_ok=True)
    for row in summary["learners"]:
        write_atomic(out / "learners" / f"{learner_key(row['learner'])}.html",
                     learner_page(row, exercises, table.get(row["learner"], {}), summary["max_total"]))
    write_atomic(out / "index.html", course_page(summary, exercises))


def _link(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


def learner_page(row: dict, exercises: list, results: dict, max_total: int) -> str:
    e, key = for_html, learner_key(row["learner"])
    body = [f"<header><div class='score'><h1>{e(row['learner'])}</h1><span class='points'>{row['total']} / {max_total}"
            f" points</span></div>{score_bar(row['total'], max_total)}</header>",
            "<table><tr><th>exercise</th><th>score</th><th>named mistakes</th><th>feedback</th></tr>"]
    for exercise in exercises:
        result = results.get(exercise.name)
        if result is None or not result["submitted"]:
            body.append(f"<tr><td>{e(exercise.title)}</td><td class='num'>0/{exercise.max_score}</td>"
                        "<td>not submitted</td><td></td></tr>")
            continue
        href = _link("..", exercise.name, "feedback", key + ".html")
        body.append(f"<tr><td>{e(exercise.title)}</td><td class='num'>{e(result['score'])}/{e(result['max_score'])}</td>"
                    f"<td class='code'>{e(', '.join(result['diagnoses']))}</td><td><a href='{e(href)}'>feedback</a></td></tr>")
    body.append("</table>")
    return page(f"{row['learner']}: course", "".join(body))


def course_page(summary: dict, exercises: list) -> str:
    e = for_html
    body = [f"<h1>Course: {len(exercises)} exercises, {len(summary['learners'])} learners</h1>",
            f"<p>Mean total {summary['mean_total']} / {summary['max_total']}. "
            "<a href='course.csv'>course.csv</a> · <a href='course.json'>course.json</a></p>",
            "<h2>Exercises</h2>"]
    for item in summary["exercises"]:
        s = item["summary"]
        missing = len(summary["not_submitted"][item["name"]])
        body.append(f"<h3><a href='{e(_link(item['name'], 'index.html'))}'>{e(item['title'])}</a></h3>"
                    f"<p>mean {e(s.get('mean_score'))} / {item['max_score']}, median {e(s.get('median_score'))}, "
                    f"full marks {e(s.get('full_marks'))}, not submitted {missing}</p>"
                    f"<img class='chart' src='{e(_link(item['name'], 'score_distribution.svg'))}' width='640' "
                    f"height='260' alt='score distribution of {e(item['name'])}'>")
    body.append("<h2>Misconceptions that persist across exercises</h2>")
    persistent = summary["persistent_misconceptions"]
    if persistent:
        body.append("<table><tr><th>concept</th><th>learners</th><th>who, and where</th></tr>")
        for item in persistent:
            who = "; ".join(f"{learner}: " + ", ".join(f"{w['code']} ({w['exercise']})" for w in where)
                            for learner, where in sorted(item["who"].items()))
            body.append(f"<tr><td class='code'>{e(item['concept'])}</td><td class='num'>{item['learners']}</td>"
                        f"<td>{e(who)}</td></tr>")
        body.append("</table>")
    else:
        body.append("<p>None: no learner made the same kind of mistake in two exercises.</p>")
    body.append("<h2>Learners</h2><table><tr><th>learner</th><th>total</th><th>not submitted</th></tr>")
    for row in summary["learners"]:
        href = _link("learners", learner_key(row["learner"]) + ".html")
        body.append(f"<tr><td><a href='{e(href)}'>{e(row['learner'])}</a></td>"
                    f"<td class='num'>{row['total']}/{summary['max_total']}</td>"
                    f"<td>{e(', '.join(row['not_submitted']))}</td></tr>")
    body.append("</table>")
    if summary["skipped"]:
        body.append("<h2>Skipped entries</h2><table><tr><th>entry</th><th>reason</th></tr>"
                    + "".join(f"<tr><td class='code'>{e(s['entry'])}</td><td>{e(s['reason'])}</td></tr>"
                              for s in summary["skipped"]) + "</table>")
    return page("course overview", "".join(body))
