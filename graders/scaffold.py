"""`python -m graders new NAME --function FUNC --params a,b,c [--title TEXT]`: every place an exercise lives,
written at once, as a small working exercise to edit (each place to change says TODO).

- graders/exercises/NAME/__init__.py: the declaration (checks, worked examples, case sets, catalog)
- graders/exercises/NAME/model.py: the reference with one keyword per misconception
- solutions/NAME.py: the hidden reference
- exercises/NAME/NAME.py, README.md, test_NAME.py: the stub, the problem statement with its worked
  examples, and public tests built on the shared helper exercises/selfcheck.py

The placeholder task is y = a + b + c (element-wise, every argument a vector of length n), so that
`python -m graders check NAME` passes before the first edit and keeps passing as each piece is replaced.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from graders.engine.kind import NAME, REPO_ROOT

GRADER = '''"""Grader for {name}: {title}. Hidden: never shipped to learners. (Written by `graders new`: each TODO
marks a place to make the exercise your own; `python -m graders check {name}` proves it sound.)"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from graders.authoring import (
    CaseSet,
    Example,
    FunctionExercise,
    agreement,
    inputs_unmodified,
    loads,
    mistake,
    output_structure,
    strategies,
    worked_examples,
)
from graders.exercises.{name}.model import model

# TODO: one entry per misconception you want named; each form sets keywords of model() (model.py).
CATALOG = (
    mistake("drops_last_argument", "Use every argument: y = {formula}.",
            detail="you leave out {last}", use_last=False),
    mistake("subtracts_last_argument", "Every argument is added: y = {formula}.",
            detail="you subtract {last} instead of adding it", last_sign=-1.0),
)


# TODO: strategies that draw arguments like the ones your function takes.
@st.composite
def inputs(draw, *, sizes=st.integers(1, 6), elements=strategies.numbers()):
    n = draw(sizes)
    return tuple(draw(strategies.array(n, elements)) for _ in range({count}))


# Checks, in the order learners read them (labels come from the data; add @check functions of your own).
loads()
worked_examples()
output_structure()
inputs_unmodified()
agreement("general", points=4)
agreement("zeros", "single", points=2, name="matches_reference_edge_cases", topic="edge cases")

EXERCISE = FunctionExercise(
    name="{name}",
    title="{title}",
    function="{function}",
    parameters={parameters!r},
    dims={dims!r},
    output_dims=("n",),
    examples=(  # TODO: the README's worked examples (exercises/{name}/README.md states the same)
{examples}
    ),
    case_sets=(
        CaseSet("general", inputs(), 40, "generated inputs"),
        CaseSet("zeros", inputs(elements=st.just(0.0)), 3, "all-zero inputs"),
        CaseSet("single", inputs(sizes=st.just(1)), 3, "vectors of length 1"),
    ),
    catalog=CATALOG,
    model=model,
    seed={seed},
)
'''

MODEL = '''"""{name}'s reference with one keyword per misconception (graders/exercises/{name}/__init__.py's catalog
sets them); with no keywords it is the reference. NumPy only."""

import numpy as np


def model({params}, *, use_last=True, last_sign=1.0):
    """TODO: your computation, with a keyword for each mistake in the catalog."""
    *first, last = (np.asarray(v, dtype=float) for v in ({params},))
    y = sum(first, np.zeros_like(last))
    if use_last:
        y = y + last_sign * last
    return y
'''

SOLUTION = '''"""Hidden reference for the {name} exercise. Never shipped to learners."""

import numpy as np


def {function}({params}):
    """TODO: the reference solution ({formula} as a placeholder)."""
    return {reference_body}
'''

STUB = '''"""{title}: implement {function} below (see README.md in this folder)."""

import numpy as np


def {function}({params}):
    """TODO (for the instructor: describe the task; learners implement it here)."""
    raise NotImplementedError("implement {function}")
'''

README = '''# {title}

TODO: the problem statement: what learners compute and why it matters.

## The task

Edit `{name}.py` in this folder and implement

```python
def {function}({params}) -> np.ndarray:
```

It must compute `y = {formula}`, element-wise, for vectors of the same length n, and return a float numpy
array of shape `(n,)` without changing its arguments.

## Worked examples

{readme_examples}

## Self-check

