"""Hidden reference for the gradient-flow exercise. Never shipped to learners."""

import numpy as np


def layer_gradient_norms(x: np.ndarray, weights: np.ndarray, residual: bool) -> np.ndarray:
    """Norms of dLoss/dh_{l-1} for l = 1..L, Loss = 0.5 * ||h_L||^2, in a plain or residual tanh stack."""
    h = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    activations = []
    for w_l in weights:
        a_l = np.tanh(w_l @ h)
        activations.append(a_l)
        h = h + a_l if residual else a_l
    grad = h  # dLoss/dh_L for Loss = 0.5 * ||h_L||^2
    norms = np.zeros(len(weights))
    for k in reversed(range(len(weights))):  # layer l = k + 1
        delta = grad * (1.0 - activations[k] ** 2)  # through tanh, at the pre-activation
        through_branch = weights[k].T @ delta
        grad = through_branch + grad if residual else through_branch
        norms[k] = np.linalg.norm(grad)
    return norms
