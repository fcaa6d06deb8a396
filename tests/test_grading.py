"""The core contract: reference full marks, stub zero, worked examples exact, wrong answers that pass
the worked examples still score well below half."""

import numpy as np

from graders.engine.cases import case_book


def test_worked_examples_are_the_seed_values(exercise):
    seeds = [([1.0, 2.0], 0.5, [1.5, 3.0]), ([1.0, 0.0, -1.0], 1.0, [2.0, 0.0, 0.0]), ([2.0, -3.0], 0.5, [3.0, 0.0])]
    for example, (x, w2_scale, expected) in zip(exercise.examples, seeds, strict=True):
        x_arg, w1, w2 = example.args
        np.testing.assert_array_equal(x_arg, x)
        np.testing.assert_array_equal(w1, np.eye(len(x)))
        np.testing.assert_array_equal(w2, np.eye(len(x)) * w2_scale)
        np.testing.assert_array_equal(example.expected, expected)
        np.testing.assert_array_equal(exercise.reference_function(*example.args), expected)


def test_case_book_has_the_promised_variety(exercise):
    book = case_book(exercise)
    generated = [c for c in book.cases if c.set_name != "examples"]
    assert len(generated) >= 100
    shapes = {(c.args[0].shape[0], c.args[1].shape[0]) for c in generated}
    assert any(n == h for n, h in shapes) and any(n != h for n, h in shapes)
    values = np.concatenate([a.ravel() for c in generated for a in c.args])
    assert (values < 0).any() and (values > 0).any() and (values == 0).any()
    assert np.abs(values[values != 0]).min() < 1e-2 and np.abs(values).max() > 100


EXAMPLES_ONLY = '''
import numpy as np
def residual_block(x, w1, w2):
    # passes every worked example (identity and diagonal weights), wrong elsewhere
    return np.maximum(0, np.diag(w2) * np.maximum(0, np.diag(w1) * x) + x)
'''


def test_only_worked_examples_right_scores_well_below_half(grade):
    report = grade(EXAMPLES_ONLY)
    examples = [c for c in report.checks if c.name.startswith("worked_example")]
    assert all(c.passed for c in examples)
    assert report.score <= 0.35 * report.max_score
    assert report.score == 6  # README (Why the grade is true) states it
    assert "unknown" in report.codes
    assert report.counterexample is not None
