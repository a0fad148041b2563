"""The activations of the Numba path and their derivatives, one implementation per float type.

Each activation and its derivative has a name (``relu``, ``relu_grad``...), and
:func:`activate` / :func:`activation_grad` choose one by its code (:mod:`.codes`). The rules
every formula keeps (NaN propagation, constants in the argument's type, statements rather
than conditional expressions) are set out in :mod:`._formulas`, through which kernels call
these.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import FORMULA_OPTIONS, formula, formula_inline
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

_FLOATS = {types.float32: np.float32, types.float64: np.float64}

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


_OVERLOAD = {"inline": "never", "jit_options": FORMULA_OPTIONS}


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


@formula
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


@formula_inline
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
