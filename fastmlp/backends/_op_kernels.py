"""The compiled kernels behind :mod:`fastmlp.backends.numba_ops`, one per op.

Kernels never validate or allocate: the wrappers in ``numba_ops`` do both. The arithmetic
comes from :mod:`._formulas`, shared with the fused training kernel and the numerical-gradient
kernel. GEMMs are :func:`matmul` (BLAS, :mod:`._blas`) on C-contiguous operands with
transpose flags (``x.T @ dz`` is ``matmul(x, True, dz, False, dW)``, no copy); everything
around a GEMM (bias, column sums) is fused into one pass over its output.

Elementwise kernels work on flat views: ``ravel()`` of a C-contiguous array is a view in Numba,
so one loop serves every shape and the writes land in the caller's buffer. Scalar
hyperparameters arrive as Python floats and are cast to the array's dtype on the first lines
(``dt = param.dtype.type``), which keeps float32 kernels in float32. Kernels are serial: on a
2-core machine BLAS already uses both cores, and a second thread pool would only fight it.
Losses are accumulated in float64 and returned as a Python float.
"""

from __future__ import annotations

import numpy as np

from . import _formulas as F
from ._blas import matmul
from ._jit import jit
from ._scalar_math import tanh


@jit
def first_bad_label(y, k):
    """Index of the first label outside ``[0, k)``, or -1."""
    for i in range(y.shape[0]):
        if y[i] < 0 or y[i] >= k:
            return i
    return -1


# --------------------------------------------------------------------------- dense

@jit
def dense_forward(x, W, b, out):
    matmul(x, False, W, False, out)
    if b is not None:  # pruned at compile time: b=None compiles its own specialisation
        n, m = out.shape
        for i in range(n):
            for j in range(m):
                out[i, j] += b[j]


@jit
def dense_backward(x, W, dz, dx, dW, db):
    matmul(x, True, dz, False, dW)
    if db is not None:
        # Column sums in one row-major pass over dz, adding rows in order as NumPy does.
        n, m = dz.shape
        for j in range(m):
            db[j] = 0
        for i in range(n):
            for j in range(m):
                db[j] += dz[i, j]
    if dx is not None:
        matmul(dz, False, W, True, dx)


# --------------------------------------------------------------------------- activations


@jit
def relu_forward(z, out):
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.relu(zf[i])


@jit
def relu_backward(z, da, out):
    zf, daf, of = z.ravel(), da.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.relu_grad(daf[i], zf[i])


@jit
def leaky_relu_forward(z, alpha, out):
    slope = z.dtype.type(alpha)
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.leaky_relu(zf[i], slope)


@jit
def leaky_relu_backward(z, alpha, da, out):
    slope = z.dtype.type(alpha)
    zf, daf, of = z.ravel(), da.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.leaky_relu_grad(daf[i], zf[i], slope)


@jit
def sigmoid_forward(z, out):
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = F.sigmoid(zf[i])


@jit
def sigmoid_backward(a, da, out):
    af, daf, of = a.ravel(), da.ravel(), out.ravel()
    for i in range(af.size):
        of[i] = F.sigmoid_grad(daf[i], af[i])


@jit
def tanh_forward(z, out):
    zf, of = z.ravel(), out.ravel()
    for i in range(zf.size):
        of[i] = tanh(zf[i])


@jit
def tanh_backward(a, da, out):
    af, daf, of = a.ravel(), da.ravel(), out.ravel()
    for i in range(af.size):
        of[i] = F.tanh_grad(daf[i], af[i])


@jit
def softmax_forward(z, out):
    for i in range(z.shape[0]):
        F.softmax_row(z[i], out[i])


# --------------------------------------------------------------------------- losses


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


# --------------------------------------------------------------------------- dropout


@jit
def multiply(a, b, out):
    af, bf, of = a.ravel(), b.ravel(), out.ravel()
    for i in range(af.size):
        of[i] = af[i] * bf[i]


# --------------------------------------------------------------------------- optimizers


@jit
def sgd(param, grad, velocity, lr, momentum, nesterov, weight_decay):
    """``velocity`` is None without momentum: that branch is then pruned at compile time."""
    dt = param.dtype.type
    lr_, mu, wd = dt(lr), dt(momentum), dt(weight_decay)
    use_wd = weight_decay != 0
    p, g = param.ravel(), grad.ravel()
    if velocity is not None:
        v = velocity.ravel()
        for i in range(p.size):
            p[i], v[i] = F.sgd_element(p[i], g[i], v[i], lr_, mu, nesterov, wd, use_wd, True)
    else:
        zero = dt(0)
        for i in range(p.size):
            p[i], _ = F.sgd_element(p[i], g[i], zero, lr_, mu, nesterov, wd, use_wd, False)


@jit
def rmsprop(param, grad, sq_avg, lr, rho, one_minus_rho, eps, weight_decay):
    dt = param.dtype.type
    lr_, rho_, c, eps_, wd = dt(lr), dt(rho), dt(one_minus_rho), dt(eps), dt(weight_decay)
    use_wd = weight_decay != 0
    p, g, s = param.ravel(), grad.ravel(), sq_avg.ravel()
    for i in range(p.size):
        p[i], s[i] = F.rmsprop_element(p[i], g[i], s[i], lr_, rho_, c, eps_, wd, use_wd)


@jit
def adam(param, grad, m, v, beta1, c1, beta2, c2, step_size, bc2_sqrt, eps, wd, shrink):
    """``wd != 0``: L2 folded into the gradient (Adam); ``shrink != 1``: decoupled decay."""
    dt = param.dtype.type
    b1, c1_, b2, c2_ = dt(beta1), dt(c1), dt(beta2), dt(c2)
    step, bc2, eps_, wd_, shrink_ = dt(step_size), dt(bc2_sqrt), dt(eps), dt(wd), dt(shrink)
    use_l2, use_shrink = wd != 0, shrink != 1
    p, g, mf, vf = param.ravel(), grad.ravel(), m.ravel(), v.ravel()
    for i in range(p.size):
        p[i], mf[i], vf[i] = F.adam_element(p[i], g[i], mf[i], vf[i], b1, c1_, b2, c2_, step,
                                            bc2, eps_, wd_, use_l2, shrink_, use_shrink)
