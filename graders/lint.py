"""`python -m graders check [NAME ...] [--json]`: the exercise linter and mutation test an instructor runs
before handing an exercise out (and the kit's contract suite runs for every exercise, tests/test_contract.py).

For each exercise it proves, step by step: the declaration agrees with the hidden reference; the reference
gets full marks and the stub zero without a crash; the cases are drawn the same twice; every catalog form and
every pair of forms is caught and named exactly, and no two forms are indistinguishable on the cases; the
public tests pass on the reference and fail on the stub and on every form (naming the forms they miss); the
README's worked examples state the reference's outputs; and what `release` would write holds no line of the
reference. Each exercise kind says which steps apply to it (Exercise.lint_steps).

Catalog forms are graded in-process through the whole engine (a ModelRunner stands in for the sandbox: the
model is the instructor's own trusted code); the reference, the stub and the public tests run as learners'
code does.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graders import fairness
from graders.engine.kind import REPO_ROOT, Exercise, ExerciseError

MAX_PAIRS = 400  # every pair when there are fewer; a deterministic sample otherwise


@dataclass
class StepResult:
    step: str
    ok: bool
    detail: str
    missed: list[str] = field(default_factory=list)  # the forms (or answers) a step does not catch

    def to_dict(self) -> dict:
        return {"step": self.step, "ok": self.ok, "detail": self.detail, "missed": self.missed}


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], StepResult]


@dataclass
class ExerciseReport:
    exercise: str
    steps: list[StepResult]
    elapsed: float

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "ok": self.ok, "elapsed": round(self.elapsed, 1),
                "steps": [s.to_dict() for s in self.steps]}


def lint(exercise: Exercise, *, sandbox=None) -> ExerciseReport:
    """Run every step of the exercise's kind; a step that raises is reported as failed, never a crash."""
    from graders.sandbox.launcher import Limits, Sandbox

    started = time.monotonic()
    own = sandbox is None
    sandbox = sandbox or Sandbox(limits=Limits(time=20.0)).start()
    _CONTEXT["sandbox"] = sandbox
    results = []
    try:
        try:
            steps = exercise.lint_steps()
        except ExerciseError as exc:
            return ExerciseReport(exercise.name, [StepResult("declaration", False, str(exc))], 0.0)
        for step in steps:
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the catalog's variants overflow where they must
                    results.append(step.run())
            except Exception as exc:  # noqa: BLE001 - a broken exercise is a finding, not a crash
                results.append(StepResult(step.name, False, f"{type(exc).__name__}: {exc}"))
            if step.name == "declaration" and not results[-1].ok:
                break  # nothing else can be trusted
    finally:
        if own:
            sandbox.stop()
    return ExerciseReport(exercise.name, results, time.monotonic() - started)


_CONTEXT: dict = {}


def _grade(exercise: Exercise, source: str):
    from graders.engine.grading import grade_source

    return grade_source(exercise, source, sandbox=_CONTEXT["sandbox"], submission="lint")


# ------------------------------------------------------------------------------------------- common
def declaration_step(exercise: Exercise) -> Step:
    def run() -> StepResult:
        exercise.validate()
        return StepResult("declaration", True, "examples, model and catalog agree with the reference")

    return Step("declaration", run)


def reference_step(exercise: Exercise) -> Step:
    def run() -> StepResult:
        report = _grade(exercise, exercise.path(exercise.reference).read_text(encoding="utf-8"))
        ok = report.full_marks and not report.diagnoses
        detail = f"{report.score}/{report.max_score}" + ("" if ok else f" ({', '.join(report.codes)})")
        return StepResult("reference full marks", ok, detail)

    return Step("reference full marks", run)


def stub_step(exercise: Exercise) -> Step:
    def run() -> StepResult:
        report = _grade(exercise, exercise.path(exercise.stub).read_text(encoding="utf-8"))
        crashed = {"crashed", "timeout", "memory_limit", "grader_error"} & set(report.codes)
        ok = report.score == 0 and not crashed
        detail = f"{report.score}/{report.max_score} ({', '.join(report.codes) or 'no diagnosis'})"
        if report.score:
            detail += ": the stub must earn nothing (does it already return the right answer?)"
        return StepResult("stub zero, no crash", ok, detail)

    return Step("stub zero, no crash", run)


