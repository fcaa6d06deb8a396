import numpy as np


def residual_block(x, w1, w2):
    n = len(x)
    h = len(w1)
    hidden = [0.0] * h
    for i in range(h):
        total = 0.0
        for j in range(n):
            total += float(w1[i][j]) * float(x[j])
        hidden[i] = total if total > 0 else 0.0
    out = np.zeros(n, dtype=float)
    for i in range(n):
        total = float(x[i])
        for k in range(h):
            total += float(w2[i][k]) * hidden[k]
        out[i] = total if total > 0 else 0.0
    return out
