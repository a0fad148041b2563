"""Whether this host slows two threads running at once, in phases, and what that does to fit.

    python benchmarks/host_phases.py                     # 100 s, 784-128-10 on 25,600 rows
    python benchmarks/host_phases.py --seconds 60 --size 784-512-512-10 --rows 12800

On a shared virtual machine two busy vCPUs may share more of the physical machine than one
does (a neighbour, sibling hyperthreads, caches), or pass data between them more slowly at
times (here: each CPU as fast as ever, alone or with the other busy, while two threads
exchanging data slowed; docs/benchmarks.md). This alternates, for ``--seconds``:

- a probe: 100 products (128, 784) @ (784, 512) on two BLAS threads, before and after each
  sample; a sample is "quiet" when both probes took at most 1.15x the fastest probe so far,
  "slow" when both took more than 1.25x it, unclassified otherwise;
- once per sample, the same products on one thread pinned to each CPU in turn (one thread
  alone: does a CPU itself slow down?), then on two such threads at once, one pinned to each
  CPU, nothing shared between them: each taking twice its time alone means the two vCPUs
  were taking turns on one physical core;
- one-epoch ``fit`` of ``--size`` on ``--rows`` Fashion-MNIST rows, on the team of two
  threads and on one thread (``fastmlp.threads(1)``), in alternating order.

It prints each sample, then per kind of sample the medians. The kinds are relative to the
fastest probe seen, so a run that never leaves a slow phase calls it quiet: give it a minute
or more, and compare its two-thread speedup with the quiet one (about 2). Run it alone on the
machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import fastmlp
from fastmlp import MLP, Adam
from fastmlp.bench.machine import machine_info, machine_lines
from fastmlp.bench.sizes import parse_size

#: Idling after the two-thread probe, before the one-thread timings.
SETTLE_SECONDS = 0.15


def _timed_products(pinned_to, calls, ready=None):
    """Seconds for ``calls`` products on the calling thread (pinned to one CPU if given; on
    Linux the affinity of pid 0 is the calling thread's), BLAS threads as they are set; the
    clock starts once ``ready`` (a ``threading.Barrier``, if given) lets every thread go."""
    rng = np.random.default_rng(0)
    a, b = rng.random((128, 784), np.float32), rng.random((784, 512), np.float32)
    out = np.empty((128, 512), np.float32)
    allowed = os.sched_getaffinity(0)
    try:
        if pinned_to is not None:
            os.sched_setaffinity(0, {pinned_to})
        if ready is not None:
            ready.wait()
        start = time.perf_counter()
        for _ in range(calls):
            np.dot(a, b, out=out)
        return time.perf_counter() - start
    finally:
        os.sched_setaffinity(0, allowed)


def _products(threads, pinned_to=None, calls=100):
    with threadpool_limits(threads):
        return _timed_products(pinned_to, calls)


def _products_at_once(cpus, calls=50):
    """Each CPU's seconds for ``calls`` one-thread products, one thread pinned to each, all
    at once (NumPy releases the GIL in a product)."""
    times = [0.0] * len(cpus)
    ready = threading.Barrier(len(cpus))

    def run(k):  # operands made and thread pinned before the barrier: the clocks overlap
        times[k] = _timed_products(cpus[k], calls, ready)

    with threadpool_limits(1):  # once for all: each thread setting it would race
        workers = [threading.Thread(target=run, args=(k,)) for k in range(len(cpus))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=100.0)
    parser.add_argument("--size", default="784-128-10")
    parser.add_argument("--rows", type=int, default=25_600)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rows < 128:
        parser.error(f"--seconds must be > 0 and --rows >= 128, got {args.seconds}, "
                     f"{args.rows}")
    cpus = sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2:
        parser.error("this measures two threads at once: it needs two CPUs")
    (X, y), _ = fastmlp.load_fashion_mnist(download=False, progress=False)
    X, y = X.reshape(len(X), -1)[:args.rows], y[:args.rows]
    model = MLP(list(parse_size(args.size)), seed=0)

    def fit(threads):
        with fastmlp.threads(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model.fit(X, y, epochs=1, batch_size=128, optimizer=Adam(1e-3), verbose=0)
            return time.perf_counter() - start

    for line in machine_lines(machine_info()):
        print(line)
    fit(2), fit(1)  # compile, or load, the kernels
    fastest, samples = _products(2), {"quiet": [], "slow": []}
    began, taken = time.perf_counter(), 0
    while time.perf_counter() - began < args.seconds:
        before = _products(2)
        # Idle until BLAS's other thread, spinning on after the products, has gone to sleep
        # (about 0.1 s): beside it, a thread pinned to its CPU ran 5-10 % slower alone.
        time.sleep(SETTLE_SECONDS)
        alone = [_products(1, cpu, calls=50) * 2 for cpu in cpus]
        together = [t * 2 for t in _products_at_once(cpus)]
        order = (2, 1) if taken % 2 == 0 else (1, 2)
        taken += 1
        fits = dict(zip(order, (fit(t) for t in order)))
        after = _products(2)
        fastest = min(fastest, before, after)
        kind = ("quiet" if max(before, after) <= 1.15 * fastest else
                "slow" if min(before, after) > 1.25 * fastest else None)
        if kind:
            samples[kind].append((before, after, *alone, fits[2], fits[1], *together))
        print(f"{time.perf_counter() - began:6.1f} s  two threads {before * 1e3:5.0f} "
              f"{after * 1e3:5.0f} ms  one on cpu {cpus[0]}/{cpus[1]} {alone[0] * 1e3:5.0f}/"
              f"{alone[1] * 1e3:5.0f} ms, both at once {together[0] * 1e3:5.0f}/"
              f"{together[1] * 1e3:5.0f} ms  fit: team {fits[2] * 1e3:6.0f} ms, one thread "
              f"{fits[1] * 1e3:6.0f} ms  {kind or '-'}", flush=True)
    for kind, rows in samples.items():
        if not rows:
            print(f"{kind}: no sample")
            continue
        med = [statistics.median(column) * 1e3 for column in zip(*rows)]
        team_over_one = statistics.median(r[4] / r[5] for r in rows)
        at_once = statistics.median(max(r[6] / r[2], r[7] / r[3]) for r in rows)
        print(f"{kind}: {len(rows)} samples; 100 products on two threads {med[0]:.0f} ms, on "
              f"one thread alone {med[2]:.0f}/{med[3]:.0f} ms (two threads' speedup "
              f"{med[2] / med[0]:.2f}), one thread on each CPU at once {med[6]:.0f}/"
              f"{med[7]:.0f} ms (the slower / alone, paired: {at_once:.2f}); fit on the team "
              f"{med[4]:.0f} ms, on one thread {med[5]:.0f} ms (team / one thread, paired: "
              f"{team_over_one:.3f})")


if __name__ == "__main__":
    main()
