"""Time the Numba central-difference gradient against the NumPy reference, per network size.

Run as ``python benchmarks/measure_numgrad.py [--batch 64] [--eps 1e-5 1e-2] [--subset 1000]``;
one table per step ``h``.

Inputs are MNIST-like: the first ``batch`` Fashion-MNIST training images scaled to [0, 1] for
784-input networks when the IDX files are found (``$FASHION_MNIST_DIR`` or
``/usr/share/datasets/fashion-mnist``), otherwise uniform [0, 1] values with half of them set
to exactly zero. Weights are He-initialised, biases zero, hidden layers ReLU, loss softmax
cross-entropy.

The Numba time is the median of ``--repeats`` runs after a warm-up call (JIT compilation is
never timed). The reference runs every coordinate for small networks; for larger ones it runs
a random subset of ``--subset`` coordinates and its time is scaled by ``params / subset``.
The error columns compare the two paths on the coordinates the reference computed:

- ``max rel``: the largest ``|a - b| / max(|a| + |b|, 1e-8)``.
- ``rel>floor``: the same over coordinates with ``|a| + |b| >= floor / 1e-9``, where
  ``floor = 2·ε·L/h`` bounds the rounding of subtracting two float64 losses; below that size
  no float64 central difference is reproducible to 1e-9 (see ``tests/test_numgrad.py``).
- ``|a-b|/floor``: the largest absolute difference in units of that floor.
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
from pathlib import Path

import numba
import numpy as np

from fastmlp.backends import _numgrad_numba, _numgrad_numpy

NETWORKS = ["2-4-2", "4-8-3", "64-32-10", "784-128-10", "784-256-128-10"]
FULL_REFERENCE_UP_TO = 5_000  # parameters; above this the reference runs on a subset


def read_idx(path):
    """An IDX file (gzip or plain) as a uint8 array: magic, dims as big-endian uint32, data."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def batch_for(n_in, n_out, batch, rng):
    """``(X, labels, source)`` for one network."""
    folder = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    images = folder / "train-images-idx3-ubyte.gz"
    if n_in == 784 and images.exists():
        X = read_idx(images)[:batch].reshape(batch, -1) / 255.0
        y = read_idx(folder / "train-labels-idx1-ubyte.gz")[:batch].astype(np.int64) % n_out
        return X, y, "fashion-mnist"
    X = rng.random((batch, n_in))
    X[rng.random((batch, n_in)) < 0.5] = 0.0
    return X, rng.integers(0, n_out, size=batch), "random, 50% zeros"


def network(sizes, batch, rng):
    weights = [rng.normal(size=(a, b)) * np.sqrt(2.0 / a) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b) for b in sizes[1:]]
    activations = ["relu"] * (len(sizes) - 2) + ["identity"]
    X, y, source = batch_for(sizes[0], sizes[-1], batch, rng)
    return (X, y, weights, biases, activations, [0.0] * len(activations), "cross_entropy"), source


def measure(name, batch, eps, subset, repeats, rng):
    sizes = [int(s) for s in name.split("-")]
    spec, source = network(sizes, batch, rng)
    shapes = [W.shape for W in spec[2]] + [b.shape for b in spec[3]]
    coords = [(k, idx) for k, shape in enumerate(shapes) for idx in np.ndindex(shape)]
    n_params = len(coords)

    _numgrad_numba.numerical_gradient(*spec, eps)  # compile outside the timing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fast = _numgrad_numba.numerical_gradient(*spec, eps)
        times.append(time.perf_counter() - start)
    fast_time = float(np.median(times))

    if n_params > FULL_REFERENCE_UP_TO:
        chosen = rng.choice(n_params, size=subset, replace=False)
        coords = [coords[c] for c in sorted(chosen)]
    start = time.perf_counter()
    ref, _ = _numgrad_numpy.central_differences(*spec, eps, coords)
    ref_time = (time.perf_counter() - start) * n_params / len(coords)

    grads = fast.grads_W + fast.grads_b
    a = ref
    b = np.array([grads[k][idx] for k, idx in coords])
    rel = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)
    out, _ = _numgrad_numpy.forward(spec[0], *spec[2:6])
    floor = 2 * np.finfo(np.float64).eps * max(_numgrad_numpy.loss_value(out, spec[1], spec[6]),
                                               1.0) / eps
    resolvable = np.abs(a) + np.abs(b) >= floor / 1e-9
    return {
        "network": name,
        "params": n_params,
        "numba_s": fast_time,
        "ref_s": ref_time,
        "ref_coords": len(coords),
        "speedup": ref_time / fast_time,
        "max_rel": float(rel.max()),
        "rel_resolvable": float(rel[resolvable].max()) if resolvable.any() else float("nan"),
        "share_resolvable": float(resolvable[(a != 0) | (b != 0)].mean()),
        "diff_over_floor": float(np.abs(a - b).max() / floor),
        "kinks": sum(fast.kink_counts_W) + sum(fast.kink_counts_b),
        "source": source,
    }


def table(args, eps):
    rng = np.random.default_rng(0)
    print(f"\nbatch {args.batch}, h = {eps:g}, float64, {numba.get_num_threads()} Numba "
          f"threads, load average {os.getloadavg()[0]:.2f} (other processes slow the timings)")
    header = (f"{'network':<16}{'params':>8}{'numba s':>10}{'ref s':>10}{'ref coords':>11}"
              f"{'speedup':>9}{'max rel':>10}{'rel>floor':>10}{'>floor':>7}{'|a-b|/floor':>12}"
              f"{'kinks':>6}  inputs")
    print(header)
    for name in args.networks:
        r = measure(name, args.batch, eps, args.subset, args.repeats, rng)
        print(f"{r['network']:<16}{r['params']:>8}{r['numba_s']:>10.4g}{r['ref_s']:>10.4g}"
              f"{r['ref_coords']:>11}{r['speedup']:>8.0f}x{r['max_rel']:>10.1e}"
              f"{r['rel_resolvable']:>10.1e}{r['share_resolvable']:>7.0%}"
              f"{r['diff_over_floor']:>12.2f}{r['kinks']:>6}  {r['source']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--eps", type=float, nargs="+", default=[1e-5, 1e-2])
    parser.add_argument("--subset", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--networks", nargs="*", default=NETWORKS)
    args = parser.parse_args(argv)
    for eps in args.eps:
        table(args, eps)
    print("ref s: scaled from 'ref coords' coordinates when fewer than 'params'. >floor: share "
          "of nonzero coordinates above floor/1e-9, floor = 2·ε·L/h.")


if __name__ == "__main__":
    main()
