"""What the team's row split costs in its products: each member's BLAS call packs all of W.

    python benchmarks/row_split_products.py

The fused kernel's team shares a step by rows: each of two members multiplies its half of
the batch by the whole weight matrix, one BLAS thread each. BLAS copies ("packs") both
operands into its own layout on every call, so each member packs all of ``W``, where one
two-thread call would pack it once between its threads. This times, on one BLAS thread, the
wide net's products (784-512-512-10, batch 128) for 64 rows and for 128: the excess of a
64-row call over half a 128-row call is what a member pays for packing ``W`` alone.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from fastmlp.bench.machine import machine_info, machine_lines

#: (rows of W, columns of W, whether the product takes W transposed, what it is)
PRODUCTS = ((784, 512, False, "layer 1 forward, a @ W1"),
            (512, 512, False, "layer 2 forward, a @ W2"),
            (512, 512, True, "layer 2 input gradient, d @ W2.T"),
            (784, 128, False, "784-128-10's layer 1 forward, a @ W1"))


def best_microseconds(rows, W, transpose, calls=400, repeats=5):
    """The fastest of ``repeats`` means over ``calls`` products (rows, k) @ op(W)."""
    op = W.T if transpose else W
    a = np.random.default_rng(1).random((rows, op.shape[0]), np.float32)
    out = np.empty((rows, op.shape[1]), np.float32)
    for _ in range(20):
        np.dot(a, op, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            np.dot(a, op, out=out)
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main():
    for line in machine_lines(machine_info()):
        print(line)
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        for n_in, n_out, transpose, what in PRODUCTS:
            W = rng.random((n_out, n_in) if transpose else (n_in, n_out), np.float32)
            half, whole = (best_microseconds(r, W, transpose) for r in (64, 128))
            print(f"{what:38s} 64 rows {half:5.0f} us, 128 rows {whole:5.0f} us: two halves "
                  f"{2 * half / whole:.3f}x the whole, {half - whole / 2:4.0f} us more per "
                  f"member and step")


if __name__ == "__main__":
    main()
