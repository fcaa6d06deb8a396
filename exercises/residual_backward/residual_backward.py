"""Residual unit, backward pass: edit this file.

Implement ``residual_block_backward`` below, then self-check from the repository root with::

    pytest exercises/residual_backward
"""

import numpy as np


def residual_block_backward(x: np.ndarray, w1: np.ndarray, w2: np.ndarray, grad_y: np.ndarray):
    """Backpropagate through one residual unit (a ResNet building block) for one input vector.

    The forward pass is::

        z1 = w1 @ x            # hidden pre-activation, shape (h,)
        a  = ReLU(z1)          # hidden activation,     shape (h,)
        z  = w2 @ a + x        # branch plus shortcut,  shape (n,)
        y  = ReLU(z)           # output,                shape (n,)

    with ``ReLU(v) = max(0, v)`` element-wise. Given ``grad_y = dL/dy`` (the gradient of some loss L
    with respect to the output), return the gradients of L with respect to x, w1 and w2.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        The input vector.
    w1 : np.ndarray, shape (h, n)
        Weights of the first layer (n inputs -> h hidden units). h may differ from n.
    w2 : np.ndarray, shape (n, h)
        Weights of the second layer (h hidden units -> n outputs).
    grad_y : np.ndarray, shape (n,)
        dL/dy, the gradient arriving from above.

    Returns
    -------
    tuple (grad_x, grad_w1, grad_w2) of float np.ndarray
        grad_x = dL/dx with shape (n,), grad_w1 = dL/dw1 with shape (h, n) and
        grad_w2 = dL/dw2 with shape (n, h): each gradient has the shape of what it is the
        gradient of.

    Notes
    -----
    - x reaches z along two paths, through the branch and through the shortcut: both
      contribute to grad_x (see the README, "The backward pass").
    - Inputs are such that no element of z1 or z is 0, so ReLU's derivative is always defined:
      1 where the ReLU's input is positive, 0 where it is negative.
    - Do not modify ``x``, ``w1``, ``w2`` or ``grad_y``.

    Examples
    --------
    With every unit active (README, worked example 1)::

        x      = np.array([1.0, 2.0])
        w1     = np.eye(2)
        w2     = 0.5 * np.eye(2)
        grad_y = np.array([1.0, 1.0])
        residual_block_backward(x, w1, w2, grad_y)
        # -> (array([1.5, 1.5]),
        #     array([[0.5, 1. ], [0.5, 1. ]]),
        #     array([[1., 2.], [1., 2.]]))
    """
    raise NotImplementedError(
        "residual_block_backward is not implemented yet: edit exercises/residual_backward/residual_backward.py")
