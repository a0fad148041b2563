"""Does the BLAS thread count change a training run's bits? Each count in two processes.

Run as ``python benchmarks/thread_reproducibility.py [--threads 1 2] [--epochs 3]``. Trains
784-128-10 (Adam 1e-3, batch 128, seed 0) on the 60,000 Fashion-MNIST training images (read
from disk, never downloaded; random pixels when the files are absent) under
``fastmlp.threads(n)``, twice per count and backend, each run in a process of its own, and
prints whether the two runs of one count agree bit for bit and how far apart the weights of
different counts are.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = """
import sys
import numpy as np
import fastmlp

n, backend, epochs, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
try:
    (X, y), _ = fastmlp.load_fashion_mnist(download=False, progress=False)
    source = "fashion-mnist"
except (OSError, ValueError):
    rng = np.random.default_rng(0)
    X, y = rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)
    source = "random pixels"
model = fastmlp.MLP([784, 128, 10], seed=0, backend=backend)
with fastmlp.threads(n):
    model.fit(X, y, epochs=epochs, batch_size=128, optimizer=fastmlp.Adam(1e-3), verbose=0)
    counts = fastmlp.thread_counts()
np.save(out, model.flat_params)
print(source, counts)
"""


def _run(n, backend, epochs, out):
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", CHILD, str(n), backend, str(epochs), out],
                          env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip(), np.load(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("numba", "numpy"):
            runs = {}
            for n in args.threads:
                first = _run(n, backend, args.epochs, os.path.join(folder, f"{n}a.npy"))
                second = _run(n, backend, args.epochs, os.path.join(folder, f"{n}b.npy"))
                runs[n] = first[1]
                same = np.array_equal(first[1], second[1])
                print(f"{backend}: {n} thread(s), two processes: "
                      f"{'bit-identical' if same else 'DIFFERENT'}  ({first[0]})")
            counts = list(runs)
            for i, a in enumerate(counts):
                for b in counts[i + 1:]:
                    print(f"{backend}: {a} vs {b} threads: weights differ by up to "
                          f"{np.abs(runs[a] - runs[b]).max():.3g}")


if __name__ == "__main__":
    main()
