import functools

import numpy as np


def relu(v):
    return np.maximum(v, 0.0)


class Dense:
    def __init__(self, weights, activation=None):
        self.weights = np.asarray(weights, dtype=float)
        self.activation = activation

    def __call__(self, v):
        out = self.weights @ v
        return self.activation(out) if self.activation is not None else out


class ResidualUnit:
    def __init__(self, w1, w2):
        self.branch = [Dense(w1, relu), Dense(w2)]

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        branch = functools.reduce(lambda v, layer: layer(v), self.branch, x)
        return relu(branch + x)


def residual_block(x, w1, w2):
    return ResidualUnit(w1, w2)(x)
