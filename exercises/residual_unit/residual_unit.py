"""Residual unit exercise: edit this file.

Implement ``residual_block`` below, then self-check from the repository root with::

    pytest exercises
"""

import numpy as np


def residual_block(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """Compute a simple residual unit (a ResNet building block) for one input vector.

    The unit applies two linear layers with a ReLU in between, adds the input back through
    the identity shortcut (the skip connection), and applies a final ReLU::

        y = ReLU(w2 @ ReLU(w1 @ x) + x)

    where ``ReLU(v) = max(0, v)`` is applied element-wise.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        The input vector.
    w1 : np.ndarray, shape (h, n)
        Weights of the first layer: they map the input (n values) to the hidden layer
        (h values). The hidden width h may differ from n.
    w2 : np.ndarray, shape (n, h)
        Weights of the second layer: they map the hidden layer (h values) back to n values,
        so that the result can be added to x.

    Returns
    -------
    np.ndarray, shape (n,)
        The output ``y`` as a float array. Every element is >= 0.

    Notes
    -----
    Do not modify ``x``, ``w1`` or ``w2``: the caller may still need them.

    Examples
    --------
    With x = [1.0, 2.0], w1 the 2x2 identity matrix and w2 = 0.5 times the identity:

        x  = np.array([1.0, 2.0])
        w1 = np.array([[1.0, 0.0], [0.0, 1.0]])
        w2 = np.array([[0.5, 0.0], [0.0, 0.5]])
        residual_block(x, w1, w2)   # -> array([1.5, 3. ])

    (w1 @ x = [1, 2]; ReLU keeps it; w2 @ [1, 2] = [0.5, 1]; adding x gives [1.5, 3];
    the final ReLU keeps it.)
    """
    raise NotImplementedError("residual_block is not implemented yet: edit exercises/residual_unit/residual_unit.py")
