"""The optimizers' update rules of the Numba path, one parameter element at a time.

SGD (with momentum, Nesterov's or not), RMSprop and Adam/AdamW. Every argument is already in
the parameter's float type, derived constants such as ``1 - beta1`` computed by the caller in
float64 first, exactly as the reference does; the expressions keep the reference's operation
order, so float32 results round the same way. The rules every formula keeps are set out in
:mod:`._formulas`, through which kernels call these.
"""

from __future__ import annotations

import numpy as np

from ._jit import formula


@formula
def sgd_element(p, g, velocity, lr, momentum, nesterov, wd, use_wd, use_momentum):
    """One SGD step of one element; returns ``(new p, new velocity)``."""
    if use_wd:
        g = g + wd * p
    if use_momentum:
        velocity = velocity * momentum + g
        if nesterov:
            g = g + momentum * velocity
        else:
            g = velocity
    return p - lr * g, velocity


@formula
def rmsprop_element(p, g, sq_avg, lr, rho, one_minus_rho, eps, wd, use_wd):
    """One RMSprop step of one element; returns ``(new p, new sq_avg)``."""
    if use_wd:
        g = g + wd * p
    sq_avg = sq_avg * rho + one_minus_rho * g * g
    return p - lr * g / (np.sqrt(sq_avg) + eps), sq_avg


@formula
def adam_element(p, g, m, v, beta1, c1, beta2, c2, step_size, bc2_sqrt, eps, wd, use_l2,
                 shrink, use_shrink):
    """One Adam/AdamW step of one element; returns ``(new p, new m, new v)``.

    ``use_shrink``: decoupled decay (AdamW), ``p *= shrink`` first; ``use_l2``: ``wd * p`` joins
    the gradient (Adam's L2). ``step_size = lr / (1 - beta1**t)``, ``bc2_sqrt = sqrt(1 -
    beta2**t)``.
    """
    if use_shrink:
        p = p * shrink
    if use_l2:
        g = g + wd * p
    m = m * beta1 + c1 * g
    v = v * beta2 + c2 * g * g
    return p - step_size * m / (np.sqrt(v) / bc2_sqrt + eps), m, v
