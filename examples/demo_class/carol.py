# Carol - residual unit homework
import numpy as np


def residual_block(x, w1, w2):
    # x is a row vector so multiply it from the left
    h = np.maximum(0, x @ w1)
    # second layer
    out = h @ w2 + x
    out = np.maximum(0, out)
    return out


if __name__ == "__main__":
    # worked example 1 from the handout
    print(residual_block(np.array([1.0, 2.0]), np.eye(2), 0.5 * np.eye(2)))  # should be [1.5 3. ]
