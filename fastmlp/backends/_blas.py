"""Matrix products for the Numba kernels: BLAS ``sgemm``/``dgemm``, called directly.

``matmul(a, trans_a, b, trans_b, out)`` computes ``out = op(a) @ op(b)`` where ``op``
transposes when its flag is true. Operands are C-contiguous and the transposes are flags, so
every product of a kernel (``x @ W``, ``x.T @ dz``, ``dz @ W.T``) is one compiled function
per float type. ``np.dot`` on transposed views compiled one per layout combination, three in a
training step, about 0.6 s of a first ``fit``'s cold start.

The library is NumPy's own OpenBLAS when NumPy ships one (its wheels do), else SciPy's, the
one Numba's ``np.dot`` calls. NumPy's, because ``np.dot`` is what a user could call and
the floor the roofline benchmark measures (issue 12): its OpenBLAS build was 5-7 % faster on
the epoch's products at one thread, and a process whose products all go to one library keeps
one pool of BLAS threads: at two threads, products on one library right after products on
the other ran at half speed, the first library's idle threads still spinning on the second
core (measured, docs/benchmarks.md).

BLAS is column-major: a row-major ``(r, c)`` matrix is its ``(c, r)`` transpose there, so
``out = op(a) @ op(b)`` is computed as ``out.T = op(b).T @ op(a).T`` with the operands swapped.
Scalars go by reference through stack slots; nothing is allocated.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np
from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic, overload

from ._jit import JIT_OPTIONS

_VOID_P = ir.IntType(8).as_pointer()
_NO_TRANSPOSE, _TRANSPOSE = ord("N"), ord("T")

# NumPy's OpenBLAS has 64-bit integers and prefixed names; SciPy's has 32-bit integers.
# Integers go by reference, in 64-bit slots: on a little-endian machine a routine that reads
# 32 bits from such a slot reads the same value (sizes are far below 2**31), so the compiled
# code is the same whichever library is bound, and a kernel cached on disk stays valid when
# the library changes (NumPy upgraded, say). On a big-endian machine: SciPy's, 32-bit slots.
_WIDE_SLOTS = sys.byteorder == "little"
_INDEX = np.int64 if _WIDE_SLOTS else np.int32
_NUMPY_ROUTINES = {"sgemm": "scipy_sgemm_64_", "dgemm": "scipy_dgemm_64_"}


def _numpy_blas():
    """NumPy's own OpenBLAS as ``(library, {"sgemm": address, "dgemm": address})``, or
    ``(None, None)`` when NumPy has none of its own (built against a system BLAS, MKL,
    Accelerate)."""
    if not _WIDE_SLOTS:
        return None, None
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith("libscipy_openblas64_"))
    except OSError:
        return None, None
    for name in names:
        try:
            library = ctypes.CDLL(os.path.join(folder, name))  # loaded already: NumPy's
            return library, {routine: ctypes.cast(getattr(library, symbol), ctypes.c_void_p).value
                             for routine, symbol in _NUMPY_ROUTINES.items()}
        except (OSError, AttributeError):
            continue
    return None, None


def _scipy_blas():
    return {name: get_cython_function_address("scipy.linalg.cython_blas", name)
            for name in ("sgemm", "dgemm")}


#: Which library the kernels multiply with: "numpy" or "scipy".
_library, _addresses = _numpy_blas()
LIBRARY = "numpy" if _addresses is not None else "scipy"
#: The file of the kernels' library when it is NumPy's own, links resolved as threadpoolctl
#: resolves them (None: SciPy's, the one SciPy's routines call too): products elsewhere in
#: SciPy then run on another pool of BLAS threads.
LIBRARY_PATH = os.path.realpath(_library._name) if _library is not None else None
if _addresses is None:
    _addresses = _scipy_blas()


def _thread_routines(library):
    """``(get, set)`` of the library's BLAS thread count, or None (SciPy's library: its
    count is changed through threadpoolctl only, too slow to call around every kernel call)."""
    try:
        return (library.scipy_openblas_get_num_threads64_,
                library.scipy_openblas_set_num_threads64_)
    except AttributeError:
        return None


_threads = _thread_routines(_library) if _library is not None else None


def blas_threads():
    """The threads the kernels' BLAS multiplies on now; None when it cannot be told."""
    return None if _threads is None else int(_threads[0]())


def set_blas_threads(n):
    """Let the kernels' BLAS multiply on ``n`` threads (only where :func:`blas_threads` can
    tell the count)."""
    if _threads is not None:
        _threads[1](int(n))

