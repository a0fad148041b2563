"""Fast backend: the ops of :mod:`fastmlp.backends.numpy_ops` as thin wrappers over Numba kernels.

``numpy_ops`` is the specification (shapes, semantics, docstrings); every public function here has
the same name and signature and computes the same numbers.

How the work is split:

- A public wrapper does only what keeps memory safe: it makes inputs C-contiguous (a no-op that
  returns the same object when they already are), refuses ``out`` arrays that are mis-shaped or
  not C-contiguous (a kernel would write out of bounds, or into a temporary copy), and checks that
  labels index a real column. Nothing else: these run on every training step.
- The arithmetic is a compiled kernel of the same name in :mod:`._op_kernels` (activations in
  :mod:`._activation_kernels`, losses in :mod:`._loss_kernels`), built from the formulas of
  :mod:`._formulas` that the fused training kernel and the numerical-gradient kernel share.
  Derived constants such as ``1 - beta1`` are computed here in Python float64 first,
  exactly as the reference does, so both backends round the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from . import _activation_kernels as KA
from . import _loss_kernels as KL
from . import _op_kernels as K

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


def _sample_weights(op, weights, n, dtype):
    """``weights`` as a C-contiguous ``(n,)`` array of ``dtype`` (None stays None)."""
    if weights is None:
        return None
    w = np.ascontiguousarray(weights, dtype=dtype)
    if w.shape != (n,):
        _mismatch(op, weights=w.shape, expected=(n,))
    return w


def _check_labels(op, y, k):
    """Raise unless every label is in ``[0, k)``: the kernels index rows by label."""
    bad = KL.first_bad_label(y, k)
    if bad >= 0:
        raise ValueError(f"{op}: label y[{bad}] = {y[bad]} is outside [0, {k})")


# --------------------------------------------------------------------------- dense


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
    K.dense_forward(x, W, b, out)


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
    K.dense_backward(x, W, dz, dx, dW, db)


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


def relu_forward(z, out):
    """``out = max(z, 0)``; see :func:`numpy_ops.relu_forward`."""
    z, _ = _elementwise("relu_forward", "z out", out, z)
    KA.relu_forward(z, out)


def relu_backward(z, da, out):
    """``out = da * [z > 0]``; see :func:`numpy_ops.relu_backward`."""
    z, da = _elementwise("relu_backward", "z da out", out, z, da)
    KA.relu_backward(z, da, out)


def leaky_relu_forward(z, alpha, out):
    """``out = z`` where ``z > 0``, else ``alpha * z``; see :func:`numpy_ops.leaky_relu_forward`."""
    z, _ = _elementwise("leaky_relu_forward", "z out", out, z)
    KA.leaky_relu_forward(z, alpha, out)


def leaky_relu_backward(z, alpha, da, out):
    """``out = da * (1 if z > 0 else alpha)``; see :func:`numpy_ops.leaky_relu_backward`."""
    z, da = _elementwise("leaky_relu_backward", "z da out", out, z, da)
    KA.leaky_relu_backward(z, alpha, da, out)


def sigmoid_forward(z, out):
    """Logistic ``out = 1 / (1 + exp(-z))``; see :func:`numpy_ops.sigmoid_forward`."""
    z, _ = _elementwise("sigmoid_forward", "z out", out, z)
    KA.sigmoid_forward(z, out)


def sigmoid_backward(a, da, out):
    """``out = da * a * (1 - a)``; see :func:`numpy_ops.sigmoid_backward`."""
    a, da = _elementwise("sigmoid_backward", "a da out", out, a, da)
    KA.sigmoid_backward(a, da, out)


def tanh_forward(z, out):
    """``out = tanh(z)``; see :func:`numpy_ops.tanh_forward`."""
    z, _ = _elementwise("tanh_forward", "z out", out, z)
    KA.tanh_forward(z, out)


def tanh_backward(a, da, out):
    """``out = da * (1 - a**2)``; see :func:`numpy_ops.tanh_backward`."""
    a, da = _elementwise("tanh_backward", "a da out", out, a, da)
    KA.tanh_backward(a, da, out)


def softmax_forward(z, out):
    """Row-wise softmax; see :func:`numpy_ops.softmax_forward`."""
    z = np.ascontiguousarray(z)
    if z.ndim != 2 or z.shape[1] == 0 or out.shape != z.shape:
        _mismatch("softmax_forward", z=z.shape, out=out.shape)
    _check_out("softmax_forward", "out", out)
    KA.softmax_forward(z, out)


# --------------------------------------------------------------------------- losses


def softmax_xent(logits, y, probs, weights=None):
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
    weights = _sample_weights("softmax_xent", weights, logits.shape[0], logits.dtype)
    return KL.softmax_xent(logits, y, probs, weights)


def softmax_xent_backward(probs, y, dlogits, weights=None):
    """``dlogits = (probs - onehot(y)) / n``; see :func:`numpy_ops.softmax_xent_backward`."""
    probs = np.ascontiguousarray(probs)
    y = np.ascontiguousarray(y)
    if probs.ndim != 2 or y.shape != (probs.shape[0],) or dlogits.shape != probs.shape:
        _mismatch("softmax_xent_backward", probs=probs.shape, y=y.shape, dlogits=dlogits.shape)
    _check_out("softmax_xent_backward", "dlogits", dlogits)
    _check_labels("softmax_xent_backward", y, probs.shape[1])
    weights = _sample_weights("softmax_xent_backward", weights, probs.shape[0], probs.dtype)
    KL.softmax_xent_backward(probs, y, dlogits, weights)


def mse(pred, target, weights=None):
    """Mean squared error over every element; see :func:`numpy_ops.mse`."""
    pred = np.ascontiguousarray(pred)
    target = np.ascontiguousarray(target)
    if pred.shape != target.shape:
        _mismatch("mse", pred=pred.shape, target=target.shape)
    if weights is not None:
        if pred.ndim != 2:
            _mismatch("mse", pred=pred.shape, target=target.shape)
        weights = _sample_weights("mse", weights, pred.shape[0], pred.dtype)
    return KL.mse(pred, target, weights)


def mse_backward(pred, target, dpred, weights=None):
    """``dpred = 2 (pred - target) / (n k)``; see :func:`numpy_ops.mse_backward`."""
    pred, target = _elementwise("mse_backward", "pred target dpred", dpred, pred, target)
    if weights is not None:
        if pred.ndim != 2:
            _mismatch("mse_backward", pred=pred.shape, target=target.shape)
        weights = _sample_weights("mse_backward", weights, pred.shape[0], pred.dtype)
    KL.mse_backward(pred, target, 2 / pred.size, dpred, weights)


def sigmoid_bce(logits, target, probs, weights=None):
    """Sigmoid binary cross-entropy, mean over every element; see
    :func:`numpy_ops.sigmoid_bce`."""
    logits = np.ascontiguousarray(logits)
    target = np.ascontiguousarray(target)
    if logits.ndim != 2 or target.shape != logits.shape or probs.shape != logits.shape:
        _mismatch("sigmoid_bce", logits=logits.shape, target=target.shape, probs=probs.shape)
    _check_out("sigmoid_bce", "probs", probs)
    if weights is None:
        return KL.sigmoid_bce(logits, target, probs)
    weights = _sample_weights("sigmoid_bce", weights, logits.shape[0], logits.dtype)
    return KL.sigmoid_bce_weighted(logits, target, probs, weights)


def sigmoid_bce_backward(probs, target, dlogits, weights=None):
    """``dlogits = (probs - target) / (n k)``; see :func:`numpy_ops.sigmoid_bce_backward`."""
    probs, target = _elementwise("sigmoid_bce_backward", "probs target dlogits", dlogits, probs,
                                 target)
    if weights is not None:
        if probs.ndim != 2:
            _mismatch("sigmoid_bce_backward", probs=probs.shape, target=target.shape)
        weights = _sample_weights("sigmoid_bce_backward", weights, probs.shape[0], probs.dtype)
    KL.sigmoid_bce_backward(probs, target, dlogits, weights)


# --------------------------------------------------------------------------- dropout


def dropout_forward(x, mask, out):
    """``out = x * mask`` (inverted dropout); see :func:`numpy_ops.dropout_forward`."""
    x, mask = _elementwise("dropout_forward", "x mask out", out, x, mask)
    K.multiply(x, mask, out)


def dropout_backward(da, mask, out):
    """``out = da * mask``; see :func:`numpy_ops.dropout_backward`."""
    da, mask = _elementwise("dropout_backward", "da mask out", out, da, mask)
    K.multiply(da, mask, out)


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


def sgd_update(param, grad, velocity, lr, momentum, nesterov, weight_decay):
    """One SGD step in place, as ``torch.optim.SGD``; see :func:`numpy_ops.sgd_update`."""
    if momentum:
        grad = _optimizer("sgd_update", "param grad velocity", param, grad, velocity)
        K.sgd(param, grad, velocity, lr, momentum, bool(nesterov), weight_decay)
    else:  # velocity is unused without momentum and may be None, as in the reference
        grad = _optimizer("sgd_update", "param grad", param, grad)
        K.sgd(param, grad, None, lr, 0.0, False, weight_decay)


def rmsprop_update(param, grad, sq_avg, lr, rho, eps, weight_decay):
    """One RMSprop step in place, as ``torch.optim.RMSprop``; see the reference."""
    grad = _optimizer("rmsprop_update", "param grad sq_avg", param, grad, sq_avg)
    K.rmsprop(param, grad, sq_avg, lr, rho, 1 - rho, eps, weight_decay)


def adam_update(param, grad, m, v, lr, beta1, beta2, eps, step, weight_decay, decoupled):
    """One Adam/AdamW step in place, as ``torch.optim.Adam[W]``; see the reference."""
    grad = _optimizer("adam_update", "param grad m v", param, grad, m, v)
    # Scalars in Python float64, exactly as the reference computes them, then cast in the kernel.
    decouple = bool(weight_decay) and bool(decoupled)
    K.adam(
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
