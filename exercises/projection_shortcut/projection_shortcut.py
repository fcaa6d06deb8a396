"""Projection shortcut exercise: edit this file.

Implement ``projection_block`` below, then self-check from the repository root with::

    pytest exercises/projection_shortcut
"""

import numpy as np


def projection_block(x: np.ndarray, w1: np.ndarray, w2: np.ndarray, ws: np.ndarray | None = None) -> np.ndarray:
    """Compute a residual block whose shortcut may need a projection to match the output size.

    The block applies two linear layers with a ReLU in between, adds a shortcut ``s``, and
    applies a final ReLU::

        y = ReLU(w2 @ ReLU(w1 @ x) + s)

    where ``ReLU(v) = max(0, v)`` is applied element-wise and the shortcut is

    - ``s = x`` (the identity shortcut) when ``ws`` is None; this only works when the output
      size m equals the input size n;
    - ``s = ws @ x`` (a linear projection, no ReLU) when ``ws`` is given.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        The input vector.
    w1 : np.ndarray, shape (h, n)
        Weights of the first layer: n inputs -> h hidden units.
    w2 : np.ndarray, shape (m, h)
        Weights of the second layer: h hidden units -> m outputs. m may differ from n.
    ws : np.ndarray of shape (m, n), or None
        The projection of the shortcut: it maps x (n values) to m values. None means the
        identity shortcut.

    Returns
    -------
    np.ndarray, shape (m,)
        The output ``y`` as a float array. Every element is >= 0.

    Raises
    ------
    ValueError
        When ``ws`` is None and m != n: x cannot be added to an output of another size. The
        message must name both shapes (for example ``(3,)`` and ``(2,)``) and say that a
        projection is needed. Do not cut x down or pad it with zeros instead.

    Notes
    -----
    Do not modify ``x``, ``w1``, ``w2`` or ``ws``: the caller may still need them.

    Examples
    --------
    Identity shortcut (m = n = 2):

        x  = np.array([1.0, -2.0])
        w1 = np.array([[1.0, 0.0], [1.0, 1.0]])
        w2 = np.array([[0.5, 0.0], [0.0, 1.0]])
        projection_block(x, w1, w2)        # -> array([1.5, 0. ])

    Projection from n = 2 to m = 3:

        x  = np.array([1.0, 2.0])
        w1 = np.array([[1.0, -1.0], [0.5, 0.5]])
        w2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -2.0]])
        ws = np.array([[1.0, 0.0], [1.0, -1.0], [0.5, 0.5]])
        projection_block(x, w1, w2, ws)    # -> array([1. , 0.5, 0. ])
        projection_block(x, w1, w2)        # raises ValueError: m = 3 but n = 2
    """
    raise NotImplementedError(
        "projection_block is not implemented yet: edit exercises/projection_shortcut/projection_shortcut.py"
    )
