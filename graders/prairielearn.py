"""PrairieLearn: `python -m graders prairielearn --exercise NAME --out DIR` writes a question directory.

- ``info.json``: external grading (``gradingMethod: External``), the grader image and the entrypoint
  ``/grade/tests/run.sh``; the uuid is kept from an existing info.json, so re-exporting keeps the question.
- ``question.html``: the problem statement and a file upload for the stub's file name; the submission panel
  shows the external grader's results.
- ``tests/``: the kit (graders/, the one reference, pyproject.toml), ``gradekit-prairielearn.json`` (exercise,
  limits, isolation, scoring, visibility) and ``run.sh``. PrairieLearn copies ``tests/`` to ``/grade/tests``
  and the upload to ``/grade/student/``; run.sh runs ``python3 -m graders.prairielearn /grade``, i.e.
  ``run()`` below, which grades the upload in the sandbox and writes ``/grade/results/results.json`` only
  after the sandbox is stopped (the learner's processes are gone). A submission that cannot be graded, or
  a grader failure, gives ``gradable: false`` with a message; run.sh writes one itself if Python cannot even
  start, and always exits 0 (PrairieLearn ignores the results of a failed entrypoint).

The grading image needs Python 3.10+ with numpy and hypothesis (``prairielearn/grader-python`` lacks
hypothesis: build ``tests/Dockerfile.gradekit`` and pass ``--image``), and bubblewrap for the full sandbox;
as root without it, learners' code runs as an unprivileged user in an empty chroot. Without either, the
upload is not graded unless the question was exported with ``--allow-unsandboxed``.
"""

from __future__ import annotations

import html
import json
import os
import sys
import time
import traceback
import uuid
from pathlib import Path

from graders.engine.kind import REPO_ROOT, Exercise
from graders.hosted import INTERNAL_ERROR, entry_script, grade_upload, kit_files, write_json_atomic

CONFIG_NAME = "gradekit-prairielearn.json"
ROOT_ENV = "GRADEKIT_PRAIRIELEARN_ROOT"
DEFAULT_IMAGE = "prairielearn/grader-python"
MAX_OUTPUT = 200_000  # results.json must stay under PrairieLearn's 1 MB
NOT_GRADABLE_FALLBACK = ("The autograder could not start (Python, numpy or hypothesis is missing in the grading "
                         "image). This is a problem with the autograder, not with your code: please tell your "
                         "instructor.")


DOCKERFILE = """# A grading image for gradekit questions: PrairieLearn's Python grader plus what gradekit needs.
# docker build -t YOUR_HUB_NAME/gradekit-grader -f Dockerfile.gradekit . && docker push YOUR_HUB_NAME/gradekit-grader
# then export the question with --image YOUR_HUB_NAME/gradekit-grader
FROM prairielearn/grader-python
USER root
RUN (dnf install -y bubblewrap || apt-get update && apt-get install -y bubblewrap || true) \\
 && python3 -m pip install --no-cache-dir {requirements}
"""