# The routines are linked by name, as Numba links its own helpers: compiled code that held
# their addresses could not be cached on disk (the addresses change from process to process).
# The names are bound here, on import, before any kernel is compiled or loaded from the cache.
_ROUTINES = {types.float32: "fastmlp_sgemm", types.float64: "fastmlp_dgemm"}
for _name, _symbol in (("sgemm", "fastmlp_sgemm"), ("dgemm", "fastmlp_dgemm")):
    binding.add_symbol(_symbol, _addresses[_name])


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
    style (every argument a pointer; integers in ``_INDEX`` slots), for the float type
    ``dtype``."""
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
    arrays of ``out``'s float type, shapes already checked by the caller. The dense ops multiply
    through here, the fused kernel through :func:`matmul_at`, which this calls: their products
    round the same way.

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
# of compiling one per combination of constants. The product itself is matmul_at's, on the
# matrices' flat storage: one loop and one BLAS call for both, so they round alike.
@overload(matmul, prefer_literal=False, jit_options={"error_model": JIT_OPTIONS["error_model"]})
def _matmul(a, trans_a, b, trans_b, out):
    def on_flat_storage(a, trans_a, b, trans_b, out):
        m, n = out.shape
        k = a.shape[1]
        if trans_a:
            k = a.shape[0]
        matmul_at(a.reshape(-1), 0, a.shape[1], trans_a, b.reshape(-1), 0, b.shape[1], trans_b,
                  out.reshape(-1), 0, n, m, n, k)
    return on_flat_storage


def matmul_at(a, a_off, lda, trans_a, b, b_off, ldb, trans_b, out, out_off, ldo, m, n, k):
    """``out = op(a) @ op(b)`` on matrices stored in flat vectors: the ``(m, n)`` result at
    ``out[out_off:]`` with rows ``ldo`` apart, ``op(a)`` ``(m, k)`` and ``op(b)`` ``(k, n)``
    likewise at ``a_off`` / ``b_off`` with rows ``lda`` / ``ldb`` apart (before any transpose).
    So a kernel multiplies some columns of a matrix (its share, :mod:`._team`) without a
    copy. The same loop for tiny products, and the same BLAS call, as :func:`matmul`: on whole
    matrices the two round alike.

    Parameters
    ----------
    a, b, out : ndarray, shape (any,)
        C-contiguous vectors of one float type.
    a_off, b_off, out_off, lda, ldb, ldo, m, n, k : int
    trans_a, trans_b : bool
    """


@intrinsic
def _address_at(typingctx, array, offset):
    """The address of ``array[offset]`` (no view built: a slice per operand added to every
    kernel's compilation)."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.bitcast(builder.gep(data, [args[1]]), _VOID_P)
    return types.voidptr(array, types.intp), codegen


@overload(matmul_at, prefer_literal=False,
          jit_options={"error_model": JIT_OPTIONS["error_model"]})
def _matmul_at(a, a_off, lda, trans_a, b, b_off, ldb, trans_b, out, out_off, ldo, m, n, k):
    def small_or_blas(a, a_off, lda, trans_a, b, b_off, ldb, trans_b, out, out_off, ldo, m,
                      n, k):
        if m * k * n <= SMALL_GEMM:
            # One loop for every transpose: the flags only choose the strides (a loop per
            # combination, as matmul's, compiled four times as much code here).
            a_row, a_col = lda, 1
            if trans_a:
                a_row, a_col = 1, lda
            b_row, b_col = ldb, 1
            if trans_b:
                b_row, b_col = 1, ldb
            for i in range(m):
                for j in range(n):
                    acc = out.dtype.type(0)
                    for p in range(k):
                        acc += a[a_off + i * a_row + p * a_col] * b[b_off + p * b_row + j * b_col]
                    out[out_off + i * ldo + j] = acc
            return
        flag_a, flag_b = _NO_TRANSPOSE, _NO_TRANSPOSE
        if trans_a:
            flag_a = _TRANSPOSE
        if trans_b:
            flag_b = _TRANSPOSE
        one, zero = out.dtype.type(1), out.dtype.type(0)
        ref = _by_reference
        _xgemm(ref(np.uint8(flag_b)), ref(np.uint8(flag_a)), ref(_INDEX(n)), ref(_INDEX(m)),
               ref(_INDEX(k)), ref(one), _address_at(b, b_off), ref(_INDEX(ldb)),
               _address_at(a, a_off), ref(_INDEX(lda)), ref(zero), _address_at(out, out_off),
               ref(_INDEX(ldo)), out.dtype)
    return small_or_blas
