"""The fused training kernel of the Numba path: many batches (or whole epochs) in one call.

The network arrives as a few named tuples of plain arrays (built by
:mod:`fastmlp.training.fused`):

- :class:`Layers`, the model's layer plan: widths, activation codes, leaky slopes, dropout
  rates and the offsets of each ``W`` and ``b`` in the flat parameter vector;
- :class:`Params`: the flat parameters ``theta`` (the model's own storage), their gradient,
  and ``theta`` as it was before the latest update;
- :class:`OptimizerState`: the update rule's code and settings, its state vectors and their
  values before the latest update;
- :class:`Batch`: the flat work vector (per layer ``z``, ``a``, dropout mask, dropped output
  ``o`` and the gradient ``d`` flowing down, at the offsets given) and the gathered targets;
- :class:`Data`: the training set and the loss code.

Around each GEMM (``np.dot`` into a preallocated view, BLAS via SciPy) everything is fused:
bias + activation in one pass, the activation derivative with the bias gradient in one pass,
softmax cross-entropy forward and backward in one pass per row, and the optimizer update over
the whole parameter vector in one pass. Nothing is allocated per step. Every formula comes
from :mod:`._formulas`, shared with the op kernels, so the numbers are those of the
layer-by-layer path; the tests compare the two, non-finite inputs included.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _formulas as F
from ._jit import jit
from ._op_kernels import matmul
from ._scalar_math import tanh
from .codes import CROSS_ENTROPY, IDENTITY, LEAKY_RELU, OPT_RMSPROP, OPT_SGD, RELU, SIGMOID, TANH

#: Layout of the float64 ``hyper`` vector of optimizer settings.
H_MOMENTUM, H_NESTEROV, H_DECAY1, H_DECAY2, H_EPS, H_WEIGHT_DECAY, H_DECOUPLED = range(7)
N_HYPER = 7

class Layers(NamedTuple):
    """The layer plan as arrays; ``sizes`` is ``(L + 1,)``, the rest ``(L,)``."""

    sizes: np.ndarray  # int64 widths, input first
    acts: np.ndarray  # int64 activation codes
    alphas: np.ndarray  # float64 leaky slopes
    drops: np.ndarray  # float64 dropout rates (0: none)
    w_off: np.ndarray  # int64 offsets of W in theta
    b_off: np.ndarray  # int64 offsets of b in theta, -1 without bias


class Params(NamedTuple):
    """The flat parameters, their gradient and their values before the latest update."""

    theta: np.ndarray
    grad: np.ndarray
    backup: np.ndarray


class OptimizerState(NamedTuple):
    """The update rule (an ``OPT_*`` code), its ``hyper`` settings and state vectors.

    ``s1`` is the velocity, squared average or first moment; ``s2`` the second moment
    (Adam) or ``s1`` again. ``s1_backup``/``s2_backup`` hold them before the latest update.
    """

    code: int
    hyper: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    s1_backup: np.ndarray
    s2_backup: np.ndarray


class Batch(NamedTuple):
    """Work space for one batch: the flat ``work`` vector with per-layer offsets, and the
    gathered labels ``(B,)`` or regression targets ``(B, k)``."""

    work: np.ndarray
    z_off: np.ndarray
    a_off: np.ndarray
    m_off: np.ndarray
    o_off: np.ndarray
    d_off: np.ndarray
    labels: np.ndarray
    targets: np.ndarray


class Data(NamedTuple):
    """The training set: ``X`` flat ``(n * n_in,)``, labels ``(n,)`` or targets ``(n, k)``
    (the unused one is a dummy), and the loss code."""

    X: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    loss: int


@jit
def _view(flat, offset, rows, cols):
    return flat[offset:offset + rows * cols].reshape(rows, cols)


@jit
def _add_bias(z, theta, b_off):
    if b_off >= 0:
        n, m = z.shape
        for i in range(n):
            for j in range(m):
                z[i, j] += theta[b_off + j]


@jit
def _bias_activation(z, a, theta, b_off, act, alpha):
    """``z += b`` then ``a = act(z)``; for identity ``a`` is ``z`` itself.

    One loop per activation, with its code a constant, so the branch sits outside the inner
    loop (which then vectorises) and each inlined ``exp``/``tanh`` appears once."""
    _add_bias(z, theta, b_off)
    if act == IDENTITY:
        return
    n, m = z.shape
    if act == RELU:
        for i in range(n):
            for j in range(m):
                a[i, j] = F.relu(z[i, j])
    elif act == LEAKY_RELU:
        slope = z.dtype.type(alpha)
        for i in range(n):
            for j in range(m):
                a[i, j] = F.leaky_relu(z[i, j], slope)
    elif act == SIGMOID:
        for i in range(n):
            for j in range(m):
                a[i, j] = F.sigmoid(z[i, j])
    elif act == TANH:
        for i in range(n):
            for j in range(m):
                a[i, j] = tanh(z[i, j])


@jit
def _dropout(a, mask, out, p, rng):
    """Inverted dropout: ``mask`` is 0 or ``1 / (1 - p)``, ``out = a * mask``.

    One float64 uniform per element, row by row, from ``rng`` (a NumPy Generator whose state
    Numba shares): the same draws, in the same order, as the layer-by-layer Dropout layer."""
    dt = a.dtype.type
    scale, zero = dt(1.0 / (1.0 - p)), dt(0)
    n, m = a.shape
    for i in range(n):
        for j in range(m):
            keep = zero
            if rng.random() >= p:
                keep = scale
            mask[i, j] = keep
            out[i, j] = a[i, j] * keep


@jit
def _activation_grad_and_bias_grad(d, z, a, act, alpha, mask, dropped, grad, b_off):
    """``d *= mask`` (if ``dropped``), then ``d = act'(z) * d`` in place and, with a bias,
    ``grad[b] = column sums of d``, one pass."""
    slope = d.dtype.type(alpha)
    n, m = d.shape
    if b_off >= 0:
        grad[b_off:b_off + m] = 0
    for i in range(n):
        for j in range(m):
            g = d[i, j]
            if dropped:
                g = g * mask[i, j]
            g = F.activation_grad(g, z[i, j], a[i, j], act, slope)
            d[i, j] = g
            if b_off >= 0:
                grad[b_off + j] += g


@jit
def _xent(logits, y, d):
    """Softmax cross-entropy: returns (sum of per-row losses, correct argmaxes); writes
    ``d = (softmax - onehot) / n``, as the reference's softmax_xent and its backward."""
    dt = logits.dtype.type
    n, k = logits.shape
    nf = dt(n)
    inv_n = dt(1) / nf
    total, correct = 0.0, 0
    for i in range(n):
        true_logit = logits[i, y[i]]
        top, s = F.softmax_row(logits[i], d[i])
        total += F.xent_from_softmax(s, true_logit, top)
        best = 0
        for j in range(1, k):
            if logits[i, j] > logits[i, best]:
                best = j
        correct += best == y[i]
        for j in range(k):
            d[i, j] = d[i, j] / nf
        d[i, y[i]] -= inv_n
    return total, correct


