"""Losses: softmax cross-entropy (fused with the softmax) and mean squared error.

A loss turns the last layer's output into a float and its gradient. Both are batch means,
so the learning rate does not depend on the batch size.
"""

from __future__ import annotations

import numpy as np


class Loss:
    """Base class; ``forward`` keeps what ``backward`` needs."""

    name = ""
    #: True when targets are class labels and predictions are argmaxes.
    is_classification = False

    def __init__(self):
        self._buffers = {}

    def _buffer(self, name, shape, dtype):
        # Reused across steps: one buffer per (name, shape, dtype).
        key = (name, shape, dtype)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty(shape, dtype=dtype)
        return buf

    def __repr__(self):
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    """Mean of ``-log softmax(logits)[y]`` over the batch, log-sum-exp stable.

    ``forward(ops, logits (n, k), y (n,) int64) -> float``; ``backward`` returns
    ``(softmax(logits) - onehot(y)) / n`` of shape ``(n, k)``.
    """

    name = "cross_entropy"
    is_classification = True

    def forward(self, ops, logits, y):
        self.probs = self._buffer("probs", logits.shape, logits.dtype)
        self._y = y
        return ops.softmax_xent(logits, y, self.probs)

    def backward(self, ops):
        dlogits = self._buffer("grad", self.probs.shape, self.probs.dtype)
        ops.softmax_xent_backward(self.probs, self._y, dlogits)
        return dlogits


class MeanSquaredError(Loss):
    """Mean of ``(pred - target)**2`` over every element; identity output (regression).

    ``forward(ops, pred (n, k), target (n, k)) -> float``; ``backward`` returns
    ``2 (pred - target) / (n k)``.
    """

    name = "mse"

    def forward(self, ops, pred, target):
        self._pred, self._target = pred, target
        return ops.mse(pred, target)

    def backward(self, ops):
        dpred = self._buffer("grad", self._pred.shape, self._pred.dtype)
        ops.mse_backward(self._pred, self._target, dpred)
        return dpred


LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "mse": MeanSquaredError}
