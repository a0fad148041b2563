"""Matrix products for the Numba kernels: SciPy's BLAS ``sgemm``/``dgemm``, called directly.

``matmul(a, trans_a, b, trans_b, out)`` computes ``out = op(a) @ op(b)`` where ``op``
transposes when its flag is true. Operands are C-contiguous and the transposes are flags, so
every product of a kernel (``x @ W``, ``x.T @ dz``, ``dz @ W.T``) is one compiled function
per float type. ``np.dot`` on transposed views compiled one per layout combination, three in a
training step, about 0.6 s of a first ``fit``'s cold start. The library is the one Numba's
``np.dot`` calls (SciPy's OpenBLAS), with the same arguments, so the products round as before.

BLAS is column-major: a row-major ``(r, c)`` matrix is its ``(c, r)`` transpose there, so
``out = op(a) @ op(b)`` is computed as ``out.T = op(b).T @ op(a).T`` with the operands swapped.
Scalars go by reference through stack slots; nothing is allocated.
"""

from __future__ import annotations

import numpy as np
from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic, overload

from ._jit import JIT_OPTIONS

_VOID_P = ir.IntType(8).as_pointer()
_NO_TRANSPOSE, _TRANSPOSE = ord("N"), ord("T")

# The routines are linked by name, as Numba links its own helpers: compiled code that held
# their addresses could not be cached on disk (the addresses change from process to process).
# The names are bound here, on import, before any kernel is compiled or loaded from the cache.
_ROUTINES = {types.float32: "fastmlp_sgemm", types.float64: "fastmlp_dgemm"}
for _name, _symbol in (("sgemm", "fastmlp_sgemm"), ("dgemm", "fastmlp_dgemm")):
    binding.add_symbol(_symbol, get_cython_function_address("scipy.linalg.cython_blas", _name))


@intrinsic
def _by_reference(typingctx, value):
    """A pointer to a stack slot holding ``value`` (BLAS takes every scalar by reference)."""
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        return builder.bitcast(slot, _VOID_P)
    return types.voidptr(value), codegen


@intrinsic
def _address(typingctx, array):
    """The address of ``array``'s first element."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.bitcast(data, _VOID_P)
    return types.voidptr(array), codegen


@intrinsic
def _xgemm(typingctx, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, dtype):
    """BLAS ``?gemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)``, Fortran
    style (every argument a pointer, integers 32-bit: SciPy's BLAS is LP64), for the float
    type ``dtype``."""
    symbol = _ROUTINES[dtype.dtype]

    def codegen(context, builder, signature, args):
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [_VOID_P] * 13), symbol)
        builder.call(routine, args[:13])
        return context.get_dummy_value()
    return types.void(*[types.voidptr] * 13, dtype), codegen


#: Below this many multiply-adds a product runs as a plain loop: calling BLAS costs ~0.2 µs,
#: which dominates the products of tiny networks (XOR's are 8-16 multiply-adds).
SMALL_GEMM = 2048


def matmul(a, trans_a, b, trans_b, out):
    """``out = op(a) @ op(b)``, ``op`` transposing where its flag is set: BLAS, or a plain loop
    for tiny products. For the Numba kernels: ``a``, ``b`` and ``out`` are C-contiguous 2-d
    arrays of ``out``'s float type, shapes already checked by the caller. The dense ops and the
    fused kernel both multiply through here, so their products round the same way.

    Parameters
    ----------
    a : ndarray, shape (m, k), or (k, m) when ``trans_a``
    trans_a : bool
    b : ndarray, shape (k, n), or (n, k) when ``trans_b``
    trans_b : bool
    out : ndarray, shape (m, n)
    """


# An overload rather than a jitted function: Numba then types constant flags as plain bools
# (``prefer_literal=False``), so a kernel's three products share one specialisation instead
# of compiling one per combination of constants. One function, loop and BLAS call together:
# each compiled function costs a cold start about 0.2 s whatever its size.
@overload(matmul, prefer_literal=False, jit_options={"error_model": JIT_OPTIONS["error_model"]})
def _matmul(a, trans_a, b, trans_b, out):
    def small_or_blas(a, trans_a, b, trans_b, out):
        m, n = out.shape
        k = a.shape[1]
        if trans_a:
            k = a.shape[0]
        if m * k * n <= SMALL_GEMM:  # empty operands too: BLAS would refuse their strides
            for i in range(m):
                for j in range(n):
                    acc = out.dtype.type(0)
                    for p in range(k):
                        if trans_a:
                            x = a[p, i]
                        else:
                            x = a[i, p]
                        if trans_b:
                            w = b[j, p]
                        else:
                            w = b[p, j]
                        acc += x * w
                    out[i, j] = acc
            return
        flag_a, flag_b = _NO_TRANSPOSE, _NO_TRANSPOSE
        if trans_a:
            flag_a = _TRANSPOSE
        if trans_b:
            flag_b = _TRANSPOSE
        one, zero = out.dtype.type(1), out.dtype.type(0)
        ref = _by_reference
        # Column-major view: out.T (n x m) = op(b).T (n x k) @ op(a).T (k x m).
        _xgemm(ref(np.uint8(flag_b)), ref(np.uint8(flag_a)), ref(np.int32(n)), ref(np.int32(m)),
               ref(np.int32(k)), ref(one), _address(b), ref(np.int32(b.shape[1])), _address(a),
               ref(np.int32(a.shape[1])), ref(zero), _address(out), ref(np.int32(n)), out.dtype)
    return small_or_blas
