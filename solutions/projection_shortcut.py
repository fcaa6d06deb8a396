"""Hidden reference for the projection-shortcut exercise. Never shipped to learners."""

import numpy as np


def projection_block(x: np.ndarray, w1: np.ndarray, w2: np.ndarray, ws: np.ndarray | None = None) -> np.ndarray:
    """y = ReLU(w2 @ ReLU(w1 @ x) + s), with s = x if ws is None else ws @ x."""
    x = np.asarray(x, dtype=float)
    m, n = np.shape(w2)[0], x.shape[0]
    if ws is None and m != n:
        raise ValueError(f"the residual branch has shape ({m},) but x has shape ({n},): the identity "
                         f"shortcut cannot be added, a projection ws of shape ({m}, {n}) is needed")
    shortcut = x if ws is None else np.asarray(ws, dtype=float) @ x
    a1 = np.maximum(0.0, np.asarray(w1, dtype=float) @ x)
    return np.maximum(0.0, np.asarray(w2, dtype=float) @ a1 + shortcut)
