"""Fused training kernels for the Numba path: batches, epochs or a whole run in one call.

The network arrives as plain arrays: every weight and bias in one flat vector ``theta`` (the
model's own storage), gradients in ``grad``, and per layer its widths, activation code,
leaky slope and offsets into ``theta``. Work arrays are views of one flat ``work`` vector.
Around each GEMM (``np.dot`` into a preallocated view, BLAS via SciPy) everything is fused:
bias + activation in one pass, the activation derivative with the bias gradient in one pass,
softmax cross-entropy forward and backward in one pass per row, and the optimizer update
over the whole parameter vector in one pass. Nothing is allocated per step.

The numbers are those of the layer-by-layer reference path; the tests compare them.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._scalar_math import exp, tanh

IDENTITY, RELU, LEAKY_RELU, SIGMOID, TANH = 0, 1, 2, 3, 4
ACTIVATION_CODES = {"identity": IDENTITY, "relu": RELU, "leaky_relu": LEAKY_RELU,
                    "sigmoid": SIGMOID, "tanh": TANH}
SGD, RMSPROP, ADAM = 0, 1, 2
CROSS_ENTROPY, MSE = 0, 1
#: Layout of the float64 ``hyper`` vector of optimizer settings.
H_MOMENTUM, H_NESTEROV, H_DECAY1, H_DECAY2, H_EPS, H_WEIGHT_DECAY, H_DECOUPLED = range(7)


#: Below this many multiply-adds a GEMM runs as a plain loop: calling BLAS costs ~0.2 µs,
#: which dominates the products of tiny networks (XOR's are 8-16 multiply-adds).
SMALL_GEMM = 2048


@jit
def _view(flat, offset, rows, cols):
    return flat[offset:offset + rows * cols].reshape(rows, cols)


@jit
def _matmul(a, b, out):
    """``out = a @ b`` (operands C- or F-ordered, e.g. transposed views): BLAS, or a plain
    loop for tiny products."""
    n, k = a.shape
    m = b.shape[1]
    if n * k * m > SMALL_GEMM:
        np.dot(a, b, out)
        return
    for i in range(n):
        for j in range(m):
            acc = out.dtype.type(0)
            for p in range(k):
                acc += a[i, p] * b[p, j]
            out[i, j] = acc


@jit
def _bias_activation(z, a, theta, b_off, act, alpha):
    """``z += b`` then ``a = act(z)``; for identity ``a`` is ``z`` itself.

    One loop per activation, so the branch sits outside the inner loop (which then
    vectorises) and each inlined ``exp``/``tanh`` appears once per compiled function."""
    if act == SIGMOID:
        _bias_sigmoid(z, a, theta, b_off)
    elif act == TANH:
        _bias_tanh(z, a, theta, b_off)
    else:
        _bias_rectifier(z, a, theta, b_off, act, alpha)


@jit
def _bias_rectifier(z, a, theta, b_off, act, alpha):
    dt = z.dtype.type
    zero, alpha = dt(0), dt(alpha)
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            v = z[i, j]
            if b_off >= 0:
                v += theta[b_off + j]
                z[i, j] = v
            if act == RELU:
                a[i, j] = v if v > zero else zero
            elif act == LEAKY_RELU:
                a[i, j] = v if v > zero else alpha * v


@jit
def _bias_sigmoid(z, a, theta, b_off):
    dt = z.dtype.type
    one, zero = dt(1), dt(0)
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            v = z[i, j]
            if b_off >= 0:
                v += theta[b_off + j]
                z[i, j] = v
            e = exp(-abs(v))  # never overflows; both branches equal the logistic
            a[i, j] = (one if v >= zero else e) / (one + e)


@jit
def _bias_tanh(z, a, theta, b_off):
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            v = z[i, j]
            if b_off >= 0:
                v += theta[b_off + j]
                z[i, j] = v
            a[i, j] = tanh(v)


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
            keep = scale if rng.random() >= p else zero
            mask[i, j] = keep
            out[i, j] = a[i, j] * keep


@jit
def _activation_grad_and_bias_grad(d, z, a, act, alpha, mask, dropped, grad, b_off):
    """``d *= mask`` (if ``dropped``) and ``act'(z)`` in place and, with a bias,
    ``grad[b] = column sums of d``, one pass."""
    dt = d.dtype.type
    one, zero, alpha = dt(1), dt(0), dt(alpha)
    n, m = d.shape
    if b_off >= 0:
        grad[b_off:b_off + m] = zero
    for i in range(n):
        for j in range(m):
            g = d[i, j] * mask[i, j] if dropped else d[i, j]
            if act == RELU:
                g = g if z[i, j] > zero else zero
            elif act == LEAKY_RELU:
                g = g if z[i, j] > zero else g * alpha
            elif act == SIGMOID:
                g = g * (a[i, j] * (one - a[i, j]))
            elif act == TANH:
                g = g * (one - a[i, j] * a[i, j])
            d[i, j] = g
            if b_off >= 0:
                grad[b_off + j] += g


@jit
def _xent(logits, y, d):
    """Softmax cross-entropy: returns (sum of per-row losses, correct argmaxes); writes
    ``d = (softmax - onehot) / n``."""
    dt = logits.dtype.type
    n, k = logits.shape
    inv_n = dt(1.0 / n)
    total, correct = 0.0, 0
    for i in range(n):
        best = 0
        for j in range(1, k):
            if logits[i, j] > logits[i, best]:
                best = j
        correct += best == y[i]
        top = logits[i, best]
        s = dt(0)
        for j in range(k):
            e = exp(logits[i, j] - top)
            d[i, j] = e
            s += e
        for j in range(k):
            d[i, j] = d[i, j] / s / dt(n)
        d[i, y[i]] -= inv_n
        total += float(math.log(s) - (logits[i, y[i]] - top))
    return total, correct


@jit
def _mse(pred, target, d):
    """Mean squared error: returns the sum of squared errors; writes ``d = 2 (p - t) / (n k)``."""
    dt = pred.dtype.type
    n, k = pred.shape
    scale = dt(2.0 / (n * k))
    total = 0.0
    for i in range(n):
        for j in range(k):
            diff = pred[i, j] - target[i, j]
            total += float(diff) * float(diff)
            d[i, j] = diff * scale
    return total


@jit
def _optimizer_step(theta, grad, backup, s1, s2, opt, lr, hyper, step):
    """One update of every parameter, as the reference ``*_update`` ops; keeps the previous
    value in ``backup`` (same pass) so a non-finite loss can roll the step back.

    Serial on purpose: a Numba parallel region here made a 784-128-10 epoch 25x slower, its
    threads spinning against OpenBLAS's on a 2-core machine."""
    dt = theta.dtype.type
    lr_, wd = dt(lr), dt(hyper[H_WEIGHT_DECAY])
    use_wd = hyper[H_WEIGHT_DECAY] != 0.0
    if opt == SGD:
        momentum, nesterov = dt(hyper[H_MOMENTUM]), hyper[H_NESTEROV] != 0.0
        use_momentum = hyper[H_MOMENTUM] != 0.0
        for i in range(theta.shape[0]):
            p = theta[i]
            backup[i] = p
            g = grad[i] + wd * p if use_wd else grad[i]
            if use_momentum:
                v = momentum * s1[i] + g
                s1[i] = v
                g = g + momentum * v if nesterov else v
            theta[i] = p - lr_ * g
    elif opt == RMSPROP:
        rho, c = dt(hyper[H_DECAY1]), dt(1.0 - hyper[H_DECAY1])
        eps = dt(hyper[H_EPS])
        for i in range(theta.shape[0]):
            p = theta[i]
            backup[i] = p
            g = grad[i] + wd * p if use_wd else grad[i]
            sq = rho * s1[i] + c * g * g
            s1[i] = sq
            theta[i] = p - lr_ * g / (math.sqrt(sq) + eps)
    else:
        b1, c1 = dt(hyper[H_DECAY1]), dt(1.0 - hyper[H_DECAY1])
        b2, c2 = dt(hyper[H_DECAY2]), dt(1.0 - hyper[H_DECAY2])
        eps = dt(hyper[H_EPS])
        decoupled = hyper[H_DECOUPLED] != 0.0
        shrink = dt(1.0 - lr * hyper[H_WEIGHT_DECAY])
        step_size = dt(lr / (1.0 - hyper[H_DECAY1] ** step))
        bc2_sqrt = dt(math.sqrt(1.0 - hyper[H_DECAY2] ** step))
        for i in range(theta.shape[0]):
            p = theta[i]
            backup[i] = p
            if use_wd and decoupled:
                p = p * shrink
                g = grad[i]
            else:
                g = grad[i] + wd * p if use_wd else grad[i]
            m = b1 * s1[i] + c1 * g
            v = b2 * s2[i] + c2 * g * g
            s1[i], s2[i] = m, v
            theta[i] = p - step_size * m / (math.sqrt(v) / bc2_sqrt + eps)


