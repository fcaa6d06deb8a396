"""Mutation score: every catalogued mistake, and every pair of them, is caught and named."""

import numpy as np
import pytest

from graders.engine.diagnose import variants_of_size
from graders.exercises import get
from graders.exercises.residual_unit.model import model
from tests.conftest import variant_source

EXERCISE = get("residual_unit")
SINGLES = variants_of_size(EXERCISE, 1)
PAIRS = variants_of_size(EXERCISE, 2)
STRUCTURAL = {"raises"}  # transposed/swapped weights raise on non-square inputs, as the model does


def fresh_inputs(count=300, seed=7):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, h = rng.integers(1, 6, size=2)
        yield rng.normal(size=n) * 3, rng.normal(size=(h, n)) * 2, rng.normal(size=(n, h)) * 2


_OUTPUTS: dict[str, list] = {}


def outputs(variant):
    if variant.label in _OUTPUTS:
        return _OUTPUTS[variant.label]
    out = _OUTPUTS[variant.label] = []
    for args in fresh_inputs():
        try:
            out.append(np.asarray(model(*args, **variant.overrides)))
        except ValueError:
            out.append(None)
    return out


def same(a, b):
    return all((x is None and y is None) or (x is not None and y is not None and x.shape == y.shape
                                               and np.allclose(x, y, rtol=1e-9, atol=1e-12)) for x, y in zip(a, b))


def behaviour_codes(report):
    return tuple(sorted(c for c in report.codes if c not in STRUCTURAL))


def test_catalog_has_the_required_entries():
    required = {"missing_first_relu", "missing_final_relu", "extra_relu_before_skip", "skip_after_final_relu",
                "missing_skip", "skip_subtracted", "transposed_weights", "swapped_weights", "wrong_activation"}
    assert required <= set(EXERCISE.codes)
    assert len(set(EXERCISE.codes)) == len(EXERCISE.codes)
    assert all(m.hint for m in EXERCISE.catalog)


@pytest.mark.parametrize("variant", SINGLES, ids=lambda v: v.label)
def test_every_catalog_form_is_caught_and_named(grade, variant):
    report = grade(variant_source(variant.overrides))
    assert report.score < report.max_score
    assert behaviour_codes(report) == variant.codes
    mistake_diagnosis = next(d for d in report.diagnoses if d.code == variant.codes[0])
    assert mistake_diagnosis.detail == variant.parts[0][1].detail  # the exact form, e.g. which weight is transposed
    assert report.counterexample is not None


def simplest_equivalent(pair):
    """The first variant in the engine's order (fewest mistakes, then catalog order) that is
    mathematically the same function as the pair on fresh random inputs."""
    mine = outputs(pair)
    for candidate in [*SINGLES, *PAIRS]:
        if same(mine, outputs(candidate)):
            return candidate
    raise AssertionError("a pair is always equivalent to itself")


@pytest.mark.slow
@pytest.mark.parametrize("pair", PAIRS, ids=lambda v: v.label)
def test_every_pair_of_mistakes_is_caught_and_named(grade, pair):
    report = grade(variant_source(pair.overrides))
    assert report.score < report.max_score
    expected = simplest_equivalent(pair).codes
    assert behaviour_codes(report) == tuple(sorted(expected))