def release_step(exercise: Exercise) -> Step:
    def run() -> StepResult:
        from graders.release import ReleaseError, check_no_leak, exercise_files

        try:
            files = exercise_files(exercise)
            check_no_leak(files)
        except ReleaseError as exc:
            return StepResult("release leaks nothing", False, str(exc))
        return StepResult("release leaks nothing", True, f"{len(files)} files, no line of the reference in them")

    return Step("release leaks nothing", run)


# ------------------------------------------------------------------------------------ function kind
def function_steps(exercise) -> list[Step]:
    return [declaration_step(exercise), reference_step(exercise), stub_step(exercise),
            Step("cases deterministic", lambda: cases_step(exercise)),
            Step("forms caught and named", lambda: forms_step(exercise)),
            Step("pairs caught and named", lambda: pairs_step(exercise)),
            Step("forms distinguishable", lambda: distinguishable_step(exercise)),
            Step("evidence per mistake", lambda: fairness.evidence_step(exercise, simulate)),
            Step("no free points", lambda: fairness.trivial_answers_step(exercise, _grade)),
            Step("container judged apart", lambda: fairness.container_step(exercise, _grade)),
            Step("public tests", lambda: public_tests_step(exercise)),
            Step("README examples", lambda: readme_step(exercise)),
            release_step(exercise)]


def cases_step(exercise) -> StepResult:
    from graders.engine.cases import draw_book

    first, second = draw_book(exercise), draw_book(exercise)
    ok = first.digest == second.digest
    return StepResult("cases deterministic", ok, f"{len(first.cases)} cases, digest {first.digest}"
                      + ("" if ok else f" then {second.digest}: the strategies are not deterministic"))


class ModelRunner:
    """Runs trusted code (the exercise's model with catalog overrides) in-process through the engine's
    runner interface, as a learner's function would be run in the sandbox."""

    mode, note = "model", ""

    def __init__(self, function, parameters, time_limit: float = 10.0, memory: int = 1 << 30):
        from graders.sandbox.launcher import Limits

        self.function, self.parameters = function, parameters
        self.limits = Limits(time=time_limit, memory=memory)
        self.cases: dict = {}

    def preload(self, key, cases, budgets) -> None:
        self.cases[key] = (cases, budgets)

    def restart(self) -> None:
        pass

    def session(self, **_request) -> _ModelSession:
        return _ModelSession(self)


class _ModelSession:
    def __init__(self, runner: ModelRunner):
        self.runner = runner
        self.loaded = {"ok": True, "event": "loaded"}
        self.ended = None
        self.closed = {"stdout": "", "stderr": "", "stdout_bytes": 0, "stderr_bytes": 0}

    def __enter__(self) -> _ModelSession:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def call_preloaded(self, key: str) -> list[dict]:
        cases, budgets = self.runner.cases[key]
        return [self._run(args, budget) for args, budget in zip(cases, budgets)]

    def call(self, calls, budget: int) -> list[dict]:
        return [self._run(args, budget) for args in calls]

    def _run(self, args, budget: int) -> dict:
        from graders.sandbox import worker

        args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        try:
            with np.errstate(all="ignore"):
                value = self.runner.function(*args)
        except Exception as exc:  # noqa: BLE001 - a variant may raise, as a learner's function would
            return {"kind": "raised", "error": {"type": type(exc).__name__, "message": str(exc)[:500],
                                                "bases": [c.__name__ for c in type(exc).__mro__][1:8]}}
        return json.loads(worker.dump({"kind": "returned", "value": worker.describe(value, [budget]), "mutated": []}))


def simulate(exercise, overrides: dict):
    """The report a learner would get whose function is the model with these overrides."""
    from graders.engine.grading import grade_function

    runner = ModelRunner(lambda *args: exercise.model(*args, **overrides), exercise.parameters)
    return grade_function(exercise, "", runner=runner, submission="lint")


def behaviour_codes(exercise, report) -> tuple[str, ...]:
    return tuple(sorted(c for c in report.codes if c in exercise.codes))