@jit
def _train_batch(xb, yb_labels, yb_targets, sizes, acts, alphas, drops, rng, w_off, b_off, z_off,
                 a_off, m_off, o_off, d_off, theta, grad, work, loss_kind):
    """Forward, loss and backward of one batch ``xb (B, n_in)``; fills ``grad``.

    Returns (batch mean loss, correct predictions)."""
    B = xb.shape[0]
    layers = acts.shape[0]
    a_prev = xb
    for l in range(layers):  # noqa: E741 - l is the layer index, as in the maths
        W = _view(theta, w_off[l], sizes[l], sizes[l + 1])
        z = _view(work, z_off[l], B, sizes[l + 1])
        _matmul(a_prev, W, z)
        a = _view(work, a_off[l], B, sizes[l + 1])
        _bias_activation(z, a, theta, b_off[l], acts[l], alphas[l])
        a_prev = a
        if drops[l] > 0.0:
            a_prev = _view(work, o_off[l], B, sizes[l + 1])
            _dropout(a, _view(work, m_off[l], B, sizes[l + 1]), a_prev, drops[l], rng)
    d = _view(work, d_off[layers - 1], B, sizes[layers])
    if loss_kind == CROSS_ENTROPY:
        total, correct = _xent(a_prev, yb_labels, d)
        loss = total / B
    else:
        loss = _mse(a_prev, yb_targets, d) / (B * sizes[layers])
        correct = 0
    if not math.isfinite(loss):
        return loss, correct
    for l in range(layers - 1, -1, -1):  # noqa: E741
        d = _view(work, d_off[l], B, sizes[l + 1])
        z = _view(work, z_off[l], B, sizes[l + 1])
        a = _view(work, a_off[l], B, sizes[l + 1])
        mask = _view(work, m_off[l], B, sizes[l + 1])
        _activation_grad_and_bias_grad(d, z, a, acts[l], alphas[l], mask, drops[l] > 0.0, grad,
                                       b_off[l])
        below = xb if l == 0 else _view(work, o_off[l - 1], B, sizes[l])
        _matmul(below.T, d, _view(grad, w_off[l], sizes[l], sizes[l + 1]))
        if l > 0:
            W = _view(theta, w_off[l], sizes[l], sizes[l + 1])
            _matmul(d, W.T, _view(work, d_off[l - 1], B, sizes[l]))
    return loss, correct


