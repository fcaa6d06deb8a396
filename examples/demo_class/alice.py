"""Residual unit -- Alice's submission.

I used einsum because it makes the index bookkeeping explicit:
  hidden_h = sum_n w1[h, n] * x[n]
  out_n    = sum_h w2[n, h] * hidden[h]
"""

import numpy as np


def relu(v):
    return np.maximum(v, 0.0)


def residual_block(x, w1, w2):
    x = np.asarray(x, dtype=float)
    hidden = relu(np.einsum("hn,n->h", w1, x))  # first layer, shape (h,)
    branch = np.einsum("nh,h->n", w2, hidden)  # back to shape (n,)
    return relu(branch + x)  # skip connection, then the final ReLU
