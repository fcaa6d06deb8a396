"""Hypothesis strategies for exercise inputs whose counterexamples a learner can read."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


def numbers(int_bound: int = 4, float_bound: float = 8.0, *, no_negative_zero: bool = False):
    """Small integers, a few halves and quarters, and floats rounded to 3 decimals: dense enough to separate
    every catalog variant, short enough to read in a counterexample (``no_negative_zero``: -0.0 becomes 0.0,
    for inputs shown with their sign)."""
    rounded = (lambda v: round(v, 3) + 0.0) if no_negative_zero else (lambda v: round(v, 3))
    return st.one_of(
        st.integers(-int_bound, int_bound).map(float),
        st.sampled_from([0.5, -0.5, 0.25, -1.5, 2.5]),
        st.floats(-float_bound, float_bound, allow_nan=False, allow_infinity=False).map(rounded),
    )


def array(shape, elements=None, *, every_element: bool = False):
    """A float64 array of ``shape`` with elements from ``elements`` (default: numbers()). Hypothesis may fill
    most of a larger array with one repeated value; ``every_element`` draws each element instead."""
    elements = elements if elements is not None else numbers()
    if every_element:
        return arrays(np.float64, shape, elements=elements, fill=st.nothing())
    return arrays(np.float64, shape, elements=elements)


def away_from_zero(bound: float, step: float = 0.01, margin: float = 0.05):
    """Multiples of ``step`` in [-bound, bound], never within ``margin`` of 0."""
    first = int(round(margin / step))
    steps = np.arange(first, int(round(bound / step)) + 1)
    return st.sampled_from([round(float(s * sign) * step, 6) for s in steps for sign in (1, -1)])
