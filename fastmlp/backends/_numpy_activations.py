"""The reference backend's activations and softmax (re-exported by :mod:`.numpy_ops`).

Vectorised NumPy that reads like the maths; every op writes into the caller's ``out``.
"""

from __future__ import annotations

import numpy as np


def relu_forward(z, out):
    """``out = max(z, 0)``; z and out are ``(n, m)``."""
    np.maximum(z, 0, out=out)


def relu_backward(z, da, out):
    """``out = da * [z > 0]``; z, da and out are ``(n, m)``."""
    np.multiply(da, z > 0, out=out)


def leaky_relu_forward(z, alpha, out):
    """``out = z`` where ``z > 0``, else ``alpha * z``; arrays are ``(n, m)``."""
    np.multiply(z, np.where(z > 0, 1.0, alpha).astype(z.dtype, copy=False), out=out)


def leaky_relu_backward(z, alpha, da, out):
    """``out = da * (1 if z > 0 else alpha)``; arrays are ``(n, m)``."""
    np.multiply(da, np.where(z > 0, 1.0, alpha).astype(z.dtype, copy=False), out=out)


def sigmoid_forward(z, out):
    """Logistic ``out = 1 / (1 + exp(-z))``, without overflow for large ``|z|``; ``(n, m)``."""
    # exp(-|z|) never overflows; the two branches are algebraically equal.
    e = np.exp(-np.abs(z))
    np.divide(np.where(z >= 0, 1, e), 1 + e, out=out)


def sigmoid_backward(a, da, out):
    """``out = da * a * (1 - a)`` where ``a = sigmoid(z)``; arrays are ``(n, m)``."""
    np.multiply(da, a * (1 - a), out=out)


def tanh_forward(z, out):
    """``out = tanh(z)``; arrays are ``(n, m)``."""
    np.tanh(z, out=out)


def tanh_backward(a, da, out):
    """``out = da * (1 - a**2)`` where ``a = tanh(z)``; arrays are ``(n, m)``."""
    np.multiply(da, 1 - a * a, out=out)


def softmax_forward(z, out):
    """Row-wise softmax of logits ``z`` ``(n, k)`` into ``out`` ``(n, k)``."""
    shifted = z - z.max(axis=1, keepdims=True)
    np.exp(shifted, out=out)
    out /= out.sum(axis=1, keepdims=True)
