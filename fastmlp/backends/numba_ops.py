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

The activations' and the losses' wrappers are written in ``_numba_activations`` and
``_numba_losses`` and re-exported here, as ``numpy_ops`` does with its own; the checks every
wrapper runs are in ``_numba_checks``. Dense layers, dropout, the optimizers and the
numerical gradient (``_numgrad_numba``) are below.
"""

from __future__ import annotations

import math

import numpy as np

from . import _op_kernels as K
from ._numba_activations import (  # noqa: F401 - the backend's ops, re-exported
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from ._numba_checks import check_out, elementwise, explain, mismatch
from ._numba_losses import (  # noqa: F401 - the backend's ops, re-exported
    mse,
    mse_backward,
    sigmoid_bce,
    sigmoid_bce_backward,
    softmax_xent,
    softmax_xent_backward,
)

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
        mismatch("dense_forward", x=x.shape, W=W.shape, b=getattr(b, "shape", None), out=out.shape)
    check_out("dense_forward", "out", out)
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
        mismatch(
            "dense_backward",
            x=x.shape,
            W=W.shape,
            dz=dz.shape,
            dx=getattr(dx, "shape", None),
            dW=dW.shape,
            db=getattr(db, "shape", None),
        )
    check_out("dense_backward", "dW", dW)
    if dx is not None:
        check_out("dense_backward", "dx", dx)
    if db is not None:
        check_out("dense_backward", "db", db)
    K.dense_backward(x, W, dz, dx, dW, db)


# --------------------------------------------------------------------------- dropout


def dropout_forward(x, mask, out):
    """``out = x * mask`` (inverted dropout); see :func:`numpy_ops.dropout_forward`."""
    x, mask = elementwise("dropout_forward", "x mask out", out, x, mask)
    K.multiply(x, mask, out)


def dropout_backward(da, mask, out):
    """``out = da * mask``; see :func:`numpy_ops.dropout_backward`."""
    da, mask = elementwise("dropout_backward", "da mask out", out, da, mask)
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
        explain(op, names, (param, grad, s1, s2), outputs)
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
