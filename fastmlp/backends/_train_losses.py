"""The losses of a fused training step: forward and backward in one pass per row.

Used by :mod:`._train_kernel`: softmax cross-entropy, mean squared error and sigmoid binary
cross-entropy of a batch, each writing the gradient of the batch's mean loss into ``d``, with
the formulas of the op kernels (:mod:`._formulas`), so the numbers are those of the
layer-by-layer path. Each works on some rows of the batch (a member's share, :mod:`._team`)
and writes their terms of the loss's float64 sum into ``terms``: :func:`mean_of_terms` then
adds them up in the order of the reference's one loop over the batch, whoever wrote them.
Inlined into the kernel at Numba's level; the kernel calls the one its loss code (a constant)
names, so the other two are dropped before inlining, which copies a function's whole body
(each copy costs a cold start, issue 12).
"""

from __future__ import annotations

import numpy as np

from . import _formulas as F
from ._jit import jit_inline

# The losses of a batch, with the op kernels' formulas, on its rows [r0, r1). ``weighted``:
# ``w`` holds the batch's sample weights (model dtype) and ``wsum`` their F.weight_sum (> 0);
# each row's loss counts ``w_i`` times and the sum of the terms is then divided by ``wsum``
# (times k) by the caller. Unweighted, ``w`` is unused and ``wsum`` the batch size. The
# terms are one per row (cross-entropy, and every weighted loss: ``w_i`` times the row's
# loss) or one per element (the elementwise losses unweighted: the reference sums them in
# one flat loop), at the row's (or element's) index.


@jit_inline
def xent(logits, y, d, w, wsum, weighted, r0, r1, terms, hits):
    """Softmax cross-entropy: writes ``d = (softmax - onehot) / n``, as the reference's
    softmax_xent and its backward (``w_i (softmax - onehot) / wsum`` when weighted), each
    row's loss term, and ``hits[i]``: 1 where the row's argmax is its label."""
    dt = logits.dtype.type
    k = logits.shape[1]
    nf = dt(wsum)
    one = dt(1)
    for i in range(r0, r1):
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
        hits[i] = best == y[i]
        if weighted:
            terms[i] = np.float64(wi) * row
            for j in range(k):
                d[i, j] = (wi * d[i, j]) / nf
            d[i, y[i]] -= wi / nf
        else:
            terms[i] = row
            for j in range(k):
                d[i, j] = d[i, j] / nf
            d[i, y[i]] -= one / nf


@jit_inline
def mse(pred, target, d, w, wsum, weighted, r0, r1, terms):
    """Mean squared error: writes the squared errors' terms and ``d = 2 (p - t) / (n k)``
    (``(p - t) * (2 w_i / (wsum k))`` when weighted)."""
    n, k = pred.shape
    scale = pred.dtype.type(2 / (n * k))
    for i in range(r0, r1):
        if weighted:
            terms[i] = np.float64(w[i]) * F.add_squared_errors(0.0, pred[i], target[i])
            scale = pred.dtype.type(2.0 * np.float64(w[i]) / (wsum * k))
        else:
            for j in range(k):
                terms[i * k + j] = F.squared_error(pred[i, j], target[i, j])
        for j in range(k):
            d[i, j] = (pred[i, j] - target[i, j]) * scale


@jit_inline
def bce(logits, target, d, w, wsum, weighted, r0, r1, terms):
    """Sigmoid binary cross-entropy: writes the per-element losses' terms and
    ``d = (sigmoid(z) - t) / (n k)``, as the reference's sigmoid_bce and its backward
    (``w_i (sigmoid(z) - t) / (wsum k)`` when weighted)."""
    k = logits.shape[1]
    size = logits.dtype.type(wsum * k)
    one = logits.dtype.type(1)
    for i in range(r0, r1):
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
                terms[i * k + j] = loss
                d[i, j] = g / size
        if weighted:
            terms[i] = np.float64(wi) * row


@jit_inline
def mean_of_terms(terms, elementwise, weighted, rows, k, weight):
    """The batch's mean loss: its terms added up in order, in float64, rounded as the
    reference's running sum, over the batch's ``weight`` (its rows', or its sum of sample
    weights), times ``k`` outputs for an ``elementwise`` loss. ``rows`` rows have a term each,
    or ``rows * k`` (one per output) for an unweighted elementwise loss."""
    count, divisor = rows, weight
    if elementwise:
        divisor = weight * k
        if not weighted:
            count = rows * k
    total = 0.0
    for t in range(count):
        total += terms[t]
    return total / divisor


@jit_inline
def count_hits(hits, count):
    """How many of the first ``count`` rows' argmaxes hit their labels."""
    total = 0
    for i in range(count):
        total += hits[i]
    return total
