"""What a network answers: predictions, probabilities, losses and scores, chunk by chunk.

:class:`Inference` is the part of :class:`fastmlp.Sequential` that only reads the weights.
It works through ``_INFERENCE_BATCH`` rows at a time, so memory stays bounded on large
inputs; pixels kept as 8/16-bit integers are converted per chunk. It also holds the input
checks (``_check_X``, ``_check_y``, ``_check_Xy``) and the conversion (``_floats``) that
``fit``, the gradients and the predictions share. It relies on the model's ``_forward``,
``_loss``, ``ops``, ``dtype``, ``loss``, ``layers``, ``n_inputs``, ``n_outputs`` and the
``is_classifier``/``is_multilabel`` flags.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _validation as check
from ._finite import largest_magnitude

#: Rows per chunk in predict/evaluate: bounds memory on large inputs, big enough for BLAS.
_INFERENCE_BATCH = 4096


class Inference:
    """predict, predict_proba, evaluate and score for :class:`fastmlp.Sequential`, with the
    input checks every public entry point of a model uses."""

    # ------------------------------------------------------------------ input checks

    def _check_X(self, X, compact=False, measure=False):
        """Validated ``X``; with ``compact``, 8/16-bit integers stay integers (see
        :meth:`_floats`); with ``measure``, ``(X, its largest |x|)`` (:func:`.check.check_X`)."""
        return check.check_X(X, self.n_inputs, self.layers[0].describe(), self.dtype,
                             compact=compact, measure=measure)

    def _floats(self, X):
        """Rows of ``X`` in the model's dtype: pixels kept as integers are converted per
        batch or chunk, never as a whole."""
        return X if X.dtype == self.dtype else X.astype(self.dtype)

    def _check_y(self, y):
        if self.is_classifier:
            return check.check_labels(y, self.n_outputs)
        if self.is_multilabel:
            return check.check_indicator_targets(y, self.n_outputs, self.dtype)
        return check.check_targets(y, self.n_outputs, self.dtype)

    def _check_Xy(self, X, y, compact=False, measure=False):
        """Validated ``X, y`` (with ``measure``, ``X, y, X's largest |x|``)."""
        if measure:
            X, largest = self._check_X(X, compact, measure=True)
        else:
            X, largest = self._check_X(X, compact), None
        y = self._check_y(y)
        check.check_lengths(X, y)
        return (X, y, largest) if measure else (X, y)

    # ------------------------------------------------------------------ answers

    def _outputs(self, X, fn):
        """Apply ``fn(outputs_of_chunk) -> array`` chunk by chunk and stack the results.

        Warns when outputs are not finite (finite inputs too large for the dtype's
        arithmetic): their predictions would otherwise be NaN, or class 0, without a word."""
        parts, bad = [], 0
        for start in range(0, len(X), _INFERENCE_BATCH):
            with np.errstate(over="ignore", invalid="ignore"):
                out = self._forward(self._floats(X[start:start + _INFERENCE_BATCH]))
            bad += int(np.count_nonzero(~np.isfinite(out).all(axis=1)))
            parts.append(fn(out))
        if bad:
            warnings.warn(
                f"the network's outputs are not finite for {bad} of {len(X)} rows: their inputs "
                f"overflow {np.dtype(self.dtype).name} arithmetic (the largest input is "
                f"{largest_magnitude(X):.3g}), so their predictions mean "
                f"nothing; scale the inputs as for training", RuntimeWarning, stacklevel=3)
        return np.concatenate(parts)

    def predict(self, X):
        """Class labels ``(n,)`` int64 for classifiers; 0/1 indicators ``(n, n_out)`` int64
        for multi-label models (``predict_proba > 0.5``); outputs ``(n, n_out)`` for
        regression."""
        X = self._check_X(X, compact=True)
        if self.is_classifier:
            return self._outputs(X, lambda logits: logits.argmax(axis=1))
        if self.is_multilabel:
            return self._outputs(X, lambda logits: (self._sigmoid(logits) > 0.5).astype(np.int64))
        return self._outputs(X, np.copy)

    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes)`` (softmax of the outputs) for classifiers;
        for multi-label models the probability of each label ``(n, n_out)`` (one sigmoid per
        output, rows need not sum to one)."""
        if not (self.is_classifier or self.is_multilabel):
            raise ValueError("predict_proba needs a classifier (loss='cross_entropy' or "
                             f"'binary_cross_entropy'); this model has loss={self.loss!r}, use "
                             "predict")
        X = self._check_X(X, compact=True)
        if self.is_multilabel:
            return self._outputs(X, self._sigmoid)

        def softmax(logits):
            probs = np.empty_like(logits)
            self.ops.softmax_forward(logits, probs)
            return probs

        return self._outputs(X, softmax)

    def _sigmoid(self, logits):
        probs = np.empty_like(logits)
        self.ops.sigmoid_forward(logits, probs)
        return probs

    def evaluate(self, X, y, sample_weight=None):
        """Mean loss (and accuracy for classifiers) on ``X, y``.

        ``sample_weight (n,)`` makes the loss the weighted mean, as in :meth:`fit`; the
        accuracy stays unweighted.

        Returns
        -------
        dict
            ``{"loss": float, "accuracy": float}`` (no accuracy for regression).
        """
        X, y = self._check_Xy(X, y, compact=True)
        weights = check.check_sample_weight(sample_weight, len(X), self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            result = self._evaluate(X, y, weights)
        if not np.isfinite(result["loss"]):
            warnings.warn(
                f"the loss on these inputs is {result['loss']}: the inputs (largest "
                f"{largest_magnitude(X):.3g}) or the weights overflow "
                f"{np.dtype(self.dtype).name} arithmetic, so the accuracy means nothing; scale "
                f"the inputs as for training", RuntimeWarning, stacklevel=2)
        return result

    def _evaluate(self, X, y, weights=None):
        total_loss, correct = 0.0, 0
        for start in range(0, len(X), _INFERENCE_BATCH):
            rows = slice(start, start + _INFERENCE_BATCH)
            xb, yb = self._floats(X[rows]), y[rows]
            out = self._forward(xb)
            if weights is None:
                total_loss += self._loss.forward(self.ops, out, yb) * len(xb)
            else:
                wb = weights[rows]
                total_loss += (self._loss.forward(self.ops, out, yb, wb)
                               * float(np.sum(wb, dtype=np.float64)))
            if self.is_classifier:
                correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
        total = len(X) if weights is None else float(np.sum(weights, dtype=np.float64))
        result = {"loss": total_loss / total}
        if self.is_classifier:
            result["accuracy"] = correct / len(X)
        return result

    def score(self, X, y):
        """Accuracy for classifiers, subset accuracy for multi-label models (the fraction of
        samples whose labels are all right, as scikit-learn's ``accuracy_score``; targets are
        rounded at 0.5), R² (coefficient of determination) for regression."""
        X, y = self._check_Xy(X, y, compact=True)
        if self.is_classifier:
            return self._evaluate(X, y)["accuracy"]
        if self.is_multilabel:
            predicted = self._outputs(X, lambda logits: self._sigmoid(logits) > 0.5)
            return float(np.mean((predicted == (y > 0.5)).all(axis=1)))
        pred = self._outputs(X, np.copy).astype(np.float64)
        residual = ((y - pred) ** 2).sum()
        total = ((y - y.mean(axis=0)) ** 2).sum()
        return float(1.0 - residual / total) if total > 0 else float(residual == 0)
