"""What pacing ``fit``'s kernel calls costs, and how soon Ctrl-C takes effect (issue 9, item 1).

    python benchmarks/call_pacing.py                 # Fashion-MNIST, 784-128-10, 5 repeats
    python benchmarks/call_pacing.py --repeats 3 --n-train 20000

``fit`` runs the fused kernel in calls of about ``CALL_SECONDS`` (0.1 s), so that Ctrl-C,
which Python acts on between calls, is felt at once. This measures, in one process and
interleaved, one epoch (verbose=0, batch 128) paced as ``fit`` does it against the same
epoch in a single call (pacing off), and the delay from a SIGINT sent mid-epoch to the
``KeyboardInterrupt`` reaching the caller. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import threading
import time

import numpy as np

from fastmlp import MLP, Adam
from fastmlp.bench.machine import load_average, machine_info, machine_lines
from fastmlp.data import load_fashion_mnist
from fastmlp.training import loop


def epoch_seconds(X, y, call_seconds):
    """One epoch's wall time with kernel calls of about ``call_seconds``."""
    model = MLP([784, 128, 10], seed=0)
    saved, loop.CALL_SECONDS = loop.CALL_SECONDS, call_seconds
    try:
        start = time.perf_counter()
        model.fit(X, y, epochs=1, batch_size=128, optimizer=Adam(1e-3), verbose=0)
        return time.perf_counter() - start
    finally:
        loop.CALL_SECONDS = saved


def interrupt_delay(X, y, after):
    """Seconds from a SIGINT sent ``after`` seconds into a long fit to KeyboardInterrupt."""
    model = MLP([784, 128, 10], seed=0)
    sent = []

    def send():
        sent.append(time.perf_counter())
        signal.raise_signal(signal.SIGINT)

    timer = threading.Timer(after, send)
    timer.start()
    try:
        model.fit(X, y, epochs=60, batch_size=128, verbose=0)
    except KeyboardInterrupt:
        return time.perf_counter() - sent[0]
    finally:
        timer.cancel()
    raise RuntimeError("fit ended before the interrupt")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs (default: 5)")
    parser.add_argument("--n-train", type=int, default=60_000, help="rows (default: 60,000)")
    args = parser.parse_args(argv)
    (X, y), _ = load_fashion_mnist()
    X, y = X[:args.n_train], y[:args.n_train]
    for line in machine_lines(machine_info()):
        print(line)
    print(f"# load average at start: {load_average()}")
    epoch_seconds(X[:1024], y[:1024], loop.CALL_SECONDS)  # compile outside the measurement
    paced, single = [], []
    for _ in range(args.repeats):
        paced.append(epoch_seconds(X, y, loop.CALL_SECONDS))
        single.append(epoch_seconds(X, y, 1e9))
    p, s = statistics.median(paced), statistics.median(single)
    ratios = [a / b for a, b in zip(paced, single)]
    print(f"epoch of {len(X):,} rows, 784-128-10, batch 128, Adam, verbose=0, medians of "
          f"{args.repeats}")
    print(f"  paced calls of ~{loop.CALL_SECONDS} s   {p:.3f} s")
    print(f"  one call per epoch         {s:.3f} s")
    print(f"  paced / one call           {p / s:.3f} (paired runs: "
          f"{' '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f})")
    delays = [interrupt_delay(X, y, after) for after in np.linspace(1.0, 2.0, args.repeats)]
    print(f"Ctrl-C during fit(epochs=60, verbose=0): KeyboardInterrupt after "
          f"median {statistics.median(delays):.3f} s, max {max(delays):.3f} s "
          f"({args.repeats} tries)")
    print(f"# load average at end: {load_average()}")


if __name__ == "__main__":
    main()
