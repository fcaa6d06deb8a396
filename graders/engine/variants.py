"""Catalog variants: the simplest combination of catalogued mistakes that reproduces every output.

A variant is the exercise's model run with the merged overrides of one form of each mistake in a
combination. Variants are evaluated once per exercise version on the shared cases (in the grader,
never in the learner's process) and cached; a learner's outputs are then matched against them,
fewest mistakes first, catalog order breaking ties.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from graders.engine.cases import case_book, generator_version
from graders.engine.compare import Expected, reference_data, split_output
from graders.engine.disk_cache import cache_dir, load_arrays, save_arrays
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.kind import Form, Mistake

RAISED = "raised"


@dataclass(frozen=True)
class Variant:
    parts: tuple[tuple[Mistake, Form], ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m, _ in self.parts)

    @property
    def overrides(self) -> dict:
        merged: dict = {}
        for _, form in self.parts:
            merged.update(form.overrides)
        return merged

    @property
    def label(self) -> str:
        return " + ".join(f.name for _, f in self.parts) or "reference"


def compatible(parts) -> bool:
    merged: dict = {}
    for _, form in parts:
        for key, value in form.overrides.items():
            if key in merged and merged[key] != value:
                return False
            merged[key] = value
    return True


def variants_of_size(exercise: Exercise, size: int) -> list[Variant]:
    out = []
    for mistakes in itertools.combinations(exercise.catalog, size):
        for forms in itertools.product(*(m.forms for m in mistakes)):
            parts = tuple(zip(mistakes, forms))
            if compatible(parts):
                out.append(Variant(parts))
    return out


def run_model(exercise: Exercise, variant: Variant, args, expected: Expected) -> np.ndarray | str | None:
    """The variant's output as a flat vector in the expected layout, RAISED, or None (other shape)."""
    try:
        with np.errstate(all="ignore"):
            parts = split_output(exercise, exercise.model(*args, **variant.overrides))
    except (ValueError, IndexError, TypeError, ArithmeticError):
        return RAISED
    if tuple(p.shape for p in parts) != expected.shapes:
        return None
    return parts[0].ravel() if len(parts) == 1 else np.concatenate([p.ravel() for p in parts])


VALUE, RAISED_CASE, ABSENT = 0, 1, 2  # per-case status of an output


@dataclass(frozen=True, eq=False)
class VariantTable:
    """Every variant of one size on the shared cases: values laid out like ReferenceData (V x E),
    a per-case status (V x C), and each element's tolerance."""

    variants: list[Variant]
    values: np.ndarray
    status: np.ndarray
    tol: np.ndarray


@cache
def variant_table(exercise: Exercise, size: int) -> VariantTable:
    """Kept on disk too (graders/engine/disk_cache.py): for some exercises this takes seconds."""
    data = reference_data(exercise)
    variants = variants_of_size(exercise, size)
    path = table_path(exercise, size, variants)
    saved = load_arrays(path, ("values", "status")) if path is not None else None
    rows, cases = len(variants), len(case_book(exercise).cases)
    if saved is not None and saved["values"].shape == (rows, data.size) and saved["status"].shape == (rows, cases) \
            and saved["values"].dtype == np.float64 and saved["status"].dtype == np.int8:
        values, status = saved["values"], saved["status"]
    else:
        values, status = run_variants(exercise, variants)
        if path is not None:
            save_arrays(path, values=values, status=status)
    # a variant can be larger than the reference: give it tolerance for its own magnitude too
    tol = data.flat_tol + exercise.rtol * np.abs(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0))
    return VariantTable(variants, values, status, tol)


def run_variants(exercise: Exercise, variants: list[Variant]) -> tuple[np.ndarray, np.ndarray]:
    """Every variant's outputs on the shared cases, laid out like ReferenceData, and per-case status."""
    data = reference_data(exercise)
    book = case_book(exercise)
    values = np.full((len(variants), data.size), np.nan)
    status = np.full((len(variants), len(book.cases)), ABSENT, dtype=np.int8)
    for v, variant in enumerate(variants):
        for c, (case, exp, start) in enumerate(zip(book.cases, data.expected, data.starts)):
            out = run_model(exercise, variant, case.args, exp)
            if isinstance(out, str):
                status[v, c] = RAISED_CASE
            elif out is not None:
                status[v, c] = VALUE
                values[v, start:start + exp.size] = out
    return values, status


def table_path(exercise: Exercise, size: int, variants: list[Variant]) -> Path | None:
    """The cache file of these variants' table, keyed by everything it depends on: the exercise's files, its
    reference and the engine (the fingerprint), the cases, numpy, the variants' overrides and the model
    (also when an exercise is built in memory)."""
    root = cache_dir()
    if root is None:
        return None
    key = [exercise.fingerprint, case_book(exercise).digest, generator_version(), repr(exercise.rtol),
           repr(exercise.atol), repr([(v.codes, sorted(v.overrides.items())) for v in variants])]
    h = hashlib.sha256("\0".join(key).encode())
    code = getattr(exercise.model, "__code__", None)
    if code is not None:
        _hash_code(h, code)
    return root / f"variants-{exercise.name}-{size}-{h.hexdigest()[:20]}.npz"


def _hash_code(h, code) -> None:
    """A function's code, nested functions and comprehensions included (their reprs hold addresses), and
    constant sets in a fixed order (theirs follows the per-process string hash)."""
    h.update(code.co_code + repr(code.co_names).encode())
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _hash_code(h, const)
        elif isinstance(const, frozenset):
            h.update(repr(sorted(map(repr, const))).encode())
        else:
            h.update(repr(const).encode())


def observed_layout(exercise: Exercise, observed: list) -> tuple[np.ndarray, np.ndarray]:
    """observed[i]: a flat vector in the expected layout, RAISED, or None (not comparable)."""
    data = reference_data(exercise)
    status = np.array([RAISED_CASE if isinstance(o, str) else ABSENT if o is None else VALUE for o in observed],
                      dtype=np.int8)
    return data.flatten([o if status[i] == VALUE else None for i, o in enumerate(observed)]), status


def first_match(exercise: Exercise, table: VariantTable, flat: np.ndarray, status: np.ndarray, *,
                ignore_raised: bool) -> Variant | None:
    if not table.variants:
        return None
    data = reference_data(exercise)
    with np.errstate(invalid="ignore"):
        elem_ok = (np.abs(flat - table.values) <= table.tol) | (flat == table.values)
    values_ok = np.logical_and.reduceat(elem_ok, data.starts, axis=1) & (table.status == VALUE)
    is_value, is_raised = status == VALUE, status == RAISED_CASE
    ok = np.where(is_value, values_ok, True)
    if not ignore_raised:
        ok &= np.where(is_raised, table.status == RAISED_CASE, True)
    compared = is_value.any() or (not ignore_raised and is_raised.any())
    if not compared:
        return None
    hits = np.flatnonzero(ok.all(axis=1))
    return table.variants[hits[0]] if hits.size else None


def explain(exercise: Exercise, observed: list) -> tuple[Variant | None, bool]:
    """The simplest variant matching ``observed`` (size 0 = the reference itself).

    Returns (variant, raised_unexplained): when no variant reproduces the exceptions too, the
    simplest one that reproduces all returned values is reported and the exceptions left to `raises`.
    """
    flat, status = observed_layout(exercise, observed)
    for ignore_raised in (False, True):
        for size in range(0, exercise.max_combination + 1):
            found = first_match(exercise, variant_table(exercise, size), flat, status, ignore_raised=ignore_raised)
            if found is not None:
                return found, ignore_raised
    return None, False
