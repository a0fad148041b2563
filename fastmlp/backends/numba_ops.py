"""Fast backend: the ops of :mod:`fastmlp.backends.numpy_ops` as thin wrappers over Numba kernels.

``numpy_ops`` is the specification (shapes, semantics, docstrings); every public function here has
the same name and signature and computes the same numbers.

How the work is split:

- A public wrapper does only what keeps memory safe: it makes inputs C-contiguous (a no-op that
  returns the same object when they already are), refuses ``out`` arrays that are mis-shaped or
  not C-contiguous (a kernel would write out of bounds, or into a temporary copy), and checks that
  labels index a real column. Nothing else: these run on every training step.
- A private ``@jit`` kernel does the arithmetic. Kernels never validate or allocate. GEMMs are
  ``np.dot(a, b, out)`` (BLAS via SciPy) on C- or F-contiguous operands (``x.T`` of a C array is
  F-contiguous, which BLAS takes as a transpose flag, so no copy); everything around a GEMM (bias,
  column sums) is fused into one pass over its output.
- Scalar hyperparameters arrive as Python floats and are cast to the array dtype on the first line
  of each kernel (``dt = param.dtype.type``). That keeps float32 kernels in float32, and is about
  three times cheaper per call than casting to NumPy scalars in the wrapper. Derived constants such
  as ``1 - beta1`` are computed in Python float64 first, exactly as the reference does, so both
  backends round the same numbers.
- Kernels are serial: on a 2-core machine BLAS already uses both cores, and a second thread pool
  would only fight it. Losses are accumulated in float64 and returned as a Python float.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._scalar_math import exp as _exp
from ._scalar_math import tanh as _tanh

# --------------------------------------------------------------------------- wrapper helpers


def _mismatch(op, **shapes):
    """Raise the shape error of ``op``, listing every operand's shape."""
    listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
    raise ValueError(f"{op}: operand shapes do not fit: {listed}")


def _check_out(op, name, out):
    """Refuse an output array that is not C-contiguous.

    A kernel given a strided ``out`` would either write into a temporary copy (results lost) or
    need a slower code path; the caller owns the buffer, so it is the caller's to fix.
    """
    if not out.flags.c_contiguous:
        raise ValueError(
            f"{op}: {name} must be C-contiguous (got strides {out.strides}); "
            f"allocate it with np.empty(shape, dtype)"
        )


def _check_labels(op, y, k):
    """Raise unless every label is in ``[0, k)``: the kernels index rows by label."""
    bad = _first_bad_label(y, k)
    if bad >= 0:
        raise ValueError(f"{op}: label y[{bad}] = {y[bad]} is outside [0, {k})")


@jit
def _first_bad_label(y, k):
    for i in range(y.shape[0]):
        if y[i] < 0 or y[i] >= k:
            return i
    return -1


# --------------------------------------------------------------------------- dense


@jit
def _dense_forward_kernel(x, W, b, out):
    np.dot(x, W, out)
    if b is not None:  # pruned at compile time: b=None compiles its own specialisation
        n, m = out.shape
        for i in range(n):
            for j in range(m):
                out[i, j] += b[j]


def dense_forward(x, W, b, out):
    """Affine map ``out = x @ W + b``; see :func:`numpy_ops.dense_forward`."""
    x = np.ascontiguousarray(x)
    W = np.ascontiguousarray(W)
    if (
        x.ndim != 2
        or W.ndim != 2
        or x.shape[1] != W.shape[0]
        or out.shape != (x.shape[0], W.shape[1])
        or (b is not None and b.shape != (W.shape[1],))
    ):
        _mismatch("dense_forward", x=x.shape, W=W.shape, b=getattr(b, "shape", None), out=out.shape)
    _check_out("dense_forward", "out", out)
    if b is not None:
        b = np.ascontiguousarray(b)
    _dense_forward_kernel(x, W, b, out)


@jit
def _dense_backward_kernel(x, W, dz, dx, dW, db):
    # x.T is F-contiguous: BLAS reads it with a transpose flag instead of a copy.
    np.dot(x.T, dz, dW)
    if db is not None:
        # Column sums in one row-major pass over dz, adding rows in order as NumPy does.
        n, m = dz.shape
        for j in range(m):
            db[j] = 0
        for i in range(n):
            for j in range(m):
                db[j] += dz[i, j]
    if dx is not None:
        np.dot(dz, W.T, dx)


