"""The fast backend's activations and softmax (re-exported by :mod:`.numba_ops`).

Thin wrappers that check what keeps memory safe (:mod:`._numba_checks`) and run the compiled
kernel of the same name (:mod:`._activation_kernels`); each computes the numbers of the
:mod:`.numpy_ops` op it names.
"""

from __future__ import annotations

import numpy as np

from . import _activation_kernels as K
from ._numba_checks import check_out, elementwise, mismatch


def relu_forward(z, out):
    """``out = max(z, 0)``; see :func:`numpy_ops.relu_forward`."""
    z, _ = elementwise("relu_forward", "z out", out, z)
    K.relu_forward(z, out)


def relu_backward(z, da, out):
    """``out = da * [z > 0]``; see :func:`numpy_ops.relu_backward`."""
    z, da = elementwise("relu_backward", "z da out", out, z, da)
    K.relu_backward(z, da, out)


def leaky_relu_forward(z, alpha, out):
    """``out = z`` where ``z > 0``, else ``alpha * z``; see :func:`numpy_ops.leaky_relu_forward`."""
    z, _ = elementwise("leaky_relu_forward", "z out", out, z)
    K.leaky_relu_forward(z, alpha, out)


def leaky_relu_backward(z, alpha, da, out):
    """``out = da * (1 if z > 0 else alpha)``; see :func:`numpy_ops.leaky_relu_backward`."""
    z, da = elementwise("leaky_relu_backward", "z da out", out, z, da)
    K.leaky_relu_backward(z, alpha, da, out)


def sigmoid_forward(z, out):
    """Logistic ``out = 1 / (1 + exp(-z))``; see :func:`numpy_ops.sigmoid_forward`."""
    z, _ = elementwise("sigmoid_forward", "z out", out, z)
    K.sigmoid_forward(z, out)


def sigmoid_backward(a, da, out):
    """``out = da * a * (1 - a)``; see :func:`numpy_ops.sigmoid_backward`."""
    a, da = elementwise("sigmoid_backward", "a da out", out, a, da)
    K.sigmoid_backward(a, da, out)


def tanh_forward(z, out):
    """``out = tanh(z)``; see :func:`numpy_ops.tanh_forward`."""
    z, _ = elementwise("tanh_forward", "z out", out, z)
    K.tanh_forward(z, out)


def tanh_backward(a, da, out):
    """``out = da * (1 - a**2)``; see :func:`numpy_ops.tanh_backward`."""
    a, da = elementwise("tanh_backward", "a da out", out, a, da)
    K.tanh_backward(a, da, out)


def softmax_forward(z, out):
    """Row-wise softmax; see :func:`numpy_ops.softmax_forward`."""
    z = np.ascontiguousarray(z)
    if z.ndim != 2 or z.shape[1] == 0 or out.shape != z.shape:
        mismatch("softmax_forward", z=z.shape, out=out.shape)
    check_out("softmax_forward", "out", out)
    K.softmax_forward(z, out)
