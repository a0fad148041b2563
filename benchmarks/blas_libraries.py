"""The epoch's products through NumPy's OpenBLAS and through SciPy's, from compiled code (issue 12).

    python benchmarks/blas_libraries.py                   # threads as set
    python benchmarks/blas_libraries.py --threads 1 --hidden 512

A NumPy wheel carries its own OpenBLAS and SciPy's carries another (other version, other
build). The fused kernels multiply through one of them (:mod:`fastmlp.backends._blas`). This
times, in one process, one epoch's worth (469 steps) of the two large products of a
784-H layer at batch 128, forward ``x @ W`` and weight gradient ``x.T @ d``, each through
each library's ``sgemm`` called from a Numba loop as the kernels call it. Each timing comes
right after a run on the same library and right after a run on the other one: an OpenBLAS
pool's threads keep spinning for a while after their last product, so at two threads the
other library's products may find the second core busy. Medians of --repeats; run it under
the team's benchmark lock.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numba
import numpy as np
from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic

import fastmlp
from fastmlp.backends import _blas
from fastmlp.bench.machine import load_average, machine_info, machine_lines

STEPS = 469
_VOID_P = ir.IntType(8).as_pointer()


def _sgemm_intrinsic(symbol):
    """An intrinsic calling the Fortran ``sgemm`` bound to ``symbol``."""
    @intrinsic
    def call(typingctx, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        def codegen(context, builder, signature, args):
            routine = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [_VOID_P] * 13), symbol)
            builder.call(routine, args)
            return context.get_dummy_value()
        return types.void(*[types.voidptr] * 13), codegen
    return call


def _epoch_loop(sgemm, index):
    """A compiled loop of ``steps`` products ``x @ W`` (``which`` 0) or ``x.T @ d`` (1)
    through ``sgemm``, integers passed in ``index`` slots, as the kernels pass them."""
    ref, address = _blas._by_reference, _blas._address

    @numba.njit
    def product(a, trans_a, b, out):
        m, n = out.shape
        k = a.shape[0] if trans_a else a.shape[1]
        flag_a = ord("T") if trans_a else ord("N")
        sgemm(ref(np.uint8(ord("N"))), ref(np.uint8(flag_a)), ref(index(n)), ref(index(m)),
              ref(index(k)), ref(np.float32(1)), address(b), ref(index(b.shape[1])), address(a),
              ref(index(a.shape[1])), ref(np.float32(0)), address(out), ref(index(n)))

    @numba.njit
    def loop(x, W, d, z, gW, steps, which):
        for _ in range(steps):
            if which == 0:
                product(x, False, W, z)
            else:
                product(x, True, d, gW)
    return loop


def libraries():
    """``{name: compiled loop}`` for NumPy's own OpenBLAS (when NumPy has one) and SciPy's."""
    loops = {}
    _, numpy_routines = _blas._numpy_blas()
    if numpy_routines is not None:
        binding.add_symbol("bench_numpy_sgemm", numpy_routines["sgemm"])
        loops["numpy"] = _epoch_loop(_sgemm_intrinsic("bench_numpy_sgemm"), np.int64)
    binding.add_symbol("bench_scipy_sgemm",
                       get_cython_function_address("scipy.linalg.cython_blas", "sgemm"))
    loops["scipy"] = _epoch_loop(_sgemm_intrinsic("bench_scipy_sgemm"), np.int32)
    return loops


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=128, help="H (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=7, help="default: %(default)s")
    parser.add_argument("--threads", type=int, default=None, help="default: as set")
    args = parser.parse_args(argv)
    if args.hidden < 1 or args.repeats < 1:
        parser.error("--hidden and --repeats must be at least 1")
    rng = np.random.default_rng(0)
    x = rng.random((128, 784), dtype=np.float32)
    W = rng.random((784, args.hidden), dtype=np.float32)
    d = rng.random((128, args.hidden), dtype=np.float32)
    z = np.empty((128, args.hidden), np.float32)
    gW = np.empty((784, args.hidden), np.float32)
    loops = libraries()
    for loop in loops.values():  # compile, and check the products
        loop(x, W, d, z, gW, 1, 0)
        loop(x, W, d, z, gW, 1, 1)
        np.testing.assert_allclose(z, x @ W, rtol=1e-4)
        np.testing.assert_allclose(gW, x.T @ d, rtol=1e-4)
    limit = (fastmlp.threads(args.threads) if args.threads is not None
             else contextlib.nullcontext())
    load_start = load_average()
    with limit:
        print(f"# fastmlp BLAS libraries: {STEPS} products per timing, batch 128, 784-"
              f"{args.hidden}, float32, medians of {args.repeats}")
        for line in machine_lines(machine_info()):
            print(line)
        times = {}
        names = list(loops)
        for which, product in ((0, "x @ W"), (1, "x.T @ d")):
            for _ in range(args.repeats):
                # Each library twice in a row, then the other: the first run of a pair
                # follows the other library, the second the same one.
                for name in names:
                    for after in ("other", "same"):
                        start = time.perf_counter()
                        loops[name](x, W, d, z, gW, STEPS, which)
                        key = (product, name, after)
                        times.setdefault(key, []).append(time.perf_counter() - start)
    print(f"# load average (1, 5, 15 min): {load_start} at start, {load_average()} at end")
    if len(names) == 1:
        print(f"# NumPy has no OpenBLAS of its own here: only {names[0]}'s, so 'after the "
              f"other' also follows the same library")
    print(f"{'product':<10}{'library':<10}{'after the same ms':>20}{'after the other ms':>20}")
    for product in ("x @ W", "x.T @ d"):
        for name in names:
            same = statistics.median(times[product, name, "same"]) * 1e3
            other = statistics.median(times[product, name, "other"]) * 1e3
            print(f"{product:<10}{name:<10}{same:>20.1f}{other:>20.1f}")


if __name__ == "__main__":
    main()
