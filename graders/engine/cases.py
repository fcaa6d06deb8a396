"""The inputs every learner is graded on: worked examples, then Hypothesis-drawn case sets.

Drawing is deterministic: each case set is drawn with a fixed seed derived from the exercise's seed,
so every learner of an exercise version gets the same cases, and a regrade reproduces them. The
digest of all cases is recorded in every report.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from graders.engine.disk_cache import cache_dir, save_arrays
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.kind import REPO_ROOT


@dataclass(frozen=True, eq=False)
class Case:
    set_name: str
    index: int
    args: tuple[np.ndarray, ...]
    label: str = ""

    @cached_property
    def complexity(self) -> tuple:
        """complexity(args), computed once: feedback orders failing cases by it many times."""
        return complexity(self.args)


@dataclass(frozen=True, eq=False)
class CaseBook:
    cases: tuple[Case, ...]
    digest: str

    def of_set(self, name: str) -> list[Case]:
        return [c for c in self.cases if c.set_name == name]


def as_arg(a):
    """An argument as drawn: a float array, or a plain None/bool/int/float kept as it is."""
    if a is None or isinstance(a, (bool, int, float)):
        return a
    return np.array(a, dtype=float)


def as_args(raw) -> tuple:
    return tuple(as_arg(a) for a in raw)


def arrays_of(args) -> list[np.ndarray]:
    return [a for a in args if isinstance(a, np.ndarray)]


@contextmanager
def without_local_constants():
    """Recent Hypothesis mixes literals found in every loaded *local* module into generation, so the
    drawn cases would depend on what happens to be imported and on how the kit is installed. Blank
    that pool while drawing (a kit test checks the cases are the same under different imports)."""
    try:
        from hypothesis.internal.conjecture import providers

        original, cache, empty = providers._get_local_constants, providers.CONSTANTS_CACHE, providers.Constants()
    except (ImportError, AttributeError):  # a Hypothesis without the feature
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def draw(strategy, count: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    drawn: list[tuple[np.ndarray, ...]] = []
    seen: set[bytes] = set()

    @hypothesis_seed(seed)
    @settings(max_examples=count + 20, phases=[Phase.generate], database=None, deadline=None,
              derandomize=False, suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(strategy)
    def collect(raw):
        args = as_args(raw)
        key = case_key(args)
        if key not in seen and len(drawn) < count:
            seen.add(key)
            drawn.append(args)

    with without_local_constants():
        collect()
    return drawn


def case_key(args) -> bytes:
    h = hashlib.sha256()
    for a in args:
        if not isinstance(a, np.ndarray):
            h.update(f"py:{a!r};".encode())
            continue
        h.update(repr(a.shape).encode())
        h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    return h.digest()


@cache
def case_book(exercise: Exercise) -> CaseBook:
    """The shared cases, drawn once per exercise version (and kept in an on-disk cache, since drawing
    takes seconds; the cache is keyed by everything that could change the draw)."""
    path = cache_path(exercise)
    if path is not None:
        cached = load_book(path)
        if cached is not None:
            return cached
    book = draw_book(exercise)
    if path is not None:
        save_book(path, book)
    return book


def draw_book(exercise: Exercise) -> CaseBook:
    """The worked examples, then every case set drawn afresh (no cache)."""
    cases = [Case("examples", i, as_args(e.args), f"worked example {i + 1}") for i, e in enumerate(exercise.examples)]
    for offset, case_set in enumerate(exercise.case_sets):
        for i, args in enumerate(draw(case_set.strategy, case_set.count, exercise.seed + offset)):
            cases.append(Case(case_set.name, i, args))
    return CaseBook(tuple(cases), book_digest(cases))


def book_digest(cases) -> str:
    return hashlib.sha256(b"".join(case_key(c.args) for c in cases)).hexdigest()[:16]


def cache_path(exercise: Exercise) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    h = hashlib.sha256(f"{exercise.name}|{exercise.version}|{exercise.seed}|{generator_version()}".encode())
    for source in exercise.package_files() + sorted((REPO_ROOT / "graders" / "shared").glob("*.py")):
        h.update(source.read_bytes())
    return root / f"cases-{exercise.name}-{h.hexdigest()[:20]}.npz"


def save_book(path: Path, book: CaseBook) -> None:
    arrays = {f"c{i}_{j}": a for i, c in enumerate(book.cases) for j, a in enumerate(c.args) if isinstance(a, np.ndarray)}
    plain = [{str(j): a for j, a in enumerate(c.args) if not isinstance(a, np.ndarray)} for c in book.cases]
    meta = json.dumps({"digest": book.digest, "plain": plain,
                       "cases": [[c.set_name, c.index, c.label, len(c.args)] for c in book.cases]})
    save_arrays(path, __meta__=np.array(meta), **arrays)


def load_book(path: Path) -> CaseBook | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            plain = meta["plain"]
            cases = tuple(Case(name, index, tuple(plain[i][str(j)] if str(j) in plain[i] else data[f"c{i}_{j}"]
                                                  for j in range(n)), label)
                          for i, (name, index, label, n) in enumerate(meta["cases"]))
    except Exception:  # noqa: BLE001 - any damage (truncated zip, wrong keys) means: draw again
        return None
    if book_digest(cases) != meta["digest"]:
        return None
    return CaseBook(cases, meta["digest"])


def generator_version() -> str:
    return f"hypothesis {hypothesis.__version__}, numpy {np.__version__}"


# ------------------------------------------------------------------------------------- shrinking
def complexity(args) -> tuple:
    """Smaller is simpler: fewer elements, more zeros, more integers, smaller magnitudes."""
    arrays = arrays_of(args)
    flat = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    return (int(flat.size), int(np.count_nonzero(flat)), int(np.count_nonzero(flat != np.round(flat))),
            float(np.abs(flat).sum()))


def shrink_candidates(exercise: Exercise, args: tuple[np.ndarray, ...], limit: int = 160):
    """Simpler variants of a case, most aggressive first: drop a dimension index, zero, round, halve."""
    sizes = exercise.sizes(args)
    out: list[tuple] = []
    for symbol, size in sizes.items():
        if size <= 1 or symbol in exercise.fixed_dims:
            continue
        for i in range(size):
            out.append(tuple(_delete(a, exercise.dims.get(name, ()), symbol, i)
                             for name, a in zip(exercise.parameters, args)))
    array_positions = [k for k, a in enumerate(args) if isinstance(a, np.ndarray)]
    for k in array_positions:
        if np.any(args[k] != 0):
            out.append(_replace(args, k, np.zeros_like(args[k])))
    for k in array_positions:
        arr = args[k]
        for idx in zip(*np.nonzero(arr)):
            v = float(arr[idx])
            for simpler in _simpler_numbers(v):
                new = arr.copy()
                new[idx] = simpler
                out.append(_replace(args, k, new))
            if len(out) >= limit:
                return out[:limit]
    return out[:limit]


def _simpler_numbers(v: float) -> list[float]:
    options = [0.0]
    if v != round(v):
        options += [float(np.trunc(v)), float(np.round(v))]
    elif abs(v) > 1:
        options += [float(np.sign(v)), float(v - np.sign(v))]
    if v < 0:
        options.append(-v)
    return [o for o in dict.fromkeys(options) if o != v]


def _delete(arr, dims: tuple[str, ...], symbol: str, index: int):
    if not isinstance(arr, np.ndarray):
        return arr
    for axis, s in enumerate(dims):
        if s == symbol:
            arr = np.delete(arr, index, axis=axis)
    return arr


def _replace(args, k, new):
    return tuple(new if j == k else a for j, a in enumerate(args))
