"""Every learner gets the same cases; a regrade reproduces every result."""

import os
import subprocess
import sys

import pytest

from graders.engine.cases import case_book
from graders.report.data import report_dict
from tests.conftest import REPO

DIGEST = "from graders.exercises import get; from graders.engine.cases import case_book; print(case_book(get('residual_unit')).digest)"


@pytest.mark.parametrize("first_import", ["", "import graders.sandbox.launcher; ", "import graders.engine.grading; ",
                                          "import tests.conftest; "])
def test_cases_are_identical_whatever_else_is_loaded(exercise, first_import):
    # Hypothesis would otherwise mix constants from loaded modules into the draw
    env = {**os.environ, "GRADEKIT_NO_CACHE": "1"}  # draw afresh, do not read the on-disk cache
    other = subprocess.run([sys.executable, "-c", first_import + DIGEST], capture_output=True, text=True, cwd=REPO,
                           check=True, env=env)
    assert other.stdout.strip() == case_book(exercise).digest


def test_regrade_reproduces_every_result(grade):
    source = "import numpy as np\ndef residual_block(x, w1, w2):\n    return np.maximum(0, w2 @ (w1 @ x) + x)\n"
    first, second = (report_dict(grade(source)) for _ in range(2))
    for data in (first, second):
        data.pop("elapsed")
    assert first == second
    assert first["diagnoses"] == ["missing_first_relu"]
    assert first["seed"] == 20261122


def test_cached_cases_are_the_drawn_cases(exercise, tmp_path, monkeypatch):
    from graders.engine import cases

    monkeypatch.setenv("GRADEKIT_CACHE_DIR", str(tmp_path))
    path = cases.cache_path(exercise)
    cases.save_book(path, case_book(exercise))
    loaded = cases.load_book(path)
    assert loaded.digest == case_book(exercise).digest
    assert [c.set_name for c in loaded.cases] == [c.set_name for c in case_book(exercise).cases]
    path.write_bytes(path.read_bytes()[:-40])  # a damaged cache is ignored, never trusted
    assert cases.load_book(path) is None


def test_cached_variant_tables_are_the_computed_ones_and_follow_the_model(exercise, tmp_path, monkeypatch):
    import dataclasses

    import numpy as np

    from graders.engine import variants

    monkeypatch.setenv("GRADEKIT_CACHE_DIR", str(tmp_path))
    variants.variant_table.cache_clear()
    try:
        computed = variants.variant_table(exercise, 1)
        path = variants.table_path(exercise, 1, computed.variants)
        assert path.exists() and path.parent == tmp_path
        variants.variant_table.cache_clear()  # read back from disk: the same table
        np.testing.assert_array_equal(variants.variant_table(exercise, 1).values, computed.values)
        np.testing.assert_array_equal(variants.variant_table(exercise, 1).status, computed.status)
        # another model under the same name and files (an exercise built in memory) gets its own file
        doubled = dataclasses.replace(exercise, model=lambda *args, **kw: 2 * exercise.model(*args, **kw))
        assert variants.table_path(doubled, 1, computed.variants) != path
        assert not np.allclose(np.nan_to_num(variants.variant_table(doubled, 1).values),
                               np.nan_to_num(computed.values))
        # a damaged or foreign file is computed again, never trusted
        variants.variant_table.cache_clear()
        np.savez(path, values=np.zeros((1, 1)), status=np.zeros((1, 1), dtype=np.int8))
        np.testing.assert_array_equal(variants.variant_table(exercise, 1).values, computed.values)
        variants.variant_table.cache_clear()
        path.write_bytes(b"not a zip")
        np.testing.assert_array_equal(variants.variant_table(exercise, 1).status, computed.status)
    finally:
        variants.variant_table.cache_clear()


def test_the_cache_keeps_a_few_files_per_exercise_not_every_version(tmp_path):
    import numpy as np

    from graders.engine.disk_cache import KEEP, load_arrays, save_arrays

    for i in range(6):
        old = tmp_path / f"variants-ex-1-{i:020x}.npz"
        np.savez(old, values=np.zeros(1))
        os.utime(old, (1000 + i, 1000 + i))
    np.savez(tmp_path / "variants-ex-2-0.npz", values=np.zeros(1))  # another family: untouched
    np.savez(tmp_path / "variants-ex_b-1-0.npz", values=np.zeros(1))
    save_arrays(tmp_path / "variants-ex-1-new.npz", values=np.ones(2))
    kept = sorted(p.name for p in tmp_path.glob("variants-ex-1-*"))
    assert len(kept) == KEEP and "variants-ex-1-new.npz" in kept
    assert [k for k in kept if k != "variants-ex-1-new.npz"] == [f"variants-ex-1-{i:020x}.npz" for i in (3, 4, 5)]
    assert (tmp_path / "variants-ex-2-0.npz").exists() and (tmp_path / "variants-ex_b-1-0.npz").exists()
    assert load_arrays(tmp_path / "variants-ex-1-new.npz", ("values",))["values"].tolist() == [1.0, 1.0]


def test_a_model_with_a_constant_set_gets_the_same_cache_key_in_every_process():
    """Python orders a set of strings by a per-process hash: the key must not (else the cache never hits)."""
    code = ("import hashlib\nfrom graders.engine.variants import _hash_code\n"
            "def model(x, act='relu'):\n    return x if act in {'relu', 'tanh', 'sigmoid', 'gelu', 'elu'} else -x\n"
            "h = hashlib.sha256()\n_hash_code(h, model.__code__)\nprint(h.hexdigest())\n")
    keys = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(1, 6)}
    assert len(keys) == 1
