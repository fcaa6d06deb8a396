"""The fairness steps of `graders check` for function exercises (graders/lint.py runs them; the contract
suite runs them over every exercise):

- **no free points**: answers that ignore their inputs (zeros, ones, a constant, NaN, random numbers, an
  input returned as it is, None) score 0, by the checks and by the rubric;
- **values and container judged apart**: the reference's own numbers returned in another container (a
  list, a tuple, nested lists, an ``np.matrix``) lose only the structure check's points, and the container
  is named once (unless the exercise declares the container part of the goal: ``strict_container``);
- **evidence per mistake**: every catalogued form, graded alone, is shown with an input on which that form
  alone changes the result, and with the trace step it changes marked.

Trivial and wrapped answers run in the sandbox, as learners' code does; catalog forms in-process (the
model is the instructor's own code).
"""

from __future__ import annotations

import textwrap

from graders.engine.scoring import with_scoring

# name -> how the answer makes one array of the given shape (source text; `shape`, `args` in scope)
TRIVIAL = {
    "zeros": "np.zeros(shape)",
    "ones": "np.ones(shape)",
    "a constant": "np.full(shape, 0.5)",
    "NaN": "np.full(shape, np.nan)",
    "random numbers": "np.random.default_rng().normal(size=shape)",
    "an input as it is": "_same_shaped_input(args, shape)",
    "None": "None",
}
CONTAINERS = {  # name -> (wrapping of one returned array, applies to arrays of these ranks)
    "a list": ("_part.tolist()", (1, 2)),
    "a tuple": ("tuple(_part.tolist())", (1,)),
    "a tuple of tuples": ("tuple(map(tuple, _part.tolist()))", (2,)),
    "an np.matrix": ("np.matrix(_part)", (2,)),
}

TRIVIAL_TEMPLATE = '''\
import numpy as np

_DIMS = {dims!r}
_PARTS = {parts!r}  # the symbolic shape of each returned array


def _size(args, symbol):
    for name, dims in _DIMS.items():
        value = args.get(name)
        if value is not None and symbol in dims:
            return np.shape(value)[dims.index(symbol)]
    return 1


def _same_shaped_input(args, shape):
    for name in _DIMS:
        if args.get(name) is not None and np.shape(args[name]) == shape:
            return args[name]
    return args[next(iter(_DIMS))]


def _answer(args):
    answers = []
    for dims in _PARTS:
        shape = tuple(_size(args, s) for s in dims)
        answers.append({make})
    return answers[0] if len(answers) == 1 else tuple(answers)


def {function}({parameters}):
    return _answer(dict({keywords}))
'''


def trivial_source(exercise, make: str) -> str:
    parts = [dims for _, dims in exercise.output_parts] or [exercise.output_dims]
    return TRIVIAL_TEMPLATE.format(dims=dict(exercise.dims), parts=parts, make=make, function=exercise.function,
                                   parameters=", ".join(exercise.parameters),
                                   keywords=", ".join(f"{p}={p}" for p in exercise.parameters))


def wrapped_reference(exercise, wrap: str, ranks: tuple[int, ...]) -> str:
    """The reference's source, its function's result re-wrapped (arrays of other ranks left as they are)."""
    reference = exercise.path(exercise.reference).read_text(encoding="utf-8")
    several = bool(exercise.output_parts)
    return reference + textwrap.dedent(f'''

        _gradekit_reference = {exercise.function}


        def _gradekit_wrap(_part):
            return {wrap} if getattr(_part, "ndim", None) in {ranks!r} else _part


        def {exercise.function}(*args, **kwargs):
            result = _gradekit_reference(*args, **kwargs)
            return tuple(map(_gradekit_wrap, result)) if {several!r} else _gradekit_wrap(result)
        ''')


def trivial_answers_step(exercise, grade):
    from graders.lint import StepResult

    rubric = with_scoring(exercise, "rubric") if set(exercise.rubric) == set(exercise.codes) else None
    earned = []
    for name, make in TRIVIAL.items():
        report = grade(exercise, trivial_source(exercise, make))
        scores = [report.score] + ([rubric.scored(report).score] if rubric else [])
        if any(scores):
            passed = ", ".join(c.name for c in report.checks if c.passed)
            earned.append(f"{name} scores {'/'.join(map(str, scores))} ({passed})")
    return StepResult("no free points", not earned, f"{len(TRIVIAL) - len(earned)} of {len(TRIVIAL)} answers that ignore "
                      "their inputs score 0" + (f"; {'; '.join(earned)}" if earned else ""), earned)


def output_ranks(exercise) -> set[int]:
    return {len(dims) for _, dims in exercise.output_parts} or {len(exercise.output_dims)}


def container_step(exercise, grade):
    from graders.lint import StepResult

    if exercise.strict_container:
        return StepResult("container judged apart", True, "the container is part of the goal (strict_container)")
    structure = [c for c in exercise.checks if c.judges == "structure"]
    lost = sum(c.points for c in structure)
    wrong, tried = [], 0
    for name, (wrap, ranks) in CONTAINERS.items():
        if not output_ranks(exercise) & set(ranks):
            continue
        tried += 1
        report = grade(exercise, wrapped_reference(exercise, wrap, ranks))
        failing = {c.name for c in report.checks if not c.passed}
        if failing != {c.name for c in structure} or report.score != exercise.max_score - lost \
                or len(report.diagnoses) != 1:
            wrong.append(f"{name}: {report.score}/{report.max_score}, failing {sorted(failing)}, named "
                         f"{', '.join(report.codes) or 'nothing'}")
    return StepResult("container judged apart", not wrong and tried > 0,
                      f"{tried - len(wrong)} of {tried} containers lose only the structure points ({lost})"
                      + (f"; {'; '.join(wrong)}" if wrong else ""), wrong)


def evidence_step(exercise, simulate):
    from graders.engine.evidence import changes_result, evidence_input
    from graders.engine.variants import variants_of_size
    from graders.lint import StepResult, variant_id

    missing = []
    singles = variants_of_size(exercise, 1)
    for variant in singles:
        mistake, form = variant.parts[0]
        named = next((d for d in simulate(exercise, variant.overrides).diagnoses if d.code == mistake.code), None)
        args = evidence_input(exercise, mistake.code, form.name)
        problem = ""
        if named is None or named.evidence is None or args is None:
            problem = "no evidence"
        elif named.evidence.call != exercise.call_text(args) or not changes_result(exercise, form.overrides, args):
            problem = "its input does not show this form alone"
        elif exercise.trace is not None and [s.label for s in named.evidence.trace if s.changed] != [form.step]:
            problem = f"the trace marks {[s.label for s in named.evidence.trace if s.changed]}, not {form.step!r}"
        elif named.evidence.actual == named.evidence.expected:
            problem = "the learner's result on it is the expected one"
        if problem:
            missing.append(f"{variant_id(variant)}: {problem}")
    return StepResult("evidence per mistake", not missing,
                      f"{len(singles) - len(missing)} of {len(singles)} forms shown by an input that this form alone "
                      "changes" + (f"; {'; '.join(missing)}" if missing else ""), missing)
