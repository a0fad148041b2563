"""The losses of a fused training step: forward and backward in one pass per row.

Used by :mod:`._train_kernel`: softmax cross-entropy, mean squared error and sigmoid binary
cross-entropy of a batch, each writing the gradient of the batch's mean loss into ``d``, with
the formulas of the op kernels (:mod:`._formulas`), so the numbers are those of the
layer-by-layer path. Inlined into the kernel at Numba's level; the kernel calls the one its
loss code (a constant) names, so the other two are dropped before inlining, which copies a
function's whole body (each copy costs a cold start, issue 12).
"""

from __future__ import annotations

import numpy as np

from . import _formulas as F
from ._jit import jit_inline

# The losses of a batch, with the op kernels' formulas. ``weighted``: ``w`` holds the batch's
# sample weights (model dtype) and ``wsum`` their F.weight_sum (> 0); each row's loss counts
# ``w_i`` times and the totals returned are then divided by ``wsum`` (times k) by the caller.
# Unweighted, ``w`` is unused and ``wsum`` the batch size.


@jit_inline
def xent(logits, y, d, w, wsum, weighted):
    """Softmax cross-entropy: returns (sum of per-row losses, correct argmaxes); writes
    ``d = (softmax - onehot) / n``, as the reference's softmax_xent and its backward
    (``w_i (softmax - onehot) / wsum`` when weighted)."""
    dt = logits.dtype.type
    n, k = logits.shape
    nf = dt(wsum)
    total, correct = 0.0, 0
    one = dt(1)
    for i in range(n):
        wi = one
        if weighted:
            wi = w[i]
        true_logit = logits[i, y[i]]
        top, s = F.softmax_row(logits[i], d[i])
        row = F.xent_from_softmax(s, true_logit, top)
        best = 0
        for j in range(1, k):
            if logits[i, j] > logits[i, best]:
                best = j
        correct += best == y[i]
        if weighted:
            total += np.float64(wi) * row
            for j in range(k):
                d[i, j] = (wi * d[i, j]) / nf
            d[i, y[i]] -= wi / nf
        else:
            total += row
            for j in range(k):
                d[i, j] = d[i, j] / nf
            d[i, y[i]] -= one / nf
    return total, correct


@jit_inline
def mse(pred, target, d, w, wsum, weighted):
    """Mean squared error: returns the sum of squared errors; writes ``d = 2 (p - t) / (n k)``
    (``(p - t) * (2 w_i / (wsum k))`` when weighted)."""
    n, k = pred.shape
    scale = pred.dtype.type(2 / (n * k))
    total = 0.0
    for i in range(n):
        if weighted:
            total += np.float64(w[i]) * F.add_squared_errors(0.0, pred[i], target[i])
            scale = pred.dtype.type(2.0 * np.float64(w[i]) / (wsum * k))
        else:
            total = F.add_squared_errors(total, pred[i], target[i])
        for j in range(k):
            d[i, j] = (pred[i, j] - target[i, j]) * scale
    return total


@jit_inline
def bce(logits, target, d, w, wsum, weighted):
    """Sigmoid binary cross-entropy: returns the sum of the per-element losses; writes
    ``d = (sigmoid(z) - t) / (n k)``, as the reference's sigmoid_bce and its backward
    (``w_i (sigmoid(z) - t) / (wsum k)`` when weighted)."""
    n, k = logits.shape
    size = logits.dtype.type(wsum * k)
    total = 0.0
    one = logits.dtype.type(1)
    for i in range(n):
        wi = one
        if weighted:
            wi = w[i]
        row = 0.0
        for j in range(k):
            z = logits[i, j]
            loss = F.bce_element(z, target[i, j])
            g = F.sigmoid(z) - target[i, j]
            if weighted:
                row += loss
                d[i, j] = (wi * g) / size
            else:
                total += loss
                d[i, j] = g / size
        if weighted:
            total += np.float64(wi) * row
    return total