def dense_backward(x, W, dz, dx, dW, db):
    """Gradients of a dense layer; see :func:`numpy_ops.dense_backward`."""
    x = np.ascontiguousarray(x)
    W = np.ascontiguousarray(W)
    dz = np.ascontiguousarray(dz)
    if (
        x.ndim != 2
        or W.ndim != 2
        or x.shape[1] != W.shape[0]
        or dz.shape != (x.shape[0], W.shape[1])
        or dW.shape != W.shape
        or (dx is not None and dx.shape != x.shape)
        or (db is not None and db.shape != (W.shape[1],))
    ):
        _mismatch(
            "dense_backward",
            x=x.shape,
            W=W.shape,
            dz=dz.shape,
            dx=getattr(dx, "shape", None),
            dW=dW.shape,
            db=getattr(db, "shape", None),
        )
    _check_out("dense_backward", "dW", dW)
    if dx is not None:
        _check_out("dense_backward", "dx", dx)
    if db is not None:
        _check_out("dense_backward", "db", db)
    _dense_backward_kernel(x, W, dz, dx, dW, db)


# --------------------------------------------------------------------------- activations
# Elementwise kernels work on flat views: ravel() of a C-contiguous array is a view in Numba,
# so one loop serves every shape and the writes land in the caller's buffer.


def _explain(op, names, arrays, outputs):
    """Slow path of the checks below: raise the precise error for ``arrays`` named ``names``.

    Every array should have one shape, and each of ``outputs`` (names) should be C-contiguous.
    """
    named = {n: a for n, a in zip(names.split(), arrays) if a is not None}
    shapes = {n: a.shape for n, a in named.items()}
    if len(set(shapes.values())) > 1:
        _mismatch(op, **shapes)
    for name in outputs.split():
        _check_out(op, name, named[name])


def _elementwise(op, names, out, a, b=None):
    """``a`` (and ``b``) made C-contiguous; raise unless they have ``out``'s shape and ``out`` is
    C-contiguous. ``names`` labels a, (b,) out in messages. Written out flat: runs every call."""
    a = np.ascontiguousarray(a)
    if b is not None:
        b = np.ascontiguousarray(b)
    shape = out.shape
    if a.shape != shape or (b is not None and b.shape != shape) or not out.flags.c_contiguous:
        _explain(op, names, (a, b, out) if b is not None else (a, out), names.split()[-1])
    return a, b


@jit
def _relu_forward_kernel(z, out):
    zero = z.dtype.type(0)
    zf = z.ravel()
    of = out.ravel()
    for i in range(zf.size):
        v = zf[i]
        # "not v < 0" rather than "v > 0" so NaN propagates, as np.maximum does.
        of[i] = v if not v < zero else zero


def relu_forward(z, out):
    """``out = max(z, 0)``; see :func:`numpy_ops.relu_forward`."""
    z, _ = _elementwise("relu_forward", "z out", out, z)
    _relu_forward_kernel(z, out)


@jit
def _relu_backward_kernel(z, da, out):
    zero = z.dtype.type(0)
    one = z.dtype.type(1)
    zf = z.ravel()
    daf = da.ravel()
    of = out.ravel()
    for i in range(zf.size):
        # A multiply by the 0/1 mask (not a select) so inf/NaN in da behave as in the reference.
        of[i] = daf[i] * (one if zf[i] > zero else zero)


def relu_backward(z, da, out):
    """``out = da * [z > 0]``; see :func:`numpy_ops.relu_backward`."""
    z, da = _elementwise("relu_backward", "z da out", out, z, da)
    _relu_backward_kernel(z, da, out)


@jit
def _leaky_relu_forward_kernel(z, alpha, out):
    zero = z.dtype.type(0)
    slope = z.dtype.type(alpha)
    zf = z.ravel()
    of = out.ravel()
    for i in range(zf.size):
        v = zf[i]
        of[i] = v if v > zero else v * slope


def leaky_relu_forward(z, alpha, out):
    """``out = z`` where ``z > 0``, else ``alpha * z``; see :func:`numpy_ops.leaky_relu_forward`."""
    z, _ = _elementwise("leaky_relu_forward", "z out", out, z)
    _leaky_relu_forward_kernel(z, alpha, out)


@jit
def _leaky_relu_backward_kernel(z, alpha, da, out):
    zero = z.dtype.type(0)
    one = z.dtype.type(1)
    slope = z.dtype.type(alpha)
    zf = z.ravel()
    daf = da.ravel()
    of = out.ravel()
    for i in range(zf.size):
        of[i] = daf[i] * (one if zf[i] > zero else slope)


