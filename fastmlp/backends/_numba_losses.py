"""The fast backend's losses and their gradients (re-exported by :mod:`.numba_ops`).

Thin wrappers that check what keeps memory safe (:mod:`._numba_checks`), that every label
indexes a real column and that sample weights fit the batch, then run the compiled kernel of
the same name (:mod:`._loss_kernels`); each computes the numbers of the :mod:`.numpy_ops` op it
names.
"""

from __future__ import annotations

import numpy as np

from . import _loss_kernels as K
from ._numba_checks import check_out, elementwise, mismatch


def _sample_weights(op, weights, n, dtype):
    """``weights`` as a C-contiguous ``(n,)`` array of ``dtype`` (None stays None)."""
    if weights is None:
        return None
    w = np.ascontiguousarray(weights, dtype=dtype)
    if w.shape != (n,):
        mismatch(op, weights=w.shape, expected=(n,))
    return w


def _check_labels(op, y, k):
    """Raise unless every label is in ``[0, k)``: the kernels index rows by label."""
    bad = K.first_bad_label(y, k)
    if bad >= 0:
        raise ValueError(f"{op}: label y[{bad}] = {y[bad]} is outside [0, {k})")


def softmax_xent(logits, y, probs, weights=None):
    """Softmax cross-entropy, mean over the batch; see :func:`numpy_ops.softmax_xent`."""
    logits = np.ascontiguousarray(logits)
    y = np.ascontiguousarray(y)
    if (
        logits.ndim != 2
        or logits.shape[1] == 0
        or y.shape != (logits.shape[0],)
        or probs.shape != logits.shape
    ):
        mismatch("softmax_xent", logits=logits.shape, y=y.shape, probs=probs.shape)
    check_out("softmax_xent", "probs", probs)
    _check_labels("softmax_xent", y, logits.shape[1])
    weights = _sample_weights("softmax_xent", weights, logits.shape[0], logits.dtype)
    return K.softmax_xent(logits, y, probs, weights)


def softmax_xent_backward(probs, y, dlogits, weights=None):
    """``dlogits = (probs - onehot(y)) / n``; see :func:`numpy_ops.softmax_xent_backward`."""
    probs = np.ascontiguousarray(probs)
    y = np.ascontiguousarray(y)
    if probs.ndim != 2 or y.shape != (probs.shape[0],) or dlogits.shape != probs.shape:
        mismatch("softmax_xent_backward", probs=probs.shape, y=y.shape, dlogits=dlogits.shape)
    check_out("softmax_xent_backward", "dlogits", dlogits)
    _check_labels("softmax_xent_backward", y, probs.shape[1])
    weights = _sample_weights("softmax_xent_backward", weights, probs.shape[0], probs.dtype)
    K.softmax_xent_backward(probs, y, dlogits, weights)


def mse(pred, target, weights=None):
    """Mean squared error over every element; see :func:`numpy_ops.mse`."""
    pred = np.ascontiguousarray(pred)
    target = np.ascontiguousarray(target)
    if pred.shape != target.shape:
        mismatch("mse", pred=pred.shape, target=target.shape)
    if weights is not None:
        if pred.ndim != 2:
            mismatch("mse", pred=pred.shape, target=target.shape)
        weights = _sample_weights("mse", weights, pred.shape[0], pred.dtype)
    return K.mse(pred, target, weights)


def mse_backward(pred, target, dpred, weights=None):
    """``dpred = 2 (pred - target) / (n k)``; see :func:`numpy_ops.mse_backward`."""
    pred, target = elementwise("mse_backward", "pred target dpred", dpred, pred, target)
    if weights is not None:
        if pred.ndim != 2:
            mismatch("mse_backward", pred=pred.shape, target=target.shape)
        weights = _sample_weights("mse_backward", weights, pred.shape[0], pred.dtype)
    K.mse_backward(pred, target, 2 / pred.size, dpred, weights)


def sigmoid_bce(logits, target, probs, weights=None):
    """Sigmoid binary cross-entropy, mean over every element; see
    :func:`numpy_ops.sigmoid_bce`."""
    logits = np.ascontiguousarray(logits)
    target = np.ascontiguousarray(target)
    if logits.ndim != 2 or target.shape != logits.shape or probs.shape != logits.shape:
        mismatch("sigmoid_bce", logits=logits.shape, target=target.shape, probs=probs.shape)
    check_out("sigmoid_bce", "probs", probs)
    if weights is None:
        return K.sigmoid_bce(logits, target, probs)
    weights = _sample_weights("sigmoid_bce", weights, logits.shape[0], logits.dtype)
    return K.sigmoid_bce_weighted(logits, target, probs, weights)


def sigmoid_bce_backward(probs, target, dlogits, weights=None):
    """``dlogits = (probs - target) / (n k)``; see :func:`numpy_ops.sigmoid_bce_backward`."""
    probs, target = elementwise("sigmoid_bce_backward", "probs target dlogits", dlogits, probs,
                                 target)
    if weights is not None:
        if probs.ndim != 2:
            mismatch("sigmoid_bce_backward", probs=probs.shape, target=target.shape)
        weights = _sample_weights("sigmoid_bce_backward", weights, probs.shape[0], probs.dtype)
    K.sigmoid_bce_backward(probs, target, dlogits, weights)
