"""The compiled activation kernels behind :mod:`fastmlp.backends.numba_ops`, one per op.

Each activation's forward and backward pass is one loop over flat views of its arrays, the
softmax one loop over rows, calling the formulas of :mod:`._formulas`; the conventions every
op kernel follows are set out in :mod:`._op_kernels`.
"""

from __future__ import annotations

from . import _formulas as F
from ._jit import jit
from ._scalar_math import tanh


@jit
def relu_forward(z, out):
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.relu(zf[i])


@jit
def relu_backward(z, da, out):
    zf, daf, of = z.ravel(), da.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.relu_grad(daf[i], zf[i])


@jit
def leaky_relu_forward(z, alpha, out):
    slope = z.dtype.type(alpha)
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.leaky_relu(zf[i], slope)


@jit
def leaky_relu_backward(z, alpha, da, out):
    slope = z.dtype.type(alpha)
    zf, daf, of = z.ravel(), da.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.leaky_relu_grad(daf[i], zf[i], slope)


@jit
def sigmoid_forward(z, out):
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.sigmoid(zf[i])


@jit
def sigmoid_backward(a, da, out):
    af, daf, of = a.ravel(), da.ravel(), out.ravel()
    for i in range(af.size):
        of[i] = F.sigmoid_grad(daf[i], af[i])


@jit
def tanh_forward(z, out):
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = tanh(zf[i])


@jit
def tanh_backward(a, da, out):
    af, daf, of = a.ravel(), da.ravel(), out.ravel()
    for i in range(af.size):
        of[i] = F.tanh_grad(daf[i], af[i])


@jit
def softmax_forward(z, out):
    for i in range(z.shape[0]):
        F.softmax_row(z[i], out[i])
