"""The compiled dense, dropout and optimizer kernels behind :mod:`fastmlp.backends.numba_ops`.

One kernel per op. The conventions below hold for every op kernel, those of the activations
(:mod:`._activation_kernels`) and of the losses (:mod:`._loss_kernels`) too.

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

from . import _formulas as F
from ._blas import matmul
from ._jit import jit

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
