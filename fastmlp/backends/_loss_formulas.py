"""The losses of the Numba path, one row or one element at a time, and the weights' sum.

The softmax of a row and its cross-entropy, the squared errors of a row, the binary
cross-entropy of one logit, and the sum of a batch's sample weights that every weighted kernel
divides by. Loss values come out in float64 (the softmax itself stays in the row's type). The
rules every formula keeps are set out in :mod:`._formulas`, through which kernels call these.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import formula
from ._scalar_math import exp


@formula
def softmax_row(z, out):
    """``out = softmax(z)`` for one row ``z (k,)``; returns ``(max of z, sum of exp(z - max))``.

    Shifting by the row max keeps every exp <= 1. The sum runs in a loop of its own, in
    order: an in-order float sum cannot vectorise, the exps can.
    """
    k = z.shape[0]
    top = z[0]
    for j in range(1, k):
        if z[j] > top:
            top = z[j]
    for j in range(k):
        out[j] = exp(z[j] - top)
    total = out.dtype.type(0)
    for j in range(k):
        total += out[j]
    for j in range(k):
        out[j] = out[j] / total
    return top, total


@formula
def xent_from_softmax(total, true_logit, top):
    """One row's cross-entropy, ``log(sum exp(z - max)) - (z[y] - max)``, in float64."""
    return math.log(np.float64(total)) - np.float64(true_logit - top)


@formula
def bce_element(z, t):
    """Binary cross-entropy of one logit ``z`` against a target ``t`` in [0, 1], in float64.

    ``max(z, 0) - z t + log(1 + exp(-|z|))``: the log-sigmoid stable form (the exp never
    overflows), NaN propagating as the reference's ``np.maximum`` does.
    """
    z64, t64 = np.float64(z), np.float64(t)
    top = z64
    if z64 < 0.0:
        top = 0.0
    return top - z64 * t64 + math.log1p(math.exp(-abs(z64)))


@formula
def weight_sum(w):
    """The sum of a batch's sample weights ``w (B,)``, in order, in float64: every kernel
    divides by this same number, so the fused and the op-by-op paths round alike."""
    total = 0.0
    for i in range(w.shape[0]):
        total += np.float64(w[i])
    return total


@formula
def squared_error(p, t):
    """``(p - t)**2`` of one element, the difference taken in the element's type, squared in
    float64."""
    d = np.float64(p - t)
    return d * d


@formula
def add_squared_errors(total, pred, target):
    """``total + sum((pred - target)**2)`` over one row, in order, accumulated in float64.

    Taking the running total (rather than returning a row sum) keeps the summation order of
    one flat loop over the whole batch, whichever way a caller walks the rows.
    """
    for j in range(pred.shape[0]):
        total += squared_error(pred[j], target[j])
    return total
