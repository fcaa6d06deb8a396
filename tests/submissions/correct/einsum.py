import numpy as np


def residual_block(x, w1, w2):
    x = np.asarray(x, dtype=float)
    hidden = np.maximum(np.einsum("hn,n->h", w1, x), 0.0)
    return np.maximum(np.einsum("nh,h->n", w2, hidden) + x, 0.0)