def forms_step(exercise) -> StepResult:
    from graders.engine.variants import variants_of_size

    missed = []
    singles = variants_of_size(exercise, 1)
    for variant in singles:
        report = simulate(exercise, variant.overrides)
        named = next((d for d in report.diagnoses if d.code == variant.codes[0]), None)
        if report.full_marks or behaviour_codes(exercise, report) != variant.codes or named is None \
                or named.detail != variant.parts[0][1].detail:
            got = "full marks" if report.full_marks else ", ".join(report.codes) or "nothing"
            missed.append(f"{variant_id(variant)} (named {got})")
    return StepResult("forms caught and named", not missed,
                      f"{len(singles) - len(missed)} of {len(singles)} forms" + (f"; missed: {'; '.join(missed)}" if missed else ""),
                      missed)


def pairs_step(exercise) -> StepResult:
    """Each pair is caught (not full marks) and named as the simplest catalog variant that is the same
    function on fresh inputs (two mistakes can add up to a simpler one, e.g. two transpositions)."""
    from graders.engine.variants import variants_of_size

    singles, pairs = variants_of_size(exercise, 1), variants_of_size(exercise, 2)
    if len(pairs) > MAX_PAIRS:
        pairs = pairs[:: -(-len(pairs) // MAX_PAIRS)]
    probe = fresh_inputs(exercise)
    fingerprints = {}

    def fingerprint(variant):
        key = variant_id(variant)
        if key not in fingerprints:
            fingerprints[key] = outputs_on(exercise, variant.overrides, probe)
        return fingerprints[key]

    missed = []
    for pair in pairs:
        report = simulate(exercise, pair.overrides)
        mine = fingerprint(pair)
        simplest = next((v for v in [*singles, *pairs] if same_outputs(mine, fingerprint(v))), pair)
        if report.full_marks or behaviour_codes(exercise, report) != tuple(sorted(simplest.codes)):
            missed.append(f"{variant_id(pair)} (named {', '.join(report.codes) or 'nothing'}, expected "
                          f"{', '.join(simplest.codes)})")
    return StepResult("pairs caught and named", not missed,
                      f"{len(pairs) - len(missed)} of {len(pairs)} pairs" + (f"; missed: {'; '.join(missed[:5])}" if missed else ""),
                      missed)


def variant_id(variant) -> str:
    """A variant's forms, unambiguously: code, or code/form where a mistake has several forms."""
    return " + ".join(m.code if len(m.forms) == 1 else f"{m.code}/{f.name}" for m, f in variant.parts)


def fresh_inputs(exercise, count: int = 150) -> list[tuple]:
    """Inputs not among the graded cases (a different seed), for telling functions apart."""
    from graders.engine.cases import draw

    out: list[tuple] = []
    for offset, case_set in enumerate(exercise.case_sets):
        out += draw(case_set.strategy, max(1, min(case_set.count, count // max(1, len(exercise.case_sets)))),
                    exercise.seed + 1_000_003 + offset)
    return out


def outputs_on(exercise, overrides: dict, inputs) -> list:
    out = []
    for args in inputs:
        try:
            with np.errstate(all="ignore"):
                value = exercise.model(*args, **overrides)
            parts = value if isinstance(value, tuple) else (value,)
            out.append(tuple(np.asarray(p, dtype=float) for p in parts))
        except Exception:  # noqa: BLE001
            out.append(None)
    return out


def same_outputs(a: list, b: list) -> bool:
    for x, y in zip(a, b):
        if (x is None) != (y is None):
            return False
        if x is not None and (len(x) != len(y) or any(p.shape != q.shape or not np.allclose(p, q, rtol=1e-9, atol=1e-12,
                                                                                          equal_nan=True)
                                                      for p, q in zip(x, y))):
            return False
    return True


def distinguishable_step(exercise) -> StepResult:
    """No form gives the reference's outputs, and no two forms give the same outputs, on the graded cases
    (the learner could not be told which mistake it is)."""
    from graders.engine.compare import reference_data
    from graders.engine.variants import variant_table

    data = reference_data(exercise)
    table = variant_table(exercise, 1)
    reference = variant_table(exercise, 0)
    problems = []
    keys = [_outputs_key(table, v, data) for v in range(len(table.variants))]
    ref_key = _outputs_key(reference, 0, data)
    for v, variant in enumerate(table.variants):
        if keys[v] == ref_key:
            problems.append(f"{variant_id(variant)} gives the reference's outputs on every case")
    for a, b in itertools.combinations(range(len(table.variants)), 2):
        if keys[a] == keys[b] and keys[a] != ref_key:
            problems.append(f"{variant_id(table.variants[a])} and {variant_id(table.variants[b])} give the same "
                            "outputs on every case")
    return StepResult("forms distinguishable", not problems,
                      "every form differs from the reference and from every other form on the cases" if not problems
                      else "; ".join(problems), problems)


def _outputs_key(table, v: int, data) -> bytes:
    values = np.round(np.nan_to_num(table.values[v], nan=1e300), 9)
    return table.status[v].tobytes() + values.tobytes()


# ------------------------------------------------------------------------------------- public tests
CONFTEST = '''
import json, os
from hypothesis import Phase, settings

# pass or fail is all the linter needs: no shrinking of a failing example
settings.register_profile("gradekit-lint", phases=(Phase.explicit, Phase.reuse, Phase.generate), deadline=None)
settings.load_profile("gradekit-lint")
FAILED = {}


def pytest_runtest_setup(item):
    import pytest

    run = item.path.parent.parent.name
    if run in FAILED and run != "reference":
        pytest.skip("this run already failed")  # one failure is enough to catch a form


def pytest_runtest_logreport(report):
    if report.failed:
        parts = report.nodeid.split("/")
        FAILED.setdefault(parts[0], []).append(parts[-1])


def pytest_sessionfinish(session):
    with open(os.environ["GRADEKIT_LINT_REPORT"], "w") as fh:
        json.dump(FAILED, fh)
'''


def public_tests_step(exercise) -> StepResult:
    forms = [(f"{m.code}/{f.name}", dict(f.overrides)) for m in exercise.catalog for f in m.forms]
    sources = {"reference": exercise.path(exercise.reference).read_text(encoding="utf-8"),
               "stub": exercise.path(exercise.stub).read_text(encoding="utf-8")}
    for i, (_, overrides) in enumerate(forms):
        sources[f"form{i}"] = variant_source(exercise, overrides)
    failed, error = run_public_tests(exercise, sources)
    if error:
        return StepResult("public tests", False, error)
    problems = []
    if "reference" in failed:
        problems.append(f"the reference fails {', '.join(failed['reference'][:3])}")
    if "stub" not in failed:
        problems.append("the stub passes every public test")
    missed = [label for i, (label, _) in enumerate(forms) if f"form{i}" not in failed]
    if missed:
        problems.append(f"no public test fails on {', '.join(missed)}")
    detail = ("pass on the reference, fail on the stub and on every one of the "
              f"{len(forms)} forms") if not problems else "; ".join(problems)
    return StepResult("public tests", not problems, detail, missed)


def variant_source(exercise, overrides: dict) -> str:
    """A learner file whose function is the exercise's model with ``overrides`` (trusted: it imports the kit)."""
    params = ", ".join(exercise.parameters)
    return (f"from graders.exercises import get as _get\n\n_EXERCISE = _get({exercise.name!r})\n\n\n"
            f"def {exercise.function}({params}):\n    return _EXERCISE.model({params}, **{overrides!r})\n")


def public_files(exercise) -> tuple[list[Path], list[Path]]:
    """(files next to exercises/: conftest.py and the shared helper, the exercise folder's test files)."""
    top = REPO_ROOT / "exercises"
    shared = sorted(p for p in top.iterdir() if p.is_file() and p.suffix == ".py")
    folder = exercise.path(exercise.stub).parent
    own = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".py"
                 and (p.name.startswith("test_") or p.name == "conftest.py"))
    return shared, own


def run_public_tests(exercise, sources: dict[str, str], jobs: int | None = None) -> tuple[dict, str]:
    """Run the exercise's public tests once per learner source, as a learner's checkout would (the shared
    files of exercises/ and the exercise folder's tests next to the source), in a few pytest processes.
    Returns (run name -> failing test ids, error text)."""
    shared, own = public_files(exercise)
    jobs = jobs or max(1, min(2, os.cpu_count() or 1))
    names = list(sources)
    chunks = [names[i::jobs] for i in range(jobs)]
    with tempfile.TemporaryDirectory(prefix=f"gradekit-lint-{exercise.name}-") as tmp, \
            ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_chunk, exercise, Path(tmp) / f"chunk{i}", chunk, sources, shared, own)
                   for i, chunk in enumerate(chunks) if chunk]
        failed: dict = {}
        for future in futures:
            part, error = future.result()
            if error:
                return {}, error
            failed.update(part)
    return failed, ""


def _run_chunk(exercise, root: Path, names: list[str], sources: dict, shared: list[Path], own: list[Path]):
    folder = Path(exercise.stub).parent.name
    for name in names:
        target = root / name / folder
        target.mkdir(parents=True)
        for path in shared:
            shutil.copy(path, root / name / path.name)
        for path in own:
            shutil.copy(path, target / path.name)
        (target / Path(exercise.stub).name).write_text(sources[name], encoding="utf-8")
    (root / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    report = root / "failed.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS",)}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", GRADEKIT_LINT_REPORT=str(report),
               PYTHONPATH=str(REPO_ROOT))
    plugins = ["-p", "_hypothesis_pytestplugin"] if _has_hypothesis_plugin() else []
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins,
                           "--import-mode=importlib", "--rootdir", str(root), *names], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)
    if not report.exists():
        return {}, f"pytest did not run (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-500:]}"
    errors = re.findall(r"^ERROR .*$", done.stdout, re.M)
    if errors:
        return {}, f"the public tests do not collect: {errors[0]}"
    return json.loads(report.read_text()), ""


