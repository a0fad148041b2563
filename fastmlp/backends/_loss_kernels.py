"""The compiled loss kernels behind :mod:`fastmlp.backends.numba_ops`, one per op.

Softmax cross-entropy, mean squared error and sigmoid binary cross-entropy, each with its
gradient, built from the formulas of :mod:`._formulas`, and the label check the wrappers run
before a kernel indexes rows by label. Losses are accumulated in float64 and returned as a
Python float; the conventions every op kernel follows are set out in :mod:`._op_kernels`.
"""

from __future__ import annotations

import numpy as np

from . import _formulas as F
from ._jit import jit


@jit
def first_bad_label(y, k):
    """Index of the first label outside ``[0, k)``, or -1."""
    for i in range(y.shape[0]):
        if y[i] < 0 or y[i] >= k:
            return i
    return -1


# ``weights`` is None (compiled apart, the branches pruned) or the batch's sample weights in
# the arrays' dtype; weighted kernels divide by F.weight_sum, a zero sum giving 0 and zeros.


@jit
def softmax_xent(logits, y, probs, weights):
    n = logits.shape[0]
    loss = 0.0  # float64 on purpose: the batch loss is accumulated and reported in float64
    for i in range(n):
        true_logit = logits[i, y[i]]  # read first: probs may be the logits buffer itself
        top, total = F.softmax_row(logits[i], probs[i])
        row = F.xent_from_softmax(total, true_logit, top)
        if weights is None:
            loss += row
        else:
            loss += np.float64(weights[i]) * row
    if weights is None:
        return loss / n
    wsum = F.weight_sum(weights)
    if wsum == 0.0:
        return 0.0
    return loss / wsum


@jit
def softmax_xent_backward(probs, y, dlogits, weights):
    n, k = probs.shape
    if weights is None:
        nf = probs.dtype.type(n)
        inv = probs.dtype.type(1) / nf
        for i in range(n):
            for j in range(k):
                dlogits[i, j] = probs[i, j] / nf
            dlogits[i, y[i]] -= inv
        return
    wsum = F.weight_sum(weights)
    den = probs.dtype.type(wsum)
    for i in range(n):
        wi = weights[i]
        for j in range(k):
            if wsum == 0.0:
                dlogits[i, j] = 0
            else:
                dlogits[i, j] = (wi * probs[i, j]) / den
        if wsum != 0.0:
            dlogits[i, y[i]] -= wi / den


@jit
def mse(pred, target, weights):
    if weights is None:
        return F.add_squared_errors(0.0, pred.ravel(), target.ravel()) / pred.size
    total = 0.0
    for i in range(pred.shape[0]):
        total += np.float64(weights[i]) * F.add_squared_errors(0.0, pred[i], target[i])
    wsum = F.weight_sum(weights)
    if wsum == 0.0:
        return 0.0
    return total / (wsum * pred.shape[1])


@jit
def mse_backward(pred, target, scale, dpred, weights):
    if weights is None:
        scale = pred.dtype.type(scale)
        pf, tf, of = pred.ravel(), target.ravel(), dpred.ravel()
        for i in range(pf.size):
            of[i] = (pf[i] - tf[i]) * scale
        return
    n, k = pred.shape
    wsum = F.weight_sum(weights)
    for i in range(n):
        c = pred.dtype.type(0)
        if wsum != 0.0:
            c = pred.dtype.type(2.0 * np.float64(weights[i]) / (wsum * k))
        for j in range(k):
            dpred[i, j] = (pred[i, j] - target[i, j]) * c


@jit
def sigmoid_bce(logits, target, probs):
    zf, tf, pf = logits.ravel(), target.ravel(), probs.ravel()
    loss = 0.0
    for i in range(zf.size):
        z = zf[i]  # read first: probs may be the logits buffer itself
        loss += F.bce_element(z, tf[i])
        pf[i] = F.sigmoid(z)
    return loss / zf.size


# A kernel of its own: one inlined sigmoid per function keeps Numba's SSA check quiet.
@jit
def sigmoid_bce_weighted(logits, target, probs, weights):
    n, k = logits.shape
    loss = 0.0
    for i in range(n):
        row = 0.0
        for j in range(k):
            z = logits[i, j]
            row += F.bce_element(z, target[i, j])
            probs[i, j] = F.sigmoid(z)
        loss += np.float64(weights[i]) * row
    wsum = F.weight_sum(weights)
    if wsum == 0.0:
        return 0.0
    return loss / (wsum * k)


@jit
def sigmoid_bce_backward(probs, target, dlogits, weights):
    if weights is None:
        size = probs.dtype.type(probs.size)
        pf, tf, of = probs.ravel(), target.ravel(), dlogits.ravel()
        for i in range(pf.size):
            of[i] = (pf[i] - tf[i]) / size
        return
    n, k = probs.shape
    wsum = F.weight_sum(weights)
    den = probs.dtype.type(wsum * k)
    for i in range(n):
        wi = weights[i]
        for j in range(k):
            if wsum == 0.0:
                dlogits[i, j] = 0
            else:
                dlogits[i, j] = (wi * (probs[i, j] - target[i, j])) / den
