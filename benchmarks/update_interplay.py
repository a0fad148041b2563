"""Do an epoch's GEMMs and its optimizer pass cost more together than apart? (issue 12)

    python benchmarks/update_interplay.py             # one thread, medians of 7
    python benchmarks/update_interplay.py --repeats 9 --threads 2

The roofline benchmark (``benchmarks/roofline.py``) times each piece of an epoch on its own
and leaves an "unexplained" remainder. This times one epoch's worth (469 steps) of the
products of a step (forward, weight gradients, input gradients below the first layer,
through the fused kernel's ``matmul``, with each ``W`` a view of the flat parameters as in the
kernel), of the Adam pass as the kernel does it (keeping the parameters and moments from
before the update in backups, in the same pass), and of both step by step, in one process,
interleaved. "Together - apart" is what running them in one loop adds: the update streams
seven parameter-sized vectors through the caches between one step's products and the next.
Run it under the team's benchmark lock.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numba
import numpy as np
from threadpoolctl import threadpool_limits

from fastmlp.backends._blas import matmul
from fastmlp.bench.epoch_pieces import adam_keeping_backups
from fastmlp.bench.machine import load_average, machine_info, machine_lines

SIZES = ((784, 128, 10), (784, 512, 512, 10))
STEPS, BATCH = 469, 128  # 60,000 rows

_jit = numba.njit(nogil=True, error_model="numpy")


@_jit
def _steps(xs, zs, ds, theta, grad, state, offsets, shapes, steps, products, update):
    layers = len(offsets)
    for step in range(1, steps + 1):
        if products:
            for l in range(layers):  # noqa: E741
                rows, cols = shapes[l]
                W = theta[offsets[l]:offsets[l] + rows * cols].reshape(rows, cols)
                matmul(xs[l], False, W, False, zs[l])
            for l in range(layers - 1, -1, -1):  # noqa: E741
                rows, cols = shapes[l]
                W = theta[offsets[l]:offsets[l] + rows * cols].reshape(rows, cols)
                dW = grad[offsets[l]:offsets[l] + rows * cols].reshape(rows, cols)
                matmul(xs[l], True, ds[l], False, dW)
                if l > 0:
                    matmul(ds[l], False, W, True, ds[l - 1])
        if update:
            m, v, backup, m_backup, v_backup = state
            adam_keeping_backups(theta, grad, m, v, backup, m_backup, v_backup, step)


def _operands(sizes, rng):
    pairs = list(zip(sizes[:-1], sizes[1:]))
    offsets, total = [], 0
    for rows, cols in pairs:
        offsets.append(total)
        total += rows * cols + cols

    def normal(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    theta, grad = normal(total, scale=0.05), normal(total, scale=1e-3)
    state = (np.zeros(total, np.float32), np.zeros(total, np.float32),
             *(np.zeros(total, np.float32) for _ in range(3)))
    xs = numba.typed.List([normal(BATCH, rows) for rows, _ in pairs])
    zs = numba.typed.List([normal(BATCH, cols) for _, cols in pairs])
    ds = numba.typed.List([normal(BATCH, cols, scale=1e-3) for _, cols in pairs])
    shapes = numba.typed.List(pairs)
    return xs, zs, ds, theta, grad, state, np.array(offsets, dtype=np.int64), shapes, total


def measure(sizes, repeats):
    """Median ms of the products alone, the update alone, and both, step by step."""
    ops = _operands(sizes, np.random.default_rng(0))[:-1]
    ways = {"products": (True, False), "update": (False, True), "together": (True, True)}
    for products, update in ways.values():
        _steps(*ops, 2, products, update)  # compile, fault the buffers in
    times = {name: [] for name in ways}
    names = list(ways)
    for r in range(repeats):
        for name in names[r % 3:] + names[:r % 3]:
            gc.collect()
            time.sleep(0.25)  # let BLAS threads left spinning go to sleep
            start = time.perf_counter()
            _steps(*ops, STEPS, *ways[name])
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved runs (default: 7)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default: 1)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        parser.error(f"--repeats and --threads must be at least 1, got {args.repeats} and "
                     f"{args.threads}")
    load_start = load_average()
    with threadpool_limits(args.threads):
        print(f"# fastmlp products and update, apart and together: Adam keeping backups, "
              f"float32, {STEPS} steps of {BATCH}, medians of {args.repeats}, interleaved, "
              f"{args.threads} BLAS thread(s)")
        for line in machine_lines(machine_info()):
            print(line)
        rows = [(sizes, *measure(sizes, args.repeats)) for sizes in SIZES]
    print(f"# load average (1, 5, 15 min): {load_start} at start, {load_average()} at end")
    print(f"{'network':<16}{'products ms':>13}{'update ms':>11}{'apart ms':>10}"
          f"{'together ms':>13}{'together - apart':>18}  spreads")
    for sizes, ms, times in rows:
        apart = ms["products"] + ms["update"]
        spreads = " ".join(f"{(max(t) - min(t)) / statistics.median(t):.0%}"
                           for t in times.values())
        print(f"{'-'.join(map(str, sizes)):<16}{ms['products']:13.1f}{ms['update']:11.1f}"
              f"{apart:10.1f}{ms['together']:13.1f}{ms['together'] - apart:18.1f}  {spreads}")


if __name__ == "__main__":
    main()
