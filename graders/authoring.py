"""The public authoring API: everything an instructor needs to declare an exercise, and nothing else.

Engine internals (graders.engine.*) are private and may change; this module does not. A function
exercise, in a grader package graders/exercises/NAME/__init__.py (``python -m graders new`` writes one):

    from graders.authoring import (CaseSet, Example, FunctionExercise, agreement, check, inputs_unmodified,
                                   loads, mistake, output_structure, strategies, worked_examples)

    loads()                                  # built-ins: name and label derived from the data
    worked_examples()                        # one check per example, 1 point each
    output_structure()
    inputs_unmodified()
    agreement("general", points=5)

    @check(points=2)                         # a custom check: its docstring is the learner's label
    def keeps_the_sign(ctx):
        \"\"\"never flips the sign of x\"\"\"
        ...                                  # raise Failure/Mismatch to fail; ctx: graders.engine.context

    EXERCISE = FunctionExercise(name="my_unit", title="...", function="my_unit", parameters=("x", "w"),
                                dims={"x": ("n",), "w": ("n", "n")}, output_dims=("n",), examples=(...),
                                case_sets=(CaseSet("general", STRATEGY, 40, "square weights"),),
                                catalog=(mistake("forgot_relu", "...", relu=False),), model=model, seed=1)

Checks register in the module that declares them, in definition order; the exercise takes them. Paths
follow from the name (exercises/NAME/NAME.py, solutions/NAME.py, exercises/NAME/README.md) unless given.
Declaration errors are one line naming the exercise and the field (ExerciseError); ``python -m graders
check NAME`` then proves the grader sound (README: "Add your own exercise").

A quiz: ``Quiz(name=..., title=..., questions=(Choice(...), Shape(...)))`` with ``right``/``wrong`` options
and ``WrongShape``/``Misconception`` entries.
"""

from graders.engine.builtins import agreement, inputs_unmodified, loads, output_structure, worked_examples
from graders.engine.checks import check
from graders.engine.compare import show_parts
from graders.engine.function import CaseSet, Example, FunctionExercise
from graders.engine.kind import ExerciseError, Form, Mistake, mistake
from graders.engine.quiz import Choice, Misconception, Quiz, Shape, WrongShape, right, wrong
from graders.engine.results import Failure, Mismatch
from graders.engine.values import format_number
from graders.shared import mistakes, strategies

__all__ = [
    "CaseSet", "Choice", "Example", "ExerciseError", "Failure", "Form", "FunctionExercise", "Misconception",
    "Mismatch", "Mistake", "Quiz", "Shape", "WrongShape", "agreement", "check", "format_number", "inputs_unmodified",
    "loads", "mistake", "mistakes", "output_structure", "right", "show_parts", "strategies", "worked_examples",
    "wrong",
]