@jit
def train_epochs(X, y_labels, y_targets, orders, shuffled, batch_size, batch_begin, batch_end,
                 sizes, acts, alphas, drops, rng, w_off, b_off, z_off, a_off, m_off, o_off,
                 d_off, theta, grad, backup, s1, s2, opt, lrs, hyper, step, loss_kind, work,
                 yb_labels, yb_targets, epoch_loss, epoch_correct):
    """Run batches ``[batch_begin, batch_end)`` of each of ``len(lrs)`` epochs.

    ``X`` is the flat ``(n * n_in,)`` training matrix. Epoch ``e`` visits rows in the order
    ``orders[e]`` when ``shuffled`` (rows are gathered into ``work``), else in storage order.
    ``epoch_loss[e]`` / ``epoch_correct[e]`` accumulate sample-weighted loss and hits.

    Dropout masks (layers with ``drops[l] > 0``) are drawn from ``rng``, the model's Generator.

    Returns ``(steps, bad_epoch, bad_batch, bad_loss)``: the optimizer steps taken, and where
    the loss stopped being finite (``bad_epoch == -1`` when it never did). On a non-finite
    loss the last update is undone, leaving the weights whose loss was finite.
    """
    n_in = sizes[0]
    n = X.shape[0] // n_in
    taken = 0
    for e in range(lrs.shape[0]):
        for batch in range(batch_begin, batch_end):
            start = batch * batch_size
            B = min(batch_size, n - start)
            if shuffled:
                xb = _view(work, 0, B, n_in)
                for i in range(B):
                    row = orders[e, start + i]
                    xb[i, :] = X[row * n_in:(row + 1) * n_in]
                    if loss_kind == CROSS_ENTROPY:
                        yb_labels[i] = y_labels[row]
                    else:
                        yb_targets[i, :] = y_targets[row, :]
                labels, targets = yb_labels[:B], yb_targets[:B]
            else:
                xb = _view(X, start * n_in, B, n_in)
                labels, targets = y_labels[start:start + B], y_targets[start:start + B]
            loss, correct = _train_batch(xb, labels, targets, sizes, acts, alphas, drops, rng,
                                         w_off, b_off, z_off, a_off, m_off, o_off, d_off, theta,
                                         grad, work, loss_kind)
            if not math.isfinite(loss):
                theta[:] = backup
                return taken, e, batch, loss
            taken += 1
            _optimizer_step(theta, grad, backup, s1, s2, opt, lrs[e], hyper, step + taken)
            epoch_loss[e] += loss * B
            epoch_correct[e] += correct
    return taken, -1, -1, 0.0
