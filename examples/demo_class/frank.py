import numpy as np


def ReLU(v):
    return v * (v > 0)


def residual_block(x, w1, w2):
    # forward pass through the two layers (weights are applied on the right, like in PyTorch's nn.Linear?)
    h1 = ReLU(x @ w1)
    h2 = ReLU(h1 @ w2)   # each layer gets its activation
    # residual / skip connection
    return ReLU(h2 + x)