def _has_hypothesis_plugin() -> bool:
    import importlib.util

    return importlib.util.find_spec("_hypothesis_pytestplugin") is not None


# --------------------------------------------------------------------------------------------- README
EXPECTED = re.compile(r"expected(?: output)?\s*:\s*(.*)$", re.I)
PART = re.compile(r"^\s*(?:expected\s*:\s*)?([A-Za-z_]\w*)\s*=\s*(\[.*\]|[-+\d.eE]+)")


def readme_expectations(text: str) -> list:
    """The outputs the README's worked examples state, in order: an array (as nested lists), a dict of
    named parts for a tuple result, or the name of the error the example raises."""
    section = re.split(r"^## Worked examples\s*$", text, flags=re.M)
    if len(section) < 2:
        return []
    body = re.split(r"^## (?!#)", section[1], flags=re.M)[0]
    found = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", body, flags=re.M | re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            m = EXPECTED.search(line)
            if not m:
                continue
            rest = m.group(1).strip()
            error = re.match(r"([A-Z]\w*(?:Error|Exception))", rest)
            if error:
                found.append(error.group(1))
            elif rest.startswith("["):
                found.append(_literal(rest))
            else:  # named parts: `expected: a = [...]` then `          b = [...]`
                parts = {}
                for following in lines[i:]:
                    p = PART.match(following)
                    if p:
                        parts[p.group(1)] = _literal(p.group(2))
                found.append(parts)
            break
    return found