def leaky_relu_backward(z, alpha, da, out):
    """``out = da * (1 if z > 0 else alpha)``; see :func:`numpy_ops.leaky_relu_backward`."""
    z, da = _elementwise("leaky_relu_backward", "z da out", out, z, da)
    _leaky_relu_backward_kernel(z, alpha, da, out)


@jit
def _sigmoid_forward_kernel(z, out):
    zero = z.dtype.type(0)
    one = z.dtype.type(1)
    zf = z.ravel()
    of = out.ravel()
    for i in range(zf.size):
        v = zf[i]
        # exp(-|z|) lies in (0, 1], so it never overflows; both branches equal 1/(1+exp(-z)).
        e = _exp(-abs(v))
        of[i] = (one if v >= zero else e) / (one + e)


def sigmoid_forward(z, out):
    """Logistic ``out = 1 / (1 + exp(-z))``; see :func:`numpy_ops.sigmoid_forward`."""
    z, _ = _elementwise("sigmoid_forward", "z out", out, z)
    _sigmoid_forward_kernel(z, out)


@jit
def _sigmoid_backward_kernel(a, da, out):
    one = a.dtype.type(1)
    af = a.ravel()
    daf = da.ravel()
    of = out.ravel()
    for i in range(af.size):
        v = af[i]
        of[i] = daf[i] * (v * (one - v))


def sigmoid_backward(a, da, out):
    """``out = da * a * (1 - a)``; see :func:`numpy_ops.sigmoid_backward`."""
    a, da = _elementwise("sigmoid_backward", "a da out", out, a, da)
    _sigmoid_backward_kernel(a, da, out)


@jit
def _tanh_forward_kernel(z, out):
    zf = z.ravel()
    of = out.ravel()
    for i in range(zf.size):
        of[i] = _tanh(zf[i])


def tanh_forward(z, out):
    """``out = tanh(z)``; see :func:`numpy_ops.tanh_forward`."""
    z, _ = _elementwise("tanh_forward", "z out", out, z)
    _tanh_forward_kernel(z, out)


@jit
def _tanh_backward_kernel(a, da, out):
    one = a.dtype.type(1)
    af = a.ravel()
    daf = da.ravel()
    of = out.ravel()
    for i in range(af.size):
        v = af[i]
        of[i] = daf[i] * (one - v * v)


def tanh_backward(a, da, out):
    """``out = da * (1 - a**2)``; see :func:`numpy_ops.tanh_backward`."""
    a, da = _elementwise("tanh_backward", "a da out", out, a, da)
    _tanh_backward_kernel(a, da, out)


@jit
def _softmax_row(z, i, out):
    """Write softmax of row ``i`` of ``z`` into ``out``; return (row max, sum of exps)."""
    k = z.shape[1]
    row_max = z[i, 0]
    for j in range(1, k):
        if z[i, j] > row_max:
            row_max = z[i, j]
    for j in range(k):
        out[i, j] = _exp(z[i, j] - row_max)  # <= 1: shifting by the row max cannot overflow
    # Summed in a loop of its own: an in-order float sum cannot vectorise, the exps can.
    total = z.dtype.type(0)
    for j in range(k):
        total += out[i, j]
    for j in range(k):
        out[i, j] /= total
    return row_max, total


@jit
def _softmax_forward_kernel(z, out):
    for i in range(z.shape[0]):
        _softmax_row(z, i, out)


def softmax_forward(z, out):
    """Row-wise softmax; see :func:`numpy_ops.softmax_forward`."""
    z = np.ascontiguousarray(z)
    if z.ndim != 2 or z.shape[1] == 0 or out.shape != z.shape:
        _mismatch("softmax_forward", z=z.shape, out=out.shape)
    _check_out("softmax_forward", "out", out)
    _softmax_forward_kernel(z, out)


# --------------------------------------------------------------------------- losses


@jit
def _softmax_xent_kernel(logits, y, probs):
    n = logits.shape[0]
    loss = 0.0  # float64 on purpose: the batch loss is accumulated and reported in float64
    for i in range(n):
        true_logit = logits[i, y[i]]  # read first: probs may be the logits buffer itself
        row_max, total = _softmax_row(logits, i, probs)
        # log-sum-exp minus the true logit, both relative to the row max.
        loss += np.log(np.float64(total)) - np.float64(true_logit - row_max)
    return loss / n


