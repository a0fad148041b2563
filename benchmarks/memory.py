"""Peak memory of ``fit`` and ``predict`` per input size (the table in docs/benchmarks.md).

    python benchmarks/memory.py            # 60,000 and 600,000 rows of 784 pixels
    python benchmarks/memory.py --rows 1000 5000

Pixels are uint8, as datasets store them. The peak is what fastmlp allocates beyond the
input while the call runs, traced with :mod:`tracemalloc` (NumPy reports its buffers to it;
the compiled kernels allocate nothing per step). One epoch of 784-128-10, batch 256, on the
numba backend; the network is compiled first, outside the measurement.
"""

from __future__ import annotations

import argparse
import tracemalloc
import warnings

import numpy as np

from fastmlp import MLP
from fastmlp.training.health import DivergenceWarning


def peak_megabytes(run):
    """Peak traced allocation, in MB, while ``run()`` runs."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(rows, backend="numba"):
    """``(input MB, fit peak MB, predict peak MB)`` for ``rows`` random 784-pixel rows."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(rows, 784), dtype=np.uint8)
    y = rng.integers(0, 10, size=rows)
    model = MLP([784, 128, 10], backend=backend, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # random labels: nothing to learn
        model.fit(X[:512], y[:512], epochs=1, batch_size=256, verbose=0)
        fit = peak_megabytes(lambda: model.fit(X, y, epochs=1, batch_size=256, verbose=0))
    predict = peak_megabytes(lambda: model.predict(X))
    return X.nbytes / 1e6, fit, predict


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[60_000, 600_000])
    args = parser.parse_args(argv)
    print(f"{'rows x 784 uint8':>18} {'input MB':>9} {'fit peak MB':>12} {'predict peak MB':>16}")
    for rows in args.rows:
        size, fit, predict = measure(rows)
        print(f"{rows:>18,} {size:>9.1f} {fit:>12.1f} {predict:>16.1f}")


if __name__ == "__main__":
    main()
