"""The reference backend's losses (re-exported by :mod:`.numpy_ops`).

Softmax cross-entropy, mean squared error and binary cross-entropy of sigmoid outputs, each
with its gradient, in vectorised NumPy that reads like the maths. Optional per-sample
``weights`` ``(n,)`` give scikit-learn's weighted mean ``sum_i w_i l_i / sum_i w_i``; weights
summing to zero give a loss of 0 and a zero gradient.
"""

from __future__ import annotations

import numpy as np

from ._numpy_activations import sigmoid_forward


def _weights(weights, dtype):
    """``(weights in dtype, the same in float64, their float64 sum)``."""
    w = np.asarray(weights, dtype=dtype)
    w64 = w.astype(np.float64)
    return w, w64, float(np.sum(w64))


def _weighted_mean(per_sample, weights, dtype, per_sample_size=1):
    """``sum_i w_i per_sample_i / (sum_i w_i * per_sample_size)`` in float64 (0 for no weight)."""
    _, w64, total = _weights(weights, dtype)
    if total == 0:
        return 0.0
    return float(np.dot(w64, per_sample)) / (total * per_sample_size)


def softmax_xent(logits, y, probs, weights=None):
    """Softmax cross-entropy, fused and log-sum-exp stable.

    Parameters
    ----------
    logits : (n, k) array
    y : (n,) int64 array of class indices in ``[0, k)``.
    probs : (n, k) array, written with ``softmax(logits)`` for the backward pass.
    weights : (n,) array or None
        Per-sample weights (see the module docstring).

    Returns
    -------
    float
        The batch mean (or weighted mean) of ``logsumexp(logits_i) - logits_i[y_i]``.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=probs)
    sums = probs.sum(axis=1, keepdims=True)
    probs /= sums
    log_likelihood = shifted[np.arange(len(y)), y] - np.log(sums[:, 0])
    if weights is not None:
        return _weighted_mean(-log_likelihood.astype(np.float64), weights, logits.dtype)
    return float(-np.mean(log_likelihood, dtype=np.float64))


def softmax_xent_backward(probs, y, dlogits, weights=None):
    """Gradient of the mean cross-entropy: ``dlogits = (probs - onehot(y)) / n``; ``(n, k)``.

    With ``weights`` ``(n,)``: ``dlogits_i = w_i (probs_i - onehot(y_i)) / sum(w)``.
    """
    n = len(y)
    if weights is None:
        np.divide(probs, n, out=dlogits)
        dlogits[np.arange(n), y] -= 1 / n
        return
    w, _, total = _weights(weights, probs.dtype)
    if total == 0:
        dlogits[...] = 0
        return
    den = probs.dtype.type(total)
    np.divide(w[:, None] * probs, den, out=dlogits)
    dlogits[np.arange(n), y] -= w / den


def mse(pred, target, weights=None):
    """Mean squared error over every element of ``pred`` and ``target`` ``(n, k)``; a float.

    With ``weights`` ``(n,)``: ``sum_i w_i sum_j (pred_ij - target_ij)**2 / (sum(w) k)``.
    """
    diff = pred - target
    if weights is not None:
        per_sample = np.sum((diff * diff).astype(np.float64), axis=1)
        return _weighted_mean(per_sample, weights, pred.dtype, pred.shape[1])
    return float(np.mean(diff * diff, dtype=np.float64))


def mse_backward(pred, target, dpred, weights=None):
    """``dpred = 2 (pred - target) / (n k)``, the gradient of :func:`mse`; arrays ``(n, k)``.

    With ``weights`` ``(n,)``: ``dpred_i = (pred_i - target_i) * (2 w_i / (sum(w) k))``, the
    factor rounded to the arrays' dtype.
    """
    np.subtract(pred, target, out=dpred)
    if weights is None:
        dpred *= 2 / pred.size
        return
    _, w64, total = _weights(weights, pred.dtype)
    if total == 0:
        dpred[...] = 0
        return
    dpred *= (2 * w64 / (total * pred.shape[1])).astype(pred.dtype)[:, None]


def sigmoid_bce(logits, target, probs, weights=None):
    """Sigmoid binary cross-entropy, fused and log-sigmoid stable (multi-label outputs).

    Each of the ``k`` outputs is an independent logistic unit; the loss of one logit ``z``
    against a target ``t`` in [0, 1] is ``max(z, 0) - z t + log(1 + exp(-|z|))`` (which equals
    ``-t log sigmoid(z) - (1 - t) log(1 - sigmoid(z))`` without ever overflowing), computed in
    float64.

    Parameters
    ----------
    logits : (n, k) array
    target : (n, k) array of values in [0, 1] (0/1 indicators, or probabilities).
    probs : (n, k) array, written with ``sigmoid(logits)`` for the backward pass.
    weights : (n,) array or None
        Per-sample weights (see the module docstring).

    Returns
    -------
    float
        The mean over the batch and the outputs (as Keras' ``binary_crossentropy``, which
        averages over the last axis, then over the batch, and PyTorch's
        ``BCEWithLogitsLoss``); with ``weights``, ``sum_i w_i sum_j l_ij / (sum(w) k)``.
    """
    z = logits.astype(np.float64)
    t = target.astype(np.float64)
    per_element = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    sigmoid_forward(logits, probs)
    if weights is not None:
        return _weighted_mean(per_element.sum(axis=1), weights, logits.dtype, logits.shape[1])
    return float(np.mean(per_element))


def sigmoid_bce_backward(probs, target, dlogits, weights=None):
    """Gradient of :func:`sigmoid_bce`: ``dlogits = (probs - target) / (n k)``; ``(n, k)``.

    With ``weights`` ``(n,)``: ``dlogits_i = w_i (probs_i - target_i) / (sum(w) k)``.
    """
    if weights is None:
        np.subtract(probs, target, out=dlogits)
        dlogits /= dlogits.dtype.type(probs.size)
        return
    w, _, total = _weights(weights, probs.dtype)
    if total == 0:
        dlogits[...] = 0
        return
    np.divide(w[:, None] * (probs - target), probs.dtype.type(total * probs.shape[1]),
              out=dlogits)