def _literal(text: str):
    import ast

    text = text.split("  ")[0].strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def readme_step(exercise) -> StepResult:
    from graders.engine.compare import expected_of

    text = exercise.path(exercise.readme).read_text(encoding="utf-8")
    stated = readme_expectations(text)
    if len(stated) != len(exercise.examples):
        return StepResult("README examples", False, f"the README's worked examples state {len(stated)} outputs "
                          f"('expected output: ...' in a code block) for {len(exercise.examples)} worked examples")
    wrong = []
    for i, (example, said) in enumerate(zip(exercise.examples, stated)):
        actual = expected_of(exercise, example.args)
        if actual.raises is not None:
            ok = said == actual.raises
        elif isinstance(said, dict):
            ok = list(said) == list(exercise.part_names) and all(
                _close(said[name], part) for name, part in zip(exercise.part_names, actual.parts))
        else:
            ok = not exercise.output_parts and _close(said, actual.parts[0])
        if not ok:
            wrong.append(f"example {i + 1} states {said!r} but the reference gives "
                         f"{actual.raises or actual.show(exercise.part_names)}")
    return StepResult("README examples", not wrong, f"{len(stated)} of {len(stated)} agree with the reference"
                      if not wrong else "; ".join(wrong))


def _close(said, actual: np.ndarray) -> bool:
    try:
        arr = np.asarray(said, dtype=float)
    except (TypeError, ValueError):
        return False
    return arr.shape == actual.shape and bool(np.allclose(arr, actual, rtol=1e-6, atol=1e-9))


