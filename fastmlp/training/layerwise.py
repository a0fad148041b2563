"""The layer-by-layer trainer: every step runs the layers' forward and backward through the
model's backend ops, then the optimizer's update.

It trains any stack on either backend; the fused trainer (:mod:`.fused`) covers the common
stacks on the Numba path with the same numbers. Both expose the same small interface,
``run`` plus ``undo_step``, which :func:`fastmlp.training.fit` drives.
"""

from __future__ import annotations

import math

import numpy as np


class LayerwiseTrainer:
    """Trains ``model`` on ``X (n, n_in)`` and validated ``y`` in batches of ``batch_size``.

    ``weights``: validated sample weights ``(n,)`` in the model's dtype, or None. Each batch's
    loss is then its weighted mean; a batch whose weights sum to zero is skipped (no update).
    ``total_weight`` is what the epoch's loss sum is divided by (``n`` without weights).
    """

    def __init__(self, model, X, y, batch_size, weights=None):
        self.model, self.X, self.y, self.weights = model, X, y, weights
        self.total_weight = (float(np.sum(weights, dtype=np.float64)) if weights is not None
                             else len(X))
        self.n, self.batch_size = len(X), batch_size
        self.n_batches = -(-self.n // batch_size)
        # Weights before the latest update, to fall back on if that update made the loss
        # non-finite; `updated` says whether there is such an update to undo.
        self.backup = np.copy(model.flat_params)
        self.updated = False
        self._buffers = {}

    def run(self, lrs, orders, batch_begin, batch_end, loss_sums, correct):
        """Run batches ``[batch_begin, batch_end)`` of ``len(lrs)`` epochs.

        Parameters
        ----------
        lrs : sequence of float
            The learning rate of each epoch.
        orders : (len(lrs), n) int array or None
            The row order of each epoch; None keeps the storage order.
        batch_begin, batch_end : int
        loss_sums : (len(lrs),) float64 array
            Adds, per epoch, each step's batch mean loss times its batch size (its weight sum
            with sample weights).
        correct : (len(lrs),) int64 array
            Adds, per epoch, the correct predictions (classifiers).

        Returns
        -------
        None or tuple
            None, or ``(epoch index in this call, batch, loss)`` where the loss stopped being
            finite: training stopped there, before that batch's update.
        """
        model, opt = self.model, self.model.optimizer
        self.last_call_steps = 0
        for e, lr in enumerate(lrs):
            for batch in range(batch_begin, batch_end):
                start = batch * self.batch_size
                stop = min(start + self.batch_size, self.n)
                order = None if orders is None else orders[e]
                xb, yb = self._take(order, start, stop)
                wb, wsum = None, float(stop - start)
                if self.weights is not None:
                    wb = self._take_weights(order, start, stop)
                    wsum = _weight_sum(wb)
                    if wsum == 0.0:
                        continue  # nothing to learn from: no loss, no update
                out = model._forward(xb, training=True)
                loss = model._loss.forward(model.ops, out, yb, wb)
                if not math.isfinite(loss):
                    return e, batch, loss
                model._backward(model._loss.backward(model.ops))
                self._update(opt, lr)
                self.last_call_steps += 1
                loss_sums[e] += loss * wsum
                if model.is_classifier:
                    correct[e] += int(np.count_nonzero(out.argmax(axis=1) == yb))
        return None

    def _update(self, opt, lr):
        """The optimizer step, made all or nothing: a Ctrl-C halfway through it puts back the
        weights and state of the step before, so the model never holds half an update."""
        np.copyto(self.backup, self.model.flat_params)
        before, done = opt.iterations, False
        try:
            opt.step(self.model._params, self.model._grads, self.model.ops, lr)
            self.updated = done = True
        finally:
            if not done:
                np.copyto(self.model.flat_params, self.backup)
                if opt.iterations != before:  # the state was saved before it was touched
                    opt.undo_step()

    def undo_step(self):
        """Put back the weights and optimizer state from before the latest update."""
        if self.updated:
            np.copyto(self.model.flat_params, self.backup)
            self.model.optimizer.undo_step()
            self.updated = False

    def _take_weights(self, order, start, stop):
        if order is None:
            return self.weights[start:stop]
        return self.weights[order[start:stop]]

    def _take(self, order, start, stop):
        """Rows ``start:stop`` of the epoch, gathered into buffers reused across steps."""
        if order is None:
            return self.model._floats(self.X[start:stop]), self.y[start:stop]
        size = stop - start
        if size not in self._buffers:  # the full size and the last partial batch
            self._buffers[size] = (
                np.empty((size, *self.X.shape[1:]), dtype=self.model.dtype),
                np.empty((size, *self.y.shape[1:]), dtype=self.y.dtype))
        xb, yb = self._buffers[size]
        idx = order[start:stop]
        if self.X.dtype == xb.dtype:
            np.take(self.X, idx, axis=0, out=xb)
        else:  # pixels: converted as they are gathered
            xb[...] = np.take(self.X, idx, axis=0)
        np.take(self.y, idx, axis=0, out=yb)
        return xb, yb


def _weight_sum(w):
    """The batch's weight sum as the kernels take it: in order, in float64."""
    total = 0.0
    for value in w.tolist():
        total += value
    return total
