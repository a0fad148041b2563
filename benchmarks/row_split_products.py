"""What the team's row split costs in its products: each member's BLAS call packs all of W.

    python benchmarks/row_split_products.py

The fused kernel's team shares a step by rows: each of two members multiplies its half of
the batch by the whole weight matrix, one BLAS thread each. BLAS copies ("packs") both
operands into its own layout on every call, so each member packs all of ``W``, where one
two-thread call would pack it once between its threads. This times, on one BLAS thread and
through the kernel's own ``matmul_at``, each product of a step for one member: its half of
the rows by all of ``W`` (the row split), all the rows by half of ``W``'s columns (a column
split, which would need a barrier before each product), and half of the whole product.
"""

from __future__ import annotations

import time

import numpy as np

import fastmlp
from fastmlp.backends._blas import matmul_at
from fastmlp.backends._jit import jit
from fastmlp.bench.machine import machine_info, machine_lines

BATCH = 128

#: (rows of the stored W, its columns, whether the product takes W transposed, what it is)
PRODUCTS = ((784, 512, False, "784-512-512-10: layer 1 forward, a @ W1"),
            (512, 512, False, "784-512-512-10: layer 2 forward, a @ W2"),
            (512, 512, True, "784-512-512-10: layer 2 input gradient, d @ W2.T"),
            (784, 128, False, "784-128-10: layer 1 forward, a @ W1"))


@jit
def _products(a, lda, W, ldw, transpose, out, ldo, m, n, k, calls):
    for _ in range(calls):
        matmul_at(a, 0, lda, False, W, 0, ldw, transpose, out, 0, ldo, m, n, k)


def best_microseconds(a, lda, W, ldw, transpose, out, ldo, m, n, k, calls=400, repeats=5):
    """The fastest of ``repeats`` means over ``calls`` products ``(m, k) @ (k, n)``."""
    _products(a, lda, W, ldw, transpose, out, ldo, m, n, k, 20)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        _products(a, lda, W, ldw, transpose, out, ldo, m, n, k, calls)
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main():
    for line in machine_lines(machine_info()):
        print(line)
    print(f"one member's product, one BLAS thread, microseconds (batch {BATCH}, team of 2)")
    print(f"{'':50s}{'row split':>10s}{'col split':>10s}{'whole / 2':>10s}")
    rng = np.random.default_rng(0)
    totals = np.zeros(3)
    with fastmlp.threads(1):
        for stored_rows, stored_cols, transpose, what in PRODUCTS:
            W = rng.random(stored_rows * stored_cols, dtype=np.float32)
            k, n = (stored_cols, stored_rows) if transpose else (stored_rows, stored_cols)
            a = rng.random(BATCH * k, dtype=np.float32)
            out = np.empty(BATCH * n, np.float32)
            # The row split: half the rows, every column; the column split: every row, the
            # first half of the columns (W's first rows when transposed), W's stride kept.
            times = (best_microseconds(a, k, W, stored_cols, transpose, out, n, BATCH // 2, n, k),
                     best_microseconds(a, k, W, stored_cols, transpose, out, n, BATCH, n // 2, k),
                     best_microseconds(a, k, W, stored_cols, transpose, out, n, BATCH, n, k) / 2)
            if what.startswith("784-512"):
                totals += times
            print(f"{what:50s}" + "".join(f"{t:10.0f}" for t in times))
    print(f"{'784-512-512-10, the three products':50s}" + "".join(f"{t:10.0f}" for t in totals))


if __name__ == "__main__":
    main()