QUESTION_HTML = """<pl-question-panel>
<markdown>
{statement}
</markdown>
<p>Upload your <code>{file}</code>. It is graded by gradekit: your function runs in a sandbox and is compared with
a hidden reference on the worked examples and on many generated inputs.</p>
</pl-question-panel>

<pl-file-upload file-names="{file}"></pl-file-upload>

<pl-submission-panel>
<pl-external-grader-results></pl-external-grader-results>
<pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


# ------------------------------------------------------------------------------------------ command
def register(subparsers, add_sandbox_options) -> None:
    from graders.options import add_scoring_option, add_visibility_options

    p = subparsers.add_parser("prairielearn", help="write a PrairieLearn question directory (external grading)")
    p.add_argument("--exercise", required=True)
    p.add_argument("--out", required=True, metavar="DIR", help="the question directory to write")
    p.add_argument("--image", default=DEFAULT_IMAGE, help="the grading image (needs numpy and hypothesis; "
                                                          "default %(default)s, see tests/Dockerfile.gradekit)")
    p.add_argument("--topic", default="Residual networks", help="the question's topic (default %(default)s)")
    p.add_argument("--allow-unsandboxed", action="store_true",
                   help="grade even where learners' code can be isolated neither by bubblewrap nor as another user")
    add_sandbox_options(p)
    add_scoring_option(p)
    add_visibility_options(p)
    p.set_defaults(run=cmd_prairielearn)


def cmd_prairielearn(args) -> int:
    from graders.options import UsageError, limits_from, pick_exercise, visibility_from

    exercise = pick_exercise(args.exercise, scoring=args.scoring)
    limits = limits_from(args)
    if not exercise.reference or not (REPO_ROOT / exercise.reference).is_file():
        raise UsageError(f"the reference of {exercise.name} is missing; cannot build the question")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: not a directory")
    config = {"exercise": exercise.name, "version": exercise.version, "scoring": exercise.scoring,
              "time_limit": limits.time, "memory_limit": limits.memory,
              "isolation": "bwrap" if args.require_sandbox else args.isolation,
              "allow_unsandboxed": args.allow_unsandboxed, "visibility": visibility_from(args, exercise).to_dict()}
    try:
        written = write_question(out, exercise, config, image=args.image, topic=args.topic)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {out} ({written} files, {exercise.name} {exercise.version}, {limits.time:g} s per submission): "
          f"copy it into your course's questions/ folder; learners upload {Path(exercise.stub).name}")
    return 0


def question_uuid(out: Path, exercise: Exercise) -> str:
    try:
        return str(uuid.UUID(json.loads((out / "info.json").read_text(encoding="utf-8"))["uuid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return str(uuid.uuid4())


def info_json(exercise: Exercise, question_id: str, image: str, topic: str, timeout: int) -> dict:
    return {"uuid": question_id, "type": "v3", "title": exercise.title, "topic": topic,
            "tags": ["gradekit", exercise.name], "gradingMethod": "External", "singleVariant": True,
            "externalGradingOptions": {"image": image, "entrypoint": "/grade/tests/run.sh", "timeout": timeout}}


def write_question(out: Path, exercise: Exercise, config: dict, *, image: str, topic: str) -> int:
    from graders.gradescope import GRADER_REQUIREMENTS

    out.mkdir(parents=True, exist_ok=True)
    timeout = min(600, int(config["time_limit"] * 3 + 60))  # the cases, the sandbox start and the shrinking
    fallback = {"gradable": False, "message": NOT_GRADABLE_FALLBACK}
    files: list[tuple[str, bytes, int]] = [
        ("info.json", (json.dumps(info_json(exercise, question_uuid(out, exercise), image, topic, timeout),
                                  indent=2) + "\n").encode(), 0o644),
        ("question.html", question_html(exercise).encode(), 0o644),
        ("tests/run.sh", entry_script(platform="PrairieLearn", env=ROOT_ENV, default_root="/grade", kit_dir="tests",
                                      module="graders.prairielearn", fallback=fallback, always_succeed=True), 0o755),
        (f"tests/{CONFIG_NAME}", (json.dumps(config, indent=2) + "\n").encode(), 0o644),
        ("tests/Dockerfile.gradekit", DOCKERFILE.format(requirements=" ".join(f'"{r}"' for r in GRADER_REQUIREMENTS)
                                                        ).encode(), 0o644),
    ]
    files += [(f"tests/{name}", path.read_bytes(), 0o644) for name, path in kit_files(exercise)]
    for name, content, mode in files:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(mode)
    return len(files)


def question_html(exercise: Exercise) -> str:
    from graders.report.notebook import drop_sections

    statement = drop_sections(exercise.path(exercise.readme).read_text(encoding="utf-8"))
    # PrairieLearn renders question.html through Mustache and an HTML parser: no braces, no raw markup
    statement = html.escape(statement, quote=False).replace("{{", "{ {").replace("}}", "} }")
    return QUESTION_HTML.format(statement=statement, file=html.escape(Path(exercise.stub).name))


# ------------------------------------------------------------------------------------------ grading
def prairielearn_results(data: dict, visibility) -> dict:
    """PrairieLearn's results.json for a report's data form: score in [0, 1], the text report as output,
    one test per check the learner may see (points, max_points, message, output)."""
    from graders.report.document import document
    from graders.report.safe import for_terminal, one_line
    from graders.report.text import render_text
    from graders.report.visibility import learner_view

    view = learner_view(data, visibility)
    doc = document(view)
    maximum = data["max_score"] or 1
    tests = [{"name": one_line(c.label), "description": one_line(c.name), "points": c.score,
              "max_points": c.max_score, "message": c.mark,
              "output": for_terminal("\n".join(c.lines))[:MAX_OUTPUT // 20]} for c in doc.checks]
    output = render_text(view)
    return {"gradable": True, "score": round(max(0.0, min(1.0, data["score"] / maximum)), 6),
            "message": f"{one_line(data['exercise'])}: {data['score']}/{data['max_score']}",
            "output": output[:MAX_OUTPUT], "tests": tests,
            "gradekit": {"exercise": data["exercise"], "version": data["version"], "diagnoses": data["diagnoses"],
                         "seed": data["seed"], "cases_digest": data["cases_digest"], "sandbox": data["sandbox"],
                         "scoring": data.get("scoring")}}


def not_gradable(message: str, code: str) -> dict:
    return {"gradable": False, "message": message, "format_errors": [message], "gradekit": {"diagnoses": [code]}}


def read_config() -> dict:
    return json.loads((Path(__file__).resolve().parents[1] / CONFIG_NAME).read_text(encoding="utf-8"))


def run(root: Path) -> int:
    """Grade /grade/student, write /grade/results/results.json. Always 0: PrairieLearn reads results only after a 0 exit."""
    from graders import exercises
    from graders.engine.scoring import with_scoring
    from graders.report.visibility import Visibility

    started = time.monotonic()
    results_path = root / "results" / "results.json"
    try:
        config = read_config()
        exercise = with_scoring(exercises.get(config["exercise"]), config.get("scoring"))
        upload = grade_upload(root / "student", exercise, config)
        if upload.data is None:
            results = not_gradable(upload.message, upload.code)
        else:
            results = prairielearn_results(upload.data, Visibility.from_dict(config.get("visibility")))
    except Exception:  # a grader problem: details in the job log, a plain message for the learner
        traceback.print_exc(file=sys.stdout)
        results = not_gradable(INTERNAL_ERROR, "internal_error")
    write_json_atomic(results_path, results)
    print(f"gradekit: gradable {results['gradable']}, score {results.get('score')}, "
          f"{time.monotonic() - started:.2f} s; wrote {results_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return run(Path(argv[0] if argv else os.environ.get(ROOT_ENV) or "/grade"))


if __name__ == "__main__":
    sys.exit(main())