@jit
def _mse(pred, target, d):
    """Mean squared error: returns the sum of squared errors; writes ``d = 2 (p - t) / (n k)``."""
    n, k = pred.shape
    scale = pred.dtype.type(2 / (n * k))
    total = 0.0
    for i in range(n):
        total = F.add_squared_errors(total, pred[i], target[i])
        for j in range(k):
            d[i, j] = (pred[i, j] - target[i, j]) * scale
    return total


@jit
def _optimizer_step(params, opt, lr, step):
    """One update of every parameter, with the reference ops' formulas; keeps the previous
    parameters and state in the backups (same pass) so a non-finite loss can undo the step.

    Serial on purpose: a Numba parallel region here made a 784-128-10 epoch 25x slower, its
    threads spinning against OpenBLAS's on a 2-core machine."""
    theta, grad, backup = params
    s1, s2, b1, b2 = opt.s1, opt.s2, opt.s1_backup, opt.s2_backup
    hyper = opt.hyper
    dt = theta.dtype.type
    lr_, wd = dt(lr), dt(hyper[H_WEIGHT_DECAY])
    use_wd = hyper[H_WEIGHT_DECAY] != 0.0
    if opt.code == OPT_SGD:
        momentum, nesterov = dt(hyper[H_MOMENTUM]), hyper[H_NESTEROV] != 0.0
        use_momentum = hyper[H_MOMENTUM] != 0.0
        for i in range(theta.shape[0]):
            backup[i], b1[i] = theta[i], s1[i]
            theta[i], s1[i] = F.sgd_element(theta[i], grad[i], s1[i], lr_, momentum, nesterov,
                                            wd, use_wd, use_momentum)
    elif opt.code == OPT_RMSPROP:
        rho, c = dt(hyper[H_DECAY1]), dt(1.0 - hyper[H_DECAY1])
        eps = dt(hyper[H_EPS])
        for i in range(theta.shape[0]):
            backup[i], b1[i] = theta[i], s1[i]
            theta[i], s1[i] = F.rmsprop_element(theta[i], grad[i], s1[i], lr_, rho, c, eps, wd,
                                                use_wd)
    else:
        beta1, c1 = dt(hyper[H_DECAY1]), dt(1.0 - hyper[H_DECAY1])
        beta2, c2 = dt(hyper[H_DECAY2]), dt(1.0 - hyper[H_DECAY2])
        eps = dt(hyper[H_EPS])
        decoupled = use_wd and hyper[H_DECOUPLED] != 0.0
        shrink = dt(1.0 - lr * hyper[H_WEIGHT_DECAY])
        # math.pow with a float exponent is C's pow, as Python's ``beta ** step`` in the op
        # wrapper; Numba's ``**`` with an int exponent multiplies and rounds differently.
        step_size = dt(lr / (1.0 - math.pow(hyper[H_DECAY1], float(step))))
        bc2_sqrt = dt(math.sqrt(1.0 - math.pow(hyper[H_DECAY2], float(step))))
        use_l2 = use_wd and not decoupled
        for i in range(theta.shape[0]):
            backup[i], b1[i], b2[i] = theta[i], s1[i], s2[i]
            theta[i], s1[i], s2[i] = F.adam_element(
                theta[i], grad[i], s1[i], s2[i], beta1, c1, beta2, c2, step_size, bc2_sqrt, eps,
                wd, use_l2, shrink, decoupled)


