import numpy as np


def residual_block(x, w1, w2):
    x = np.asarray(x, dtype=float)
    h, n = w1.shape

    # compute the hidden layer one neuron at a time
    hidden = np.zeros(h)
    i = 0
    while i < h:
        s = 0.0
        for j in range(n):
            s += w1[i, j] * x[j]
        if s > 0:
            hidden[i] = s
            i += 1  # TODO: move on to the next neuron
        # (negative neurons stay 0)

    out = w2 @ hidden + x
    return np.maximum(out, 0)
