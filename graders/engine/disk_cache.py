"""The on-disk cache of what the grader computes once per exercise version (the drawn cases, the catalog
variants' outputs): arrays in .npz files (never pickles), under $GRADEKIT_CACHE_DIR, else
$XDG_CACHE_HOME/gradekit or ~/.cache/gradekit; GRADEKIT_NO_CACHE=1 turns it off. Callers key each file by
everything its content depends on and check what they load; a damaged file is computed again."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def cache_dir() -> Path | None:
    if os.environ.get("GRADEKIT_NO_CACHE"):
        return None
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("GRADEKIT_CACHE_DIR") or home_cache / "gradekit")


KEEP = 4  # files kept per family (an exercise's cases, its variants of one size): the newest


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Written atomically; a read-only or full disk only costs the computing time next run. ``path`` is
    named <family>-<key>.npz: of one family only the KEEP newest files stay (every change to an exercise
    or to the kit makes a new key, and the old files would pile up)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        return
    family = path.name.rsplit("-", 1)[0]
    older = sorted((p for p in path.parent.glob(f"{family}-*.npz") if p != path and ".tmp." not in p.name),
                   key=_modified, reverse=True)
    for stale in older[KEEP - 1:]:
        try:
            stale.unlink()
        except OSError:
            pass  # another process pruned it first


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def load_arrays(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The named arrays of a cache file, or None (missing, damaged, or without one of them)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in names}
    except Exception:  # noqa: BLE001 - any damage (truncated zip, wrong keys) means: compute again
        return None
