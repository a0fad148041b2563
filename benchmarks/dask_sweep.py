"""Time one hyperparameter sweep of fastmlp's MLPClassifier on Dask clusters of 1, 2, ... workers.

Each cluster is a ``distributed.LocalCluster`` of worker processes on the loopback interface,
one task thread and one BLAS thread per worker. The sweep is ``GridSearchCV`` over the digits
(8 candidates x 3 folds = 24 fits) run under ``joblib.parallel_backend("dask")``; a first,
untimed sweep loads the compiled kernels in every worker. Also timed: the same sweep in this
process, one fit after another (``n_jobs=1``). Prints medians of ``--repeats`` sweeps.

    python benchmarks/dask_sweep.py [--workers 1,2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import joblib
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from fastmlp.cluster import worker_threads
from fastmlp.sklearn import MLPClassifier

GRID = {"hidden_layer_sizes": [(32,), (128,)], "alpha": [1e-4, 1e-2],
        "learning_rate_init": [1e-3, 1e-2]}


def sweep(X, y, backend=None):
    search = GridSearchCV(MLPClassifier(max_iter=60, random_state=0), GRID, cv=3)
    start = time.perf_counter()
    if backend is None:
        search.fit(X, y)
    else:
        with joblib.parallel_backend(backend):
            search.fit(X, y)
    return time.perf_counter() - start, search.best_score_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="cluster sizes, e.g. 1,2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    fits = 3 * len(GRID["hidden_layer_sizes"]) * len(GRID["alpha"]) * len(
        GRID["learning_rate_init"])
    print(f"GridSearchCV of fastmlp.sklearn.MLPClassifier on the digits ({len(X)} x "
          f"{X.shape[1]}): {fits} fits of up to 60 epochs; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}")
    print(f"{'where':<28} {'median s':>9} {'runs (s)':<24} {'speed-up':>8}  best score")
    sweep(X, y)  # loads the compiled kernels in this process
    local = [sweep(X, y) for _ in range(args.repeats)]
    base = statistics.median(t for t, _ in local)
    print(f"{'this process, n_jobs=1':<28} {base:>9.2f} "
          f"{' '.join(f'{t:.2f}' for t, _ in local):<24} {1.0:>8.2f}  {local[0][1]:.4f}")
    for n in (int(w) for w in args.workers.split(",")):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            threads = sorted({(t["blas"], t["numba"]) for t in worker_threads(client).values()})
            sweep(X, y, "dask")  # loads the compiled kernels in every worker
            runs = [sweep(X, y, "dask") for _ in range(args.repeats)]
        median = statistics.median(t for t, _ in runs)
        label = f"Dask, {n} worker{'s' if n > 1 else ''} (BLAS {threads[0][0]})"
        print(f"{label:<28} {median:>9.2f} {' '.join(f'{t:.2f}' for t, _ in runs):<24} "
              f"{base / median:>8.2f}  {runs[0][1]:.4f}")


if __name__ == "__main__":
    main()
