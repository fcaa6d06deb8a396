import numpy as np


def residual_block(x, w1, w2):
    xs = [float(v) for v in x]
    hidden = [max(0.0, sum(float(w) * v for w, v in zip(row, xs))) for row in w1]
    out = [max(0.0, sum(float(w) * a for w, a in zip(row, hidden)) + xi) for row, xi in zip(w2, xs)]
    return np.array(out, dtype=float)