def softmax_xent(logits, y, probs):
    """Softmax cross-entropy, mean over the batch; see :func:`numpy_ops.softmax_xent`."""
    logits = np.ascontiguousarray(logits)
    y = np.ascontiguousarray(y)
    if (
        logits.ndim != 2
        or logits.shape[1] == 0
        or y.shape != (logits.shape[0],)
        or probs.shape != logits.shape
    ):
        _mismatch("softmax_xent", logits=logits.shape, y=y.shape, probs=probs.shape)
    _check_out("softmax_xent", "probs", probs)
    _check_labels("softmax_xent", y, logits.shape[1])
    return _softmax_xent_kernel(logits, y, probs)


@jit
def _softmax_xent_backward_kernel(probs, y, dlogits):
    n, k = probs.shape
    nf = probs.dtype.type(n)
    inv = probs.dtype.type(1) / nf
    for i in range(n):
        for j in range(k):
            dlogits[i, j] = probs[i, j] / nf
        dlogits[i, y[i]] -= inv


def softmax_xent_backward(probs, y, dlogits):
    """``dlogits = (probs - onehot(y)) / n``; see :func:`numpy_ops.softmax_xent_backward`."""
    probs = np.ascontiguousarray(probs)
    y = np.ascontiguousarray(y)
    if probs.ndim != 2 or y.shape != (probs.shape[0],) or dlogits.shape != probs.shape:
        _mismatch("softmax_xent_backward", probs=probs.shape, y=y.shape, dlogits=dlogits.shape)
    _check_out("softmax_xent_backward", "dlogits", dlogits)
    _check_labels("softmax_xent_backward", y, probs.shape[1])
    _softmax_xent_backward_kernel(probs, y, dlogits)


@jit
def _mse_kernel(pred, target):
    pf = pred.ravel()
    tf = target.ravel()
    total = 0.0  # float64 accumulator, as the reference's mean(dtype=float64)
    for i in range(pf.size):
        d = np.float64(pf[i] - tf[i])
        total += d * d
    return total / pf.size


def mse(pred, target):
    """Mean squared error over every element; see :func:`numpy_ops.mse`."""
    pred = np.ascontiguousarray(pred)
    target = np.ascontiguousarray(target)
    if pred.shape != target.shape:
        _mismatch("mse", pred=pred.shape, target=target.shape)
    return _mse_kernel(pred, target)


@jit
def _mse_backward_kernel(pred, target, scale, dpred):
    scale = pred.dtype.type(scale)
    pf = pred.ravel()
    tf = target.ravel()
    of = dpred.ravel()
    for i in range(pf.size):
        of[i] = (pf[i] - tf[i]) * scale


def mse_backward(pred, target, dpred):
    """``dpred = 2 (pred - target) / (n k)``; see :func:`numpy_ops.mse_backward`."""
    pred, target = _elementwise("mse_backward", "pred target dpred", dpred, pred, target)
    _mse_backward_kernel(pred, target, 2 / pred.size, dpred)


# --------------------------------------------------------------------------- dropout


@jit
def _multiply_kernel(a, b, out):
    af = a.ravel()
    bf = b.ravel()
    of = out.ravel()
    for i in range(af.size):
        of[i] = af[i] * bf[i]


def dropout_forward(x, mask, out):
    """``out = x * mask`` (inverted dropout); see :func:`numpy_ops.dropout_forward`."""
    x, mask = _elementwise("dropout_forward", "x mask out", out, x, mask)
    _multiply_kernel(x, mask, out)


def dropout_backward(da, mask, out):
    """``out = da * mask``; see :func:`numpy_ops.dropout_backward`."""
    da, mask = _elementwise("dropout_backward", "da mask out", out, da, mask)
    _multiply_kernel(da, mask, out)


# --------------------------------------------------------------------------- optimizers
# One fused pass per parameter array. Each expression keeps the reference's operation order
# (e.g. (c * g) * g, (lr * g) / denom) so float32 results round the same way.


def _optimizer(op, names, param, grad, s1=None, s2=None):
    """``grad`` made C-contiguous; raise unless it and the state arrays ``s1``, ``s2`` have
    ``param``'s shape and param and state (updated in place) are C-contiguous."""
    grad = np.ascontiguousarray(grad)
    shape = param.shape
    if (
        grad.shape != shape
        or not param.flags.c_contiguous
        or (s1 is not None and (s1.shape != shape or not s1.flags.c_contiguous))
        or (s2 is not None and (s2.shape != shape or not s2.flags.c_contiguous))
    ):
        outputs = " ".join(n for n in names.split() if n != "grad")
        _explain(op, names, (param, grad, s1, s2), outputs)
    return grad