@jit
def _train_batch(xb, labels, targets, layers, params, batch, loss_code, rng):
    """Forward, loss and backward of one batch ``xb (B, n_in)``; fills the gradient.

    Returns (batch mean loss, correct predictions)."""
    sizes, acts, alphas, drops, w_off, b_off = layers
    theta, grad, _ = params
    work = batch.work
    B = xb.shape[0]
    n_layers = acts.shape[0]
    a_prev = xb
    for l in range(n_layers):  # noqa: E741 - l is the layer index, as in the maths
        W = _view(theta, w_off[l], sizes[l], sizes[l + 1])
        z = _view(work, batch.z_off[l], B, sizes[l + 1])
        matmul(a_prev, W, z)
        a = _view(work, batch.a_off[l], B, sizes[l + 1])
        _bias_activation(z, a, theta, b_off[l], acts[l], alphas[l])
        a_prev = a
        if drops[l] > 0.0:
            a_prev = _view(work, batch.o_off[l], B, sizes[l + 1])
            _dropout(a, _view(work, batch.m_off[l], B, sizes[l + 1]), a_prev, drops[l], rng)
    d = _view(work, batch.d_off[n_layers - 1], B, sizes[n_layers])
    if loss_code == CROSS_ENTROPY:
        total, correct = _xent(a_prev, labels, d)
        loss = total / B
    else:
        loss = _mse(a_prev, targets, d) / (B * sizes[n_layers])
        correct = 0
    if not math.isfinite(loss):
        return loss, correct
    for l in range(n_layers - 1, -1, -1):  # noqa: E741
        d = _view(work, batch.d_off[l], B, sizes[l + 1])
        z = _view(work, batch.z_off[l], B, sizes[l + 1])
        a = _view(work, batch.a_off[l], B, sizes[l + 1])
        mask = _view(work, batch.m_off[l], B, sizes[l + 1])
        _activation_grad_and_bias_grad(d, z, a, acts[l], alphas[l], mask, drops[l] > 0.0, grad,
                                       b_off[l])
        below = xb if l == 0 else _view(work, batch.o_off[l - 1], B, sizes[l])
        matmul(below.T, d, _view(grad, w_off[l], sizes[l], sizes[l + 1]))
        if l > 0:
            W = _view(theta, w_off[l], sizes[l], sizes[l + 1])
            matmul(d, W.T, _view(work, batch.d_off[l - 1], B, sizes[l]))
    return loss, correct


@jit
def train_batches(data, layers, params, opt, batch, rng, orders, shuffled, batch_size,
                  batch_begin, batch_end, lrs, step, epoch_loss, epoch_correct, steps):
    """Run batches ``[batch_begin, batch_end)`` of each of ``len(lrs)`` epochs.

    Epoch ``e`` visits rows in the order ``orders[e]`` when ``shuffled`` (rows are gathered
    into the work vector), else in storage order, with learning rate ``lrs[e]``; ``step`` is
    the optimizer's step count so far. ``epoch_loss[e]`` / ``epoch_correct[e]`` accumulate the
    sample-weighted loss and the hits, ``steps[0]`` counts the updates made (in an array, so
    the caller reads it even when Ctrl-C interrupts the return). Dropout masks are drawn from
    ``rng``, the model's Generator.

    Returns ``(bad_epoch, bad_batch, bad_loss)``: where the loss stopped being finite
    (``bad_epoch == -1`` when it never did). The kernel stops there and leaves undoing the
    latest update (from the backups) to the caller, which knows whether an update happened
    before this call.
    """
    X = data.X
    n_in = layers.sizes[0]
    n = X.shape[0] // n_in
    taken = 0
    for e in range(lrs.shape[0]):
        for b in range(batch_begin, batch_end):
            start = b * batch_size
            B = min(batch_size, n - start)
            if shuffled:
                xb = _view(batch.work, 0, B, n_in)
                for i in range(B):
                    row = orders[e, start + i]
                    xb[i, :] = X[row * n_in:(row + 1) * n_in]
                    if data.loss == CROSS_ENTROPY:
                        batch.labels[i] = data.labels[row]
                    else:
                        batch.targets[i, :] = data.targets[row, :]
                labels, targets = batch.labels[:B], batch.targets[:B]
            else:
                xb = _view(X, start * n_in, B, n_in)
                labels = data.labels[start:start + B]
                targets = data.targets[start:start + B]
            loss, correct = _train_batch(xb, labels, targets, layers, params, batch, data.loss,
                                         rng)
            if not math.isfinite(loss):
                return e, b, loss
            taken += 1
            _optimizer_step(params, opt, lrs[e], step + taken)
            steps[0] = taken
            epoch_loss[e] += loss * B
            epoch_correct[e] += correct
    return -1, -1, 0.0
