"""All Numba compilation options live here, so every kernel and formula is built the same way.

``cache=True`` writes compiled kernels next to the sources, so a second process starts
without recompiling. ``nogil`` lets BLAS and other threads run while a kernel works.
``fastmath`` stays off: it would let the compiler reorder sums and break the bit-level
parity with the reference backend that the tests rely on.
"""

from __future__ import annotations

import numba

JIT_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

#: ``@jit`` compiles a serial kernel.
jit = numba.njit(**JIT_OPTIONS)

#: ``@jit_parallel`` compiles a kernel whose ``prange`` loops run on Numba's thread pool.
jit_parallel = numba.njit(parallel=True, **JIT_OPTIONS)

#: ``@jit_inline`` is inlined into its callers by Numba itself.
jit_inline = numba.njit(inline="always", **JIT_OPTIONS)

#: Compiled code only calls these: no wrappers to call them from Python (a CPython and a C
#: wrapper are built for every jitted function otherwise, 15-30 ms each on a cold start).
INTERNAL = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}

#: ``@jit_internal`` compiles a kernel's helper that kernels call but Python never does.
jit_internal = numba.njit(**INTERNAL, **JIT_OPTIONS)

#: A formula's options (the ``_*_formulas`` modules): a kernel's numerics, without a cache or
#: ``nogil`` of its own, since a formula is compiled into, and cached with, each kernel calling
#: it; and internal, as only kernels call formulas.
FORMULA_OPTIONS = {**{k: JIT_OPTIONS[k] for k in ("fastmath", "error_model")}, **INTERNAL}

#: ``@formula`` compiles a formula once per float type, left for LLVM to inline into the
#: caller's loop (Numba-level inlining retypes it at every call site: a slower cold start).
formula = numba.njit(inline="never", **FORMULA_OPTIONS)

#: ``@formula_inline`` is a formula that chooses by a code, inlined at Numba's level so that
#: a caller whose code (or set of codes) is a compile-time constant drops the other branches.
formula_inline = numba.njit(inline="always", **FORMULA_OPTIONS)
