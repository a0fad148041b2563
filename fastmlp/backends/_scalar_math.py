"""Fast ``exp`` and ``tanh`` for Numba kernels, in float32 and float64.

This llvmlite has no Intel SVML, so ``math.exp`` / ``math.tanh`` inside a Numba loop are scalar
libm calls that stop the loop from vectorising: on 128x128 float32 they measured ~5x (exp) and
~100x (tanh) slower than NumPy's SIMD ufuncs. ``exp`` and ``tanh`` here are plain arithmetic, so
loops that use them vectorise. Constants are derived here rather than typed in, and built per
dtype (float32 code never touches a float64). Accuracy is tested: about 1 ulp for exp, 2 for tanh.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import JIT_OPTIONS


def _ln2_split(bits):
    """ln 2 = hi + lo, hi with ``bits`` significant bits so that ``n * hi`` is exact."""
    with localcontext() as ctx:
        ctx.prec = 40
        ln2 = Decimal(2).ln()
        hi = math.ldexp(round(math.ldexp(float(ln2), bits)), -bits)
        return hi, float(ln2 - Decimal(hi))


def _tanh_series(nterms):
    """Taylor coefficients of tanh (of x, x**3, x**5, ...), exactly, from sinh / cosh."""
    size = 2 * nterms
    sinh = [Fraction(k % 2, math.factorial(k)) for k in range(size)]
    cosh = [Fraction(1 - k % 2, math.factorial(k)) for k in range(size)]
    quotient = []
    for k in range(size):
        quotient.append(sinh[k] - sum(quotient[j] * cosh[k - j] for j in range(k)))
    return quotient[1::2]


def _exp_impl(ftype, itype, ln2_bits, degree):
    """exp for one float type: n = round(x / ln 2), exp(x) = 2**n * exp(r), |r| <= ln(2) / 2.

    ``n * hi`` is exact (Cody-Waite), so r carries no reduction error; a Taylor polynomial of
    ``degree`` is below half an ulp on |r| <= 0.35; 2**n is built from its exponent bits, in two
    halves so that results in the subnormal range come out right.
    """
    info = np.finfo(ftype)
    f = ftype
    hi, lo = (f(c) for c in _ln2_split(ln2_bits))
    coeffs = tuple(f(1 / math.factorial(k)) for k in range(degree, -1, -1))
    log2e, half, zero, inf = f(1 / math.log(2)), f(0.5), f(0), f(np.inf)
    x_max = f(math.log(float(info.max)))  # above: overflow to inf
    x_min = f((info.minexp - info.nmant - 1) * math.log(2))  # below: rounds to 0
    bias, shift = int(info.maxexp) - 1, int(info.nmant)

    def impl(x):
        xc = x  # clamped; not min(max()), whose overloads compile on their own (0.1 s)
        if xc < x_min:
            xc = x_min
        if xc > x_max:
            xc = x_max
        n = np.floor(xc * log2e + half)
        r = (xc - n * hi) - n * lo
        p = coeffs[0]
        for k in range(1, len(coeffs)):
            p = p * r + coeffs[k]
        n1 = np.floor(n * half)
        scale1 = itype((int(n1) + bias) << shift).view(ftype)
        scale2 = itype((int(n - n1) + bias) << shift).view(ftype)
        y = p * scale1 * scale2
        # Statements, not conditional expressions: inlined ternaries trip Numba's SSA check
        # on Python 3.11 (NumbaIRAssumptionWarning, numba issue 9489).
        if x > x_max:
            y = inf
        if x < x_min:
            y = zero
        if x != x:  # NaN in, NaN out
            y = x
        return y

    return impl


def _tanh_impl(ftype, nterms, small):
    """tanh for one float type: the Taylor series below ``small``, (1 - e) / (1 + e) above.

    ``e = exp(-2|x|)``; above ``small`` = 0.4, ``1 - e`` loses at most about one bit. The series
    keeps -0.0 and subnormals exact (``x * p``), and ``nterms`` makes its tail negligible.
    """
    f = ftype
    coeffs = tuple(f(float(c)) for c in reversed(_tanh_series(nterms)))
    small, zero, one, two = f(small), f(0), f(1), f(2)

    def impl(x):
        ax = abs(x)
        x2 = x * x
        p = coeffs[0]
        for k in range(1, len(coeffs)):
            p = p * x2 + coeffs[k]
        e = exp(-two * ax)
        t = (one - e) / (one + e)
        if x < zero:
            t = -t
        if ax < small:
            t = x * p
        return t

    return impl


def exp(x):
    """``exp(x)`` for use inside kernels (float32 or float64); see ``_exp_impl``."""
    return math.exp(x)


def tanh(x):
    """``tanh(x)`` for use inside kernels (float32 or float64); see ``_tanh_impl``."""
    return math.tanh(x)


# The same numeric options as every kernel. tanh is inlined at Numba's level
# (inline="always"): as a separate call its float64 version was not inlined by LLVM and a
# tanh loop ran 6x slower. exp is left to LLVM, which inlines it (same speed measured), since
# retyping it at each of its many call sites made a cold start 1.7 s slower.
_SCALAR_OPTIONS = {k: JIT_OPTIONS[k] for k in ("fastmath", "error_model")}
_EXP = {
    types.float32: _exp_impl(np.float32, np.int32, ln2_bits=16, degree=7),
    types.float64: _exp_impl(np.float64, np.int64, ln2_bits=42, degree=13),
}
_TANH = {
    types.float32: _tanh_impl(np.float32, nterms=7, small=0.4),
    types.float64: _tanh_impl(np.float64, nterms=15, small=0.4),
}


@overload(exp, inline="never", jit_options=_SCALAR_OPTIONS)
def _exp_overload(x):
    return _EXP.get(x)


@overload(tanh, inline="always", jit_options=_SCALAR_OPTIONS)
def _tanh_overload(x):
    return _TANH.get(x)
