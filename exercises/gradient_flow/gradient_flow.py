"""Gradient flow exercise: edit this file.

Implement ``layer_gradient_norms`` below, then self-check from the repository root with::

    pytest exercises/gradient_flow

and run the experiment (it prints the first/last gradient ratios for depths 2 to 32) with::

    python exercises/gradient_flow/gradient_flow.py
"""

import numpy as np


def layer_gradient_norms(x: np.ndarray, weights: np.ndarray, residual: bool) -> np.ndarray:
    """Per-layer gradient norms of a deep plain or residual tanh stack, for the loss 0.5 * ||h_L||^2.

    Forward pass, with h_0 = x and, for l = 1, ..., L, z_l = W_l @ h_{l-1} and a_l = tanh(z_l)::

        plain    (residual=False):  h_l = a_l
        residual (residual=True):   h_l = h_{l-1} + a_l

    Loss: ``0.5 * ||h_L||^2`` (so the gradient of the loss with respect to h_L is h_L itself).

    Backward pass: with g_l = dLoss/dh_l, compute g_{L-1}, ..., g_1, g_0 by the chain rule
    (tanh'(z) = 1 - tanh(z)**2; in the residual stack the gradient also flows through the skip
    connection). The README derives the formulas and traces two examples step by step.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        The input vector h_0.
    weights : np.ndarray, shape (L, n, n)
        The L square weight matrices; ``weights[l - 1]`` is W_l, the weights of layer l.
    residual : bool
        True for the residual stack, False for the plain stack.

    Returns
    -------
    np.ndarray, shape (L,)
        A float array whose entry ``l - 1`` is ||g_{l-1}|| = ||dLoss/dh_{l-1}||, the Euclidean norm of
        the gradient arriving at the input of layer l: entry 0 is ||dLoss/dx||, entry L - 1 is
        ||dLoss/dh_{L-1}||.

    Notes
    -----
    Do not modify ``x`` or ``weights``: the caller may still need them.

    Examples
    --------
    With zero weights every branch is tanh(0) = 0, so the residual stack is the identity and the
    gradient x reaches every layer unchanged:

        layer_gradient_norms(np.array([3.0, 4.0]), np.zeros((2, 2, 2)), True)    # -> array([5., 5.])
        layer_gradient_norms(np.array([3.0, 4.0]), np.zeros((2, 2, 2)), False)   # -> array([0., 0.])
    """
    raise NotImplementedError("layer_gradient_norms is not implemented yet: edit exercises/gradient_flow/gradient_flow.py")


# ------------------------------------------------------------------------------------------ the experiment
# Not graded beyond layer_gradient_norms itself: run this file to see what your function shows.
EXPERIMENT_DEPTHS = (2, 4, 8, 16, 32)


def experiment_inputs(seed=2026, n=8, sigma=0.5):
    """The experiment's input x (n,) and 32 weight matrices with entries drawn from N(0, sigma^2 / n);
    a stack of depth L uses the first L of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    weights = rng.normal(size=(max(EXPERIMENT_DEPTHS), n, n)) * sigma / np.sqrt(n)
    return x, weights


def experiment_ratios(function=layer_gradient_norms):
    """{"plain": {depth: ratio}, "residual": {depth: ratio}} with ratio = norms[0] / norms[-1]."""
    x, weights = experiment_inputs()
    ratios = {}
    for kind, residual in (("plain", False), ("residual", True)):
        ratios[kind] = {}
        for depth in EXPERIMENT_DEPTHS:
            norms = function(x, weights[:depth], residual)
            ratios[kind][depth] = norms[0] / norms[-1]
    return ratios


def run_experiment():
    """Print the first/last gradient ratio ||dLoss/dx|| / ||dLoss/dh_{L-1}|| for each depth."""
    ratios = experiment_ratios()
    print("depth   plain ratio   residual ratio")
    for depth in EXPERIMENT_DEPTHS:
        print(f"{depth:5d}   {ratios['plain'][depth]:11.3e}   {ratios['residual'][depth]:14.3e}")


if __name__ == "__main__":
    run_experiment()
