"""Which of an epoch's passes two threads speed up on this machine: Adam's update, a GEMM.

    python benchmarks/two_thread_passes.py                 # 784-512-512-10's parameters
    python benchmarks/two_thread_passes.py --size 784-128-10 --seconds 30

The team of threads (``fastmlp.training.team``) shares each step's passes between two
members. This times, for a network's parameter count, Adam's update as the kernel does it
(``fastmlp.backends._formulas.adam_element`` over the flat vectors, float32) on half of the
parameters: on one thread alone, and on two threads at once, each its own half (what a team
of two does). Beside it, for reference, 100 products (128, 784) @ (784, 512) on one thread,
and the same on two threads at once, each its own 100. A pass the two cores speed up takes
as long on two threads at once as on one alone (ratio 1); a pass that one thread's memory
traffic already saturates takes twice as long (ratio 2). Samples alternate for
``--seconds``; medians are printed. Run it under the team's benchmark lock.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
from threadpoolctl import threadpool_limits

from fastmlp.backends import _formulas as F
from fastmlp.backends._jit import jit
from fastmlp.bench.machine import machine_info, machine_lines
from fastmlp.bench.sizes import parse_size

#: Parameter updates per timed call, so that starting the second thread (~0.1 ms) is lost
#: in the call: about 20 ms of passes.
_UPDATES = 5 * 10 ** 7


@jit
def _adam_passes(theta, grad, m, v, begin, end, repeats):
    dt = theta.dtype.type
    beta1, c1, beta2, c2 = dt(0.9), dt(0.1), dt(0.999), dt(0.001)
    step_size, bc2_sqrt, eps, zero, one = dt(1e-3), dt(0.1), dt(1e-8), dt(0), dt(1)
    for _ in range(repeats):
        for i in range(np.uint64(begin), np.uint64(end)):
            theta[i], m[i], v[i] = F.adam_element(theta[i], grad[i], m[i], v[i], beta1, c1,
                                                  beta2, c2, step_size, bc2_sqrt, eps, zero,
                                                  False, one, False)


def _alone_and_together(work, first, second):
    """Seconds of ``work(*first)`` alone, and of ``work(*first)`` beside ``work(*second)``
    on another thread."""
    start = time.perf_counter()
    work(*first)
    alone = time.perf_counter() - start
    other = threading.Thread(target=work, args=second)
    start = time.perf_counter()
    other.start()
    work(*first)
    other.join()
    return alone, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="784-512-512-10", help="network (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long to sample (default: 30)")
    args = parser.parse_args(argv)
    sizes = parse_size(args.size)
    n = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    rng = np.random.default_rng(0)
    theta, grad, m = (rng.standard_normal(n, dtype=np.float32) for _ in range(3))
    v = rng.random(n, dtype=np.float32)
    half = n // 2
    repeats = max(1, _UPDATES // half)
    _adam_passes(theta, grad, m, v, 0, 2, 1)  # compile
    a = rng.random((128, 784), dtype=np.float32)
    w = rng.random((784, 512), dtype=np.float32)
    outs = [np.empty((128, 512), np.float32) for _ in range(2)]

    def products(out):
        for _ in range(100):
            np.dot(a, w, out=out)

    for line in machine_lines(machine_info()):
        print(line)
    adam, gemm = [], []
    with threadpool_limits(1):
        end = time.time() + args.seconds
        while time.time() < end:
            adam.append(_alone_and_together(
                _adam_passes, (theta, grad, m, v, 0, half, repeats),
                (theta, grad, m, v, half, n, repeats)))
            gemm.append(_alone_and_together(products, (outs[0],), (outs[1],)))
    print(f"{args.size}: {n:,} parameters, {len(adam)} samples, medians")
    for label, runs, per in (
            (f"Adam over half the parameters ({half:,}), one pass", adam, repeats),
            ("100 products (128, 784) @ (784, 512)", gemm, 1)):
        alone = statistics.median(r[0] for r in runs) / per
        together = statistics.median(r[1] for r in runs) / per
        ratio = statistics.median(r[1] / r[0] for r in runs)
        print(f"  {label}: one thread alone {1e6 * alone:,.0f} us, two threads at once "
              f"(each its own) {1e6 * together:,.0f} us, ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
