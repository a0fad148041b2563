"""Drives the fused Numba training kernel from ``fit``.

The fused path covers the common stacks — Dense layers each followed by at most one
activation and one Dropout, cross-entropy or MSE, the built-in optimizers — on the "numba"
backend. Everything else trains layer by layer through the backend ops, with the same
numbers; dropout masks come from the model's generator in the same order on both paths.
"""

from __future__ import annotations

import numpy as np

from .layers import Activation, Dense, Dropout, LeakyReLU
from .optim import SGD, Adam, AdamW, RMSprop

_FUSED_OPTIMIZERS = (SGD, RMSprop, Adam, AdamW)


def _layer_plan(model):
    """Per Dense layer: [activation name, alpha, dropout p] — each Dense may be followed by
    one activation and then one Dropout; None if the stack has no fused form."""
    plan = []
    for layer in model._network:
        if isinstance(layer, Dense):
            plan.append(["identity", 0.0, 0.0])
        elif isinstance(layer, Dropout) and plan[-1][2] == 0.0:
            plan[-1][2] = layer.p
        elif isinstance(layer, Activation) and plan[-1][0] == "identity" and plan[-1][2] == 0.0:
            plan[-1][:2] = [layer.op, layer.alpha if isinstance(layer, LeakyReLU) else 0.0]
        else:
            return None
    return plan


def supports(model, optimizer):
    """True when ``fit`` can run ``model`` with ``optimizer`` through the fused kernel."""
    return (model.backend == "numba" and type(optimizer) in _FUSED_OPTIMIZERS
            and _layer_plan(model) is not None)


class FusedTrainer:
    """The kernel's arguments for one ``fit`` call: network layout, work arrays, buffers."""

    def __init__(self, model, X, y, batch_size, backup):
        from .backends import _train_numba as kernels

        self.kernels, self.model = kernels, model
        dense = [layer for layer in model._network if isinstance(layer, Dense)]
        plan = _layer_plan(model)
        dtype = model.dtype
        self.sizes = np.array([dense[0].n_in] + [d.n_out for d in dense], dtype=np.int64)
        self.acts = np.array([kernels.ACTIVATION_CODES[a] for a, _, _ in plan], dtype=np.int64)
        self.alphas = np.array([alpha for _, alpha, _ in plan], dtype=np.float64)
        self.drops = np.array([p for _, _, p in plan], dtype=np.float64)
        base = model._flat_params
        self.w_off = np.array([_offset(d.W, base) for d in dense], dtype=np.int64)
        self.b_off = np.array([_offset(d.b, base) if d.bias else -1 for d in dense],
                              dtype=np.int64)
        # Work layout for a full batch: gathered inputs, then per layer z, a (z itself for
        # identity), with dropout the mask and the dropped output o (else o is a), and d
        # (the gradient flowing down).
        offset = batch_size * dense[0].n_in
        offsets = {"z": [], "a": [], "m": [], "o": [], "d": []}
        for width, act, p in zip(self.sizes[1:], self.acts, self.drops):
            block = batch_size * int(width)
            z = offset
            a = z if act == kernels.IDENTITY else z + block
            m = a + block if p > 0 else a
            o = m + block if p > 0 else a
            d = o + block
            for key, value in zip("zamod", (z, a, m, o, d)):
                offsets[key].append(value)
            offset = d + block
        self.z_off, self.a_off, self.m_off, self.o_off, self.d_off = (
            np.array(offsets[key], dtype=np.int64) for key in "zamod")
        self.work = np.empty(offset, dtype=dtype)
        self.X = X.reshape(-1)
        self.batch_size, self.n = batch_size, len(X)
        self.n_batches = -(-self.n // batch_size)
        if model.is_classifier:
            self.loss_kind = kernels.CROSS_ENTROPY
            self.y_labels, self.y_targets = y, np.zeros((1, 1), dtype=dtype)
            self.yb_labels = np.empty(batch_size, dtype=np.int64)
            self.yb_targets = self.y_targets
        else:
            self.loss_kind = kernels.MSE
            self.y_labels, self.y_targets = np.zeros(1, dtype=np.int64), y
            self.yb_labels = self.y_labels
            self.yb_targets = np.empty((batch_size, y.shape[1]), dtype=dtype)
        self.backup = backup  # the weights before the latest update, kept by the kernel

    def run(self, lrs, orders, batch_begin, batch_end):
        """Run batches ``[batch_begin, batch_end)`` of ``len(lrs)`` epochs.

        Returns per-epoch sums ``(loss * batch size, correct predictions)``; raises
        FloatingPointError (with the last finite weights in place) on a non-finite loss.
        """
        model, opt, k = self.model, self.model.optimizer, self.kernels
        kind, settings = opt.fused_settings()
        hyper = np.zeros(7)
        hyper[k.H_MOMENTUM] = settings.get("momentum", 0.0)
        hyper[k.H_NESTEROV] = settings.get("nesterov", False)
        hyper[k.H_DECAY1] = settings.get("decay1", 0.0)
        hyper[k.H_DECAY2] = settings.get("decay2", 0.0)
        hyper[k.H_EPS] = settings.get("eps", 0.0)
        hyper[k.H_WEIGHT_DECAY] = settings["weight_decay"]
        hyper[k.H_DECOUPLED] = settings.get("decoupled", False)
        opt_code = {"sgd": k.SGD, "rmsprop": k.RMSPROP, "adam": k.ADAM}[kind]
        state = [opt.flat_state[name] for name in opt.state_names]
        s1, s2 = state[0], state[-1]  # Adam has two state vectors, SGD and RMSprop one
        epochs = len(lrs)
        loss_sums, correct = np.zeros(epochs), np.zeros(epochs, dtype=np.int64)
        shuffled = orders is not None
        order_rows = orders if shuffled else np.zeros((1, 1), dtype=np.int64)
        steps, bad_epoch, bad_batch, bad_loss = k.train_epochs(
            self.X, self.y_labels, self.y_targets, order_rows, shuffled, self.batch_size,
            batch_begin, batch_end, self.sizes, self.acts, self.alphas, self.drops, model._rng,
            self.w_off, self.b_off, self.z_off, self.a_off, self.m_off, self.o_off, self.d_off,
            model._flat_params, model._flat_grads,
            self.backup, s1, s2, opt_code, np.asarray(lrs, dtype=np.float64), hyper,
            opt.iterations, self.loss_kind, self.work, self.yb_labels, self.yb_targets,
            loss_sums, correct)
        opt.iterations += steps
        if bad_epoch >= 0:
            return loss_sums, correct, (bad_epoch, bad_batch, bad_loss)
        return loss_sums, correct, None


def _offset(view, base):
    """Index of ``view``'s first element inside the flat vector ``base``."""
    return (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) \
        // base.itemsize
