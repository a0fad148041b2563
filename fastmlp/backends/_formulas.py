"""Every formula of the Numba path, written once: activations, their derivatives, the losses
per row and the optimizer updates per element.

The op kernels (``_op_kernels``), the fused training kernel (``_train_kernel``) and the
numerical-gradient kernel (``_numgrad_kernels``) all call these, so the three can never
drift apart. Each is compiled once per float type and LLVM inlines it into the caller's
loop, which then vectorises as if the formula were written in it; inlining them at Numba's
level instead (``inline="always"``) runs at the same speed but retypes the formula at every
call site, which made a cold start 10 % slower. ``tanh`` (``_scalar_math``) is the
exception: too large for LLVM to inline on its own. The few formulas that choose by a code
are inlined at Numba's level, so that constant codes prune them. The NumPy reference
(``numpy_ops``) keeps its own vectorised maths: it is the living definition these are
tested against.

Rules the formulas keep, and why:

- NaN propagates wherever NumPy's would (``relu`` tests ``v < 0``, not ``v > 0``), and
  derivatives multiply by a 0/1 factor instead of selecting, so ``inf * 0`` is NaN on every
  path, as in the reference: a network stops at the same step whichever path trains it.
- Constants are built in the argument's float type (float32 code never touches a float64);
  activations therefore come from per-type implementations, like ``exp`` and ``tanh``.
- Statements, not conditional expressions: inlined ternaries trip Numba's SSA check on
  Python 3.11 (NumbaIRAssumptionWarning, numba issue 9489).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from ._jit import JIT_OPTIONS
from ._scalar_math import exp, tanh
from .codes import (
    IDENTITY,
    LEAKY_RELU,
    LEAKY_RELU_BIT,
    RELU,
    RELU_BIT,
    SIGMOID,
    SIGMOID_BIT,
    TANH,
    TANH_BIT,
)

_OPTIONS = {k: JIT_OPTIONS[k] for k in ("fastmath", "error_model")}
_FLOATS = {types.float32: np.float32, types.float64: np.float64}

inline = njit(inline="never", **_OPTIONS)
#: For the few formulas that choose by a code: inlined at Numba's level, so that a caller
#: whose code or set of codes is a compile-time constant drops the branches it never takes.
always_inline = njit(inline="always", **_OPTIONS)


# --------------------------------------------------------------------------- activations
# Python stubs give the names; the overloads below give one implementation per float type.


def relu(v):
    """``max(v, 0)``, NaN propagating."""


def leaky_relu(v, alpha):
    """``v`` if ``v > 0`` else ``alpha * v`` (``alpha`` in ``v``'s type)."""


def sigmoid(v):
    """``1 / (1 + exp(-v))`` without overflow."""


def relu_grad(g, z):
    """``g * [z > 0]``: the upstream gradient ``g`` through a ReLU at pre-activation ``z``."""


def leaky_relu_grad(g, z, alpha):
    """``g * (1 if z > 0 else alpha)``."""


def sigmoid_grad(g, a):
    """``g * a * (1 - a)`` from the sigmoid's output ``a``."""


def tanh_grad(g, a):
    """``g * (1 - a * a)`` from tanh's output ``a``."""


def _relu_impl(f):
    zero = f(0)

    def impl(v):
        out = v
        if v < zero:
            out = zero
        return out

    return impl


def _leaky_relu_impl(f):
    zero = f(0)

    def impl(v, alpha):
        out = v
        if not v > zero:
            out = v * alpha
        return out

    return impl


def _sigmoid_impl(f):
    zero, one = f(0), f(1)

    def impl(v):
        e = exp(-abs(v))  # in (0, 1]: never overflows; both branches equal the logistic
        top = e
        if v >= zero:
            top = one
        return top / (one + e)

    return impl


def _relu_grad_impl(f):
    zero, one = f(0), f(1)

    def impl(g, z):
        slope = zero
        if z > zero:
            slope = one
        return g * slope

    return impl


def _leaky_relu_grad_impl(f):
    zero, one = f(0), f(1)

    def impl(g, z, alpha):
        slope = alpha
        if z > zero:
            slope = one
        return g * slope

    return impl


def _sigmoid_grad_impl(f):
    one = f(1)

    def impl(g, a):
        return g * (a * (one - a))

    return impl


def _tanh_grad_impl(f):
    one = f(1)

    def impl(g, a):
        return g * (one - a * a)

    return impl


_OVERLOAD = {"inline": "never", "jit_options": _OPTIONS}


def _for_type(factory, numba_type):
    """The implementation of ``factory`` for a float type (None for other types)."""
    f = _FLOATS.get(numba_type)
    return None if f is None else factory(f)


# Each overload's parameters carry the stub's names: Numba matches them by name.
@overload(relu, **_OVERLOAD)
def _relu_typed(v):
    return _for_type(_relu_impl, v)


@overload(leaky_relu, **_OVERLOAD)
def _leaky_relu_typed(v, alpha):
    return _for_type(_leaky_relu_impl, v)


@overload(sigmoid, **_OVERLOAD)
def _sigmoid_typed(v):
    return _for_type(_sigmoid_impl, v)


@overload(relu_grad, **_OVERLOAD)
def _relu_grad_typed(g, z):
    return _for_type(_relu_grad_impl, g)


@overload(leaky_relu_grad, **_OVERLOAD)
def _leaky_relu_grad_typed(g, z, alpha):
    return _for_type(_leaky_relu_grad_impl, g)


@overload(sigmoid_grad, **_OVERLOAD)
def _sigmoid_grad_typed(g, a):
    return _for_type(_sigmoid_grad_impl, g)


@overload(tanh_grad, **_OVERLOAD)
def _tanh_grad_typed(g, a):
    return _for_type(_tanh_grad_impl, g)


@inline
def activate(v, code, alpha):
    """The activation with code ``code`` (see :mod:`.codes`) at ``v``."""
    out = v
    if code == RELU:
        out = relu(v)
    elif code == LEAKY_RELU:
        out = leaky_relu(v, alpha)
    elif code == SIGMOID:
        out = sigmoid(v)
    elif code == TANH:
        out = tanh(v)
    return out


@always_inline
def activation_grad(g, z, a, code, alpha, used):
    """``g`` times the derivative of activation ``code`` at pre-activation ``z`` (output ``a``).

    ``used`` is the set of codes that can occur (:func:`.codes.activation_set`); when the
    caller's is a constant, the others are not compiled."""
    out = g
    if used & RELU_BIT and code == RELU:
        out = relu_grad(g, z)
    elif used & LEAKY_RELU_BIT and code == LEAKY_RELU:
        out = leaky_relu_grad(g, z, alpha)
    elif used & SIGMOID_BIT and code == SIGMOID:
        out = sigmoid_grad(g, a)
    elif used & TANH_BIT and code == TANH:
        out = tanh_grad(g, a)
    return out


assert IDENTITY == 0  # activate/activation_grad fall through to the identity


# --------------------------------------------------------------------------- losses per row


@inline
def softmax_row(z, out):
    """``out = softmax(z)`` for one row ``z (k,)``; returns ``(max of z, sum of exp(z - max))``.

    Shifting by the row max keeps every exp <= 1. The sum runs in a loop of its own, in
    order: an in-order float sum cannot vectorise, the exps can.
    """
    k = z.shape[0]
    top = z[0]
    for j in range(1, k):
        if z[j] > top:
            top = z[j]
    for j in range(k):
        out[j] = exp(z[j] - top)
    total = out.dtype.type(0)
    for j in range(k):
        total += out[j]
    for j in range(k):
        out[j] = out[j] / total
    return top, total


@inline
def xent_from_softmax(total, true_logit, top):
    """One row's cross-entropy, ``log(sum exp(z - max)) - (z[y] - max)``, in float64."""
    return math.log(np.float64(total)) - np.float64(true_logit - top)


@inline
def bce_element(z, t):
    """Binary cross-entropy of one logit ``z`` against a target ``t`` in [0, 1], in float64.

    ``max(z, 0) - z t + log(1 + exp(-|z|))``: the log-sigmoid stable form (the exp never
    overflows), NaN propagating as the reference's ``np.maximum`` does.
    """
    z64, t64 = np.float64(z), np.float64(t)
    top = z64
    if z64 < 0.0:
        top = 0.0
    return top - z64 * t64 + math.log1p(math.exp(-abs(z64)))


@inline
def weight_sum(w):
    """The sum of a batch's sample weights ``w (B,)``, in order, in float64: every kernel
    divides by this same number, so the fused and the op-by-op paths round alike."""
    total = 0.0
    for i in range(w.shape[0]):
        total += np.float64(w[i])
    return total


@inline
def add_squared_errors(total, pred, target):
    """``total + sum((pred - target)**2)`` over one row, in order, accumulated in float64.

    Taking the running total (rather than returning a row sum) keeps the summation order of
    one flat loop over the whole batch, whichever way a caller walks the rows.
    """
    for j in range(pred.shape[0]):
        d = np.float64(pred[j] - target[j])
        total += d * d
    return total


# --------------------------------------------------------------------------- optimizers
# Per element; every argument already in the parameter's float type, derived constants such as
# 1 - beta1 computed by the caller in float64 first, exactly as the reference does. The
# expressions keep the reference's operation order, so float32 results round the same way.


@inline
def sgd_element(p, g, velocity, lr, momentum, nesterov, wd, use_wd, use_momentum):
    """One SGD step of one element; returns ``(new p, new velocity)``."""
    if use_wd:
        g = g + wd * p
    if use_momentum:
        velocity = velocity * momentum + g
        if nesterov:
            g = g + momentum * velocity
        else:
            g = velocity
    return p - lr * g, velocity


@inline
def rmsprop_element(p, g, sq_avg, lr, rho, one_minus_rho, eps, wd, use_wd):
    """One RMSprop step of one element; returns ``(new p, new sq_avg)``."""
    if use_wd:
        g = g + wd * p
    sq_avg = sq_avg * rho + one_minus_rho * g * g
    return p - lr * g / (np.sqrt(sq_avg) + eps), sq_avg


@inline
def adam_element(p, g, m, v, beta1, c1, beta2, c2, step_size, bc2_sqrt, eps, wd, use_l2,
                 shrink, use_shrink):
    """One Adam/AdamW step of one element; returns ``(new p, new m, new v)``.

    ``use_shrink``: decoupled decay (AdamW), ``p *= shrink`` first; ``use_l2``: ``wd * p`` joins
    the gradient (Adam's L2). ``step_size = lr / (1 - beta1**t)``, ``bc2_sqrt = sqrt(1 -
    beta2**t)``.
    """
    if use_shrink:
        p = p * shrink
    if use_l2:
        g = g + wd * p
    m = m * beta1 + c1 * g
    v = v * beta2 + c2 * g * g
    return p - step_size * m / (np.sqrt(v) / bc2_sqrt + eps), m, v
