"""Self-check for the ResNet concepts quiz: is every answer filled in, in a form the grader can read?

Run them from the repository root with ``pytest exercises`` (or ``pytest`` inside this folder).

These tests never tell you whether an answer is right (the grader does that, and explains its reasoning).
They read resnet_concepts.py exactly the way the grader does: without running it. Only plain assignments at
the top level of the file count, and each value must be written out as a literal:

    NAME = "d"                 # a choice: one letter in quotes (upper case works too)
    NAME = (None, 8, 8, 16)    # a shape: a tuple (or list) of ints; None is fine for the batch

(the values only show the format). A function call, a variable or an f-string cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # exercises/, home of the shared helper selfcheck.py
from selfcheck import fail, not_started, quiz_answers, unanswered  # noqa: E402

LEARNER_FILE = "resnet_concepts.py"
MAX_BYTES = 1_000_000  # the grader refuses larger files

CHOICES = {  # answer name -> the option letters of that question
    "Q1_WHY_SKIP": "abcd",
    "Q3_CHANNEL_MISMATCH": "abcd",
    "Q4_LOSS_CURVES": "abcd",
    "Q5_PYTORCH_ERROR": "abcde",
}
SHAPES = {  # answer name -> the axes of the shape
    "Q2_OUTPUT_SHAPE": ("batch", "height", "width", "channels"),
}
NAMES = sorted([*CHOICES, *SHAPES])


def letter_format(name: str) -> str:
    return "one letter in quotes, one of " + ", ".join(f'"{c}"' for c in CHOICES[name])


def shape_format(name: str) -> str:
    axes = SHAPES[name]
    return f"a tuple of {len(axes)} ints ({', '.join(axes)}), None allowed for the batch, e.g. (None, 8, 8, 16)"


def answer_format(name: str) -> str:
    return letter_format(name) if name in CHOICES else shape_format(name)


# ------------------------------------------------------------------------------------------ the test
def check_choice(name: str, value) -> str:
    if not isinstance(value, str):
        return f"{name} is {value!r}, expected {letter_format(name)}."
    if value.strip().lower() not in CHOICES[name] or len(value.strip()) != 1:
        return f"{name} is {value!r}, which is not one of the options: expected {letter_format(name)}."
    return ""


def check_shape(name: str, value) -> str:
    axes = SHAPES[name]
    if not isinstance(value, (tuple, list)):
        return f"{name} is {value!r}, expected {shape_format(name)}."
    if len(value) != len(axes):
        return (f"{name} has {len(value)} entries, expected {len(axes)}: one per axis ({', '.join(axes)}); "
                "None is fine for the batch.")
    for index, entry in enumerate(value):
        if entry is None:
            continue
        if isinstance(entry, bool) or not isinstance(entry, int) or entry <= 0:
            return (f"{name}: entry {index} ({axes[index]}) is {entry!r}; sizes are positive ints, and an unknown "
                    "batch size is None (not -1).")
    return ""


@pytest.mark.parametrize("name", NAMES)
def test_answer_is_filled_in_and_well_formed(name):
    answers = quiz_answers(__file__, NAMES, MAX_BYTES)  # read the way the grader reads them: never run
    value, problem = answers[name]
    if problem:
        fail(f"{name} cannot be read: {problem}. The grader reads your file without running it, so write "
             f"`{name} = ...` at the top level with the value itself: {answer_format(name)}.")
    if unanswered(value):
        message = (f"{name} is not answered yet: replace None in `{name} = None` (in {LEARNER_FILE}) with your "
                   f"answer, {answer_format(name)}.")
        if all(unanswered(v) and not p for v, p in answers.values()):
            not_started(__file__, message)  # nothing answered yet: this one failure, the other answers skipped
        fail(message)
    wrong_form = check_choice(name, value) if name in CHOICES else check_shape(name, value)
    if wrong_form:
        fail(wrong_form)
