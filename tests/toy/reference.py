import numpy as np


def scaled_pair(x, w, ws=None):
    if ws is None and w.shape[0] != x.shape[0]:
        raise ValueError(f"w has shape {w.shape} and x {x.shape}: a projection ws is needed")
    shortcut = x if ws is None else ws @ x
    y = np.maximum(0.0, w @ x + shortcut)
    return y, 2.0 * y
