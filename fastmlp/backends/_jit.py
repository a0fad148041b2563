"""All Numba compilation options live here, so every kernel is built the same way.

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