```sh
pytest exercises/{name}
```
'''

PUBLIC_TESTS = '''"""Self-check tests for {name}: the worked examples of README.md, the result's type and shape, and that
the arguments are left unchanged. Run them with `pytest exercises/{name}`."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # exercises/, home of the shared helper selfcheck.py
from selfcheck import call_learner, call_text, expect_array, expect_unmodified, learner_function  # noqa: E402

FUNCTION = "{function}"
PARAMETERS = {parameters!r}
EXAMPLES = [  # TODO: the worked examples of README.md
{test_examples}
]


def learner():
    """{function}, loaded from {name}.py in this folder; while it still raises NotImplementedError, the first
    test fails saying so and the others are skipped."""
    return learner_function(__file__, FUNCTION, probe=EXAMPLES[0][0], signature="{params}")


@pytest.mark.parametrize("args, expected", EXAMPLES, ids=[f"example_{{i + 1}}" for i in range(len(EXAMPLES))])
def test_worked_example(args, expected):
    args = [np.array(a) for a in args]
    result = call_learner(learner(), PARAMETERS, args, hint="See the worked examples in README.md.")
    expect_array(result, np.array(expected), call_text(FUNCTION, PARAMETERS, args),
                 hint="See the worked examples in README.md.")


def test_arguments_are_left_unchanged():
    expect_unmodified(learner(), PARAMETERS, [np.array(a) for a in EXAMPLES[0][0]],
                      "compute into new arrays instead of changing an argument in place.")
'''


class ScaffoldError(ValueError):
    pass


def plan(name: str, function: str, params: list[str], title: str) -> dict[Path, str]:
    """The files to write (path -> text), refusing bad names and anything that already exists."""
    if not NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is not a valid exercise name (lower-case letters, digits, underscores)")
    if not function.isidentifier() or keyword.iskeyword(function):
        raise ScaffoldError(f"--function {function!r} is not a valid Python identifier")
    if not params or any(not p.isidentifier() or keyword.iskeyword(p) for p in params) or len(set(params)) != len(params):
        raise ScaffoldError(f"--params {','.join(params)!r}: give distinct Python identifiers, e.g. --params x,w")
    paths = {"grader": REPO_ROOT / "graders" / "exercises" / name, "solution": REPO_ROOT / "solutions" / f"{name}.py",
             "folder": REPO_ROOT / "exercises" / name}
    existing = [p for p in paths.values() if p.exists()]
    if existing:
        raise ScaffoldError(f"exercise {name!r} already exists ({existing[0].relative_to(REPO_ROOT)})")
    values = _values(name, function, params, title)
    return {
        paths["grader"] / "__init__.py": GRADER.format(**values),
        paths["grader"] / "model.py": MODEL.format(**values),
        paths["solution"]: SOLUTION.format(**values),
        paths["folder"] / f"{name}.py": STUB.format(**values),
        paths["folder"] / "README.md": README.format(**values),
        paths["folder"] / f"test_{name}.py": PUBLIC_TESTS.format(**values),
    }


EXAMPLE_ARGS = ([1.0, 2.0], [0.5, -1.0], [2.0, 0.0], [-1.0, 3.0])


def _values(name: str, function: str, params: list[str], title: str) -> dict:
    formula = " + ".join(params)
    examples = []
    for k in range(2):
        args = [[v * (k + 1) + i for v in EXAMPLE_ARGS[i % len(EXAMPLE_ARGS)]] for i in range(len(params))]
        expected = [sum(a[j] for a in args) for j in range(2)]
        examples.append((args, expected))
    return {
        "name": name, "function": function, "title": title or f"{function}({', '.join(params)})",
        "params": ", ".join(params), "parameters": tuple(params), "count": len(params), "formula": formula,
        "last": params[-1], "dims": {p: ("n",) for p in params}, "seed": sum(map(ord, name)) * 1009 % 2**31,
        "reference_body": " + ".join(f"np.asarray({p}, dtype=float)" for p in params),
        "examples": "\n".join(f"        Example(({', '.join(f'np.array({a})' for a in args)},), np.array({e})),"
                              for args, e in examples),
        "readme_examples": "\n\n".join(_readme_example(i, params, args, e) for i, (args, e) in enumerate(examples)),
        "test_examples": "\n".join(f"    ({tuple(args)!r}, {e!r})," for args, e in examples),
    }


def _readme_example(index: int, params: list[str], args, expected) -> str:
    width = max(len(p) for p in params)
    lines = [f"{p.ljust(width)} = {a}" for p, a in zip(params, args)]
    return f"### Example {index + 1}\n\n```\n" + "\n".join(lines) + f"\nexpected output: {expected}\n```"


def write(files: dict[Path, str]) -> list[Path]:
    written = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def register(subparsers, add_sandbox_options) -> None:
    p = subparsers.add_parser("new", help="scaffold a new exercise: grader, reference, stub, README and public tests")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--function", required=True, metavar="FUNC", help="the function learners implement")
    p.add_argument("--params", required=True, metavar="A,B,C", help="its parameters, comma-separated")
    p.add_argument("--title", default="", help="the exercise's title")
    p.set_defaults(run=cmd_new)


def cmd_new(args) -> int:
    from graders.options import UsageError

    params = [p.strip() for p in re.split(r"[,\s]+", args.params) if p.strip()]
    try:
        files = plan(args.name, args.function, params, args.title)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    for path in write(files):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    print(f"next: edit the files above (each TODO), then `python -m graders check {args.name}`; "
          "README.md, section \"Add your own exercise\", walks through it")
    return 0
