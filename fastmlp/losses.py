"""Losses: softmax cross-entropy (fused with the softmax), mean squared error, and sigmoid
binary cross-entropy (fused with the sigmoids, for multi-label outputs).

A loss turns the last layer's output into a float and its gradient. Both are batch means,
so the learning rate does not depend on the batch size. ``forward`` takes optional
per-sample ``weights (n,)``: the loss is then the weighted mean ``sum_i w_i l_i / sum_i w_i``
(scikit-learn's), and ``backward`` the gradient of that.
"""

from __future__ import annotations

import numpy as np


class Loss:
    """Base class; ``forward`` keeps what ``backward`` needs."""

    name = ""
    #: True when targets are class labels and predictions are argmaxes.
    is_classification = False
    #: True when targets are (n, k) values in [0, 1] and predictions 0/1 indicators.
    is_multilabel = False

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

    def forward(self, ops, logits, y, weights=None):
        self.probs = self._buffer("probs", logits.shape, logits.dtype)
        self._y, self._weights = y, weights
        return ops.softmax_xent(logits, y, self.probs, weights)

    def backward(self, ops):
        dlogits = self._buffer("grad", self.probs.shape, self.probs.dtype)
        ops.softmax_xent_backward(self.probs, self._y, dlogits, self._weights)
        return dlogits


class MeanSquaredError(Loss):
    """Mean of ``(pred - target)**2`` over every element; identity output (regression).

    ``forward(ops, pred (n, k), target (n, k)) -> float``; ``backward`` returns
    ``2 (pred - target) / (n k)``.
    """

    name = "mse"

    def forward(self, ops, pred, target, weights=None):
        self._pred, self._target, self._weights = pred, target, weights
        return ops.mse(pred, target, weights)

    def backward(self, ops):
        dpred = self._buffer("grad", self._pred.shape, self._pred.dtype)
        ops.mse_backward(self._pred, self._target, dpred, self._weights)
        return dpred


class SigmoidBinaryCrossEntropy(Loss):
    """Binary cross-entropy of independent sigmoid outputs (multi-label), log-sigmoid stable.

    Mean over the batch and the outputs, as Keras' ``binary_crossentropy`` (which averages
    over the last axis) and PyTorch's ``BCEWithLogitsLoss``. The network computes logits
    (a trailing Sigmoid layer is folded into the loss); targets are 0/1 indicators or
    probabilities in [0, 1].

    ``forward(ops, logits (n, k), target (n, k)) -> float``; ``backward`` returns
    ``(sigmoid(logits) - target) / (n k)``.
    """

    name = "binary_cross_entropy"
    is_multilabel = True

    def forward(self, ops, logits, target, weights=None):
        self.probs = self._buffer("probs", logits.shape, logits.dtype)
        self._target, self._weights = target, weights
        return ops.sigmoid_bce(logits, target, self.probs, weights)

    def backward(self, ops):
        dlogits = self._buffer("grad", self.probs.shape, self.probs.dtype)
        ops.sigmoid_bce_backward(self.probs, self._target, dlogits, self._weights)
        return dlogits


LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "mse": MeanSquaredError,
          "binary_cross_entropy": SigmoidBinaryCrossEntropy}
#: Other spellings accepted by ``Sequential(loss=...)``; the model keeps the name above.
LOSS_ALIASES = {"bce": "binary_cross_entropy", "binary_crossentropy": "binary_cross_entropy"}