@jit
def _sgd_kernel(param, grad, lr, weight_decay):
    dt = param.dtype.type
    lr = dt(lr)
    wd = dt(weight_decay)
    use_wd = weight_decay != 0
    p = param.ravel()
    g = grad.ravel()
    for i in range(p.size):
        gi = g[i] + wd * p[i] if use_wd else g[i]
        p[i] -= lr * gi


@jit
def _sgd_momentum_kernel(param, grad, velocity, lr, momentum, nesterov, weight_decay):
    dt = param.dtype.type
    lr = dt(lr)
    mu = dt(momentum)
    wd = dt(weight_decay)
    use_wd = weight_decay != 0
    p = param.ravel()
    g = grad.ravel()
    v = velocity.ravel()
    for i in range(p.size):
        gi = g[i] + wd * p[i] if use_wd else g[i]
        vi = v[i] * mu + gi
        v[i] = vi
        p[i] -= lr * (gi + mu * vi if nesterov else vi)


def sgd_update(param, grad, velocity, lr, momentum, nesterov, weight_decay):
    """One SGD step in place, as ``torch.optim.SGD``; see :func:`numpy_ops.sgd_update`."""
    if momentum:
        grad = _optimizer("sgd_update", "param grad velocity", param, grad, velocity)
        _sgd_momentum_kernel(param, grad, velocity, lr, momentum, bool(nesterov), weight_decay)
    else:  # velocity is unused without momentum and may be None, as in the reference
        grad = _optimizer("sgd_update", "param grad", param, grad)
        _sgd_kernel(param, grad, lr, weight_decay)


@jit
def _rmsprop_kernel(param, grad, sq_avg, lr, rho, one_minus_rho, eps, weight_decay):
    dt = param.dtype.type
    lr = dt(lr)
    rho = dt(rho)
    c = dt(one_minus_rho)
    eps = dt(eps)
    wd = dt(weight_decay)
    use_wd = weight_decay != 0
    p = param.ravel()
    g = grad.ravel()
    s = sq_avg.ravel()
    for i in range(p.size):
        gi = g[i] + wd * p[i] if use_wd else g[i]
        si = s[i] * rho + c * gi * gi
        s[i] = si
        p[i] -= lr * gi / (np.sqrt(si) + eps)


def rmsprop_update(param, grad, sq_avg, lr, rho, eps, weight_decay):
    """One RMSprop step in place, as ``torch.optim.RMSprop``; see the reference."""
    grad = _optimizer("rmsprop_update", "param grad sq_avg", param, grad, sq_avg)
    _rmsprop_kernel(param, grad, sq_avg, lr, rho, 1 - rho, eps, weight_decay)


@jit
def _adam_kernel(param, grad, m, v, beta1, c1, beta2, c2, step_size, bc2_sqrt, eps, wd, decay):
    # decay != 1 means decoupled weight decay (AdamW); wd != 0 means L2 folded into the gradient.
    dt = param.dtype.type
    beta1 = dt(beta1)
    c1 = dt(c1)
    beta2 = dt(beta2)
    c2 = dt(c2)
    step_size = dt(step_size)
    bc2_sqrt = dt(bc2_sqrt)
    eps = dt(eps)
    use_l2 = wd != 0
    wd = dt(wd)
    use_decay = decay != 1
    decay = dt(decay)
    p = param.ravel()
    g = grad.ravel()
    mf = m.ravel()
    vf = v.ravel()
    for i in range(p.size):
        pi = p[i] * decay if use_decay else p[i]
        gi = g[i] + wd * pi if use_l2 else g[i]
        mi = mf[i] * beta1 + c1 * gi
        vi = vf[i] * beta2 + c2 * gi * gi
        mf[i] = mi
        vf[i] = vi
        p[i] = pi - step_size * mi / (np.sqrt(vi) / bc2_sqrt + eps)


def adam_update(param, grad, m, v, lr, beta1, beta2, eps, step, weight_decay, decoupled):
    """One Adam/AdamW step in place, as ``torch.optim.Adam[W]``; see the reference."""
    grad = _optimizer("adam_update", "param grad m v", param, grad, m, v)
    # Scalars in Python float64, exactly as the reference computes them, then cast in the kernel.
    decouple = bool(weight_decay) and bool(decoupled)
    _adam_kernel(
        param,
        grad,
        m,
        v,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        lr / (1 - beta1**step),
        math.sqrt(1 - beta2**step),
        eps,
        0.0 if decouple else weight_decay,
        1 - lr * weight_decay if decouple else 1.0,
    )


# --------------------------------------------------------------------------- gradients

from ._numgrad_numba import numerical_gradient  # noqa: E402, F401
