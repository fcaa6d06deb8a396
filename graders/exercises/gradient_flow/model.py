"""Per-layer gradient norms of a deep tanh stack, with one knob per catalogued misconception. Numpy only,
self-contained: the kit's tests render it (with overrides) as learner source to prove every catalog entry
is caught.

Forward (h_0 = x, l = 1..L):   z_l = W_l @ h_{l-1},   a_l = tanh(z_l)
    plain:     h_l = a_l
    residual:  h_l = h_{l-1} + a_l
Loss: 0.5 * ||h_L||^2, so dLoss/dh_L = h_L.
Backward (l = L..1):   delta_l = g_l * (1 - a_l**2)     (tanh'(z_l), at the pre-activation z_l)
    plain:     g_{l-1} = W_l.T @ delta_l
    residual:  g_{l-1} = W_l.T @ delta_l + g_l          (the identity path)
Result: [||g_0||, ||g_1||, ..., ||g_{L-1}||]  -- entry l-1 is the gradient arriving at layer l's input.
"""

import numpy as np


def _derivative(kind, z, a, h):
    """d h_l / d z_l of the activation, as a vector; the knob picks a wrong quantity."""
    if kind == "exact":
        return 1.0 - a ** 2  # tanh'(z) = 1 - tanh(z)^2
    if kind == "tanh_of_output":
        return 1.0 - np.tanh(a) ** 2  # tanh' evaluated at the output a = tanh(z)
    if kind == "no_tanh":
        return 1.0 - z ** 2  # 1 - z^2: the tanh inside forgotten
    if kind == "block_output":
        return 1.0 - h ** 2  # 1 - h_l^2 with the residual block's output h_l (skip included)
    if kind == "none":
        return np.ones_like(z)
    raise ValueError(kind)


def model(x, weights, residual, *, ignore_residual=False, identity_backward=True, branch_sign=1.0, derivative="exact",
          transpose=True, reverse=False, squared=False, which="inputs"):
    """The reference with one knob per misconception; with no overrides it is the reference."""
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    skip = bool(residual) and not ignore_residual
    hs, zs, acts = [x], [], []
    for w in weights:
        z = w @ hs[-1]
        a = np.tanh(z)
        zs.append(z)
        acts.append(a)
        hs.append(hs[-1] + branch_sign * a if skip else a)
    g = hs[-1]
    inputs, outputs, weight_grads = [], [], []
    for k in range(len(weights) - 1, -1, -1):  # k = l - 1: layer l is weights[k]
        outputs.append(np.linalg.norm(g))
        delta = g * _derivative(derivative, zs[k], acts[k], hs[k + 1])
        weight_grads.append(np.linalg.norm(np.outer(delta, hs[k])))
        w = weights[k].T if transpose else weights[k]
        back = (branch_sign if skip else 1.0) * (w @ delta)
        if skip and identity_backward:
            back = back + g
        g = back
        inputs.append(np.linalg.norm(g))
    norms = {"inputs": inputs, "outputs": outputs, "weights": weight_grads}[which][::-1]
    norms = np.array(norms, dtype=float).reshape(len(weights))
    if squared:
        norms = norms ** 2
    return norms[::-1] if reverse else norms


def tolerance_scale(x, weights, residual):
    """Magnitude against which each returned norm is judged (times the exercise's rtol): the norm itself,
    times a factor for depth, since every layer of the forward and backward pass adds rounding (float32
    loses about 2e-6 relative over 32 layers). An absolute floor would wave through wrong tiny norms of
    deep plain stacks, so there is none; the generated cases keep tanh out of deep saturation."""
    depth = len(np.asarray(weights))
    return np.abs(model(x, weights, residual)) * (1.0 + depth / 4.0)