# ---------------------------------------------------------------------------------------- quiz kind
def quiz_steps(quiz) -> list[Step]:
    return [declaration_step(quiz), reference_step(quiz), stub_step(quiz),
            Step("wrong answers named", lambda: wrong_answers_step(quiz)),
            Step("public tests", lambda: quiz_public_tests_step(quiz)),
            release_step(quiz)]


def answer_sheet(quiz, answers: dict) -> str:
    return "".join(f"{name} = {value!r}\n" for name, value in answers.items())


def reference_answers(quiz) -> dict:
    return quiz.read_answers(quiz.path(quiz.reference).read_text(encoding="utf-8"))


def wrong_answers_step(quiz) -> StepResult:
    """Every catalogued wrong answer, alone and with a wrong answer to another question, is named."""
    right = reference_answers(quiz)
    singles = [(q.name, m.code, answer) for q in quiz.questions for m, answers in q.mistakes for answer in answers]
    missed = []
    for name, code, answer in singles:
        report = quiz.grade(answer_sheet(quiz, {**right, name: answer}))
        if report.full_marks or report.codes != (code,):
            missed.append(f"{name} = {answer!r} (named {', '.join(report.codes) or 'nothing'}, expected {code})")
    pairs = [(a, b) for a, b in itertools.combinations(singles, 2) if a[0] != b[0]][:MAX_PAIRS]
    for (n1, c1, a1), (n2, c2, a2) in pairs:
        report = quiz.grade(answer_sheet(quiz, {**right, n1: a1, n2: a2}))
        if set(report.codes) != {c1, c2}:
            missed.append(f"{n1} = {a1!r} with {n2} = {a2!r} (named {', '.join(report.codes)})")
    return StepResult("wrong answers named", not missed, f"{len(singles)} wrong answers and {len(pairs)} pairs"
                      + (f"; missed: {'; '.join(missed[:5])}" if missed else ""), missed)


def quiz_public_tests_step(quiz) -> StepResult:
    """A quiz's public tests check the answers' format only (they must not give the answers away): they
    pass on the reference and fail on the stub."""
    sources = {"reference": quiz.path(quiz.reference).read_text(encoding="utf-8"),
               "stub": quiz.path(quiz.stub).read_text(encoding="utf-8")}
    failed, error = run_public_tests(quiz, sources)
    if error:
        return StepResult("public tests", False, error)
    problems = (["the reference fails some"] if "reference" in failed else []) + \
               (["the stub passes them all"] if "stub" not in failed else [])
    return StepResult("public tests", not problems, "pass on the reference, fail on the stub (they check the "
                      "answers' format only, by design)" if not problems else "; ".join(problems))


# ------------------------------------------------------------------------------------------- command
def register(subparsers, add_sandbox_options) -> None:
    p = subparsers.add_parser("check", help="prove exercises' graders sound before handing them out (linter and "
                                            "mutation test); exit 1 if any step fails")
    p.add_argument("names", nargs="*", metavar="NAME", help="exercises to check (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_check)


def cmd_check(args) -> int:
    from graders import exercises
    from graders.options import pick_exercise

    chosen = [pick_exercise(n) for n in args.names] if args.names else list(exercises.all_exercises())
    reports = [lint(e) for e in chosen]
    if args.json:
        print(json.dumps({"ok": all(r.ok for r in reports), "exercises": [r.to_dict() for r in reports]}, indent=2))
    else:
        for r in reports:
            print(f"{r.exercise}  ({r.elapsed:.0f} s)")
            for s in r.steps:
                print(f"  {'ok  ' if s.ok else 'FAIL'}  {s.step}: {s.detail}")
        bad = [r.exercise for r in reports if not r.ok]
        print(f"{len(reports) - len(bad)} of {len(reports)} exercises pass" + (f"; failing: {', '.join(bad)}" if bad else ""))
    return 0 if all(r.ok for r in reports) else 1
