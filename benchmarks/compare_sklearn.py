"""fastmlp.sklearn against scikit-learn's own MLP: the same hyperparameters, in one process.

Two comparisons, each fit timed ``--repeats`` times (medians reported, with the ratio
fastmlp / scikit-learn; below 1 means fastmlp is faster):

1. Fashion-MNIST, the first 20,000 training images, ``MLPClassifier(hidden_layer_sizes=(256,),
   solver="adam", batch_size=200, max_iter=6)`` (6 epochs), test accuracy on the 10,000 test
   images. Run on the pixels as float32 (as ``fastmlp.data`` loads them; both libraries then
   compute in float32) and as float64 (both in float64), and once more with fastmlp's
   ``dtype="float32"`` on the float64 pixels.
2. ``make_friedman1``, 1,000 rows, ``MLPRegressor(hidden_layer_sizes=(64, 64),
   solver="lbfgs")`` (float64, up to 200 iterations), R² on 1,000 fresh rows.

After the float32 Adam row, the floor both fits stand on: the GEMMs of those 6 epochs alone
(every forward product, weight gradient and the input gradient below the output layer, through
NumPy's ``np.dot`` into preallocated outputs, as ``benchmarks/roofline.py`` times them), as a
fraction of scikit-learn's fit. A fit cannot take less than its own GEMMs, so a ratio target
below that fraction cannot be met with this BLAS on this machine.

A first, untimed fastmlp fit loads the compiled kernels. Needs Fashion-MNIST
(``apt-get install dataset-fashion-mnist``, or see docs/datasets.md).

    python benchmarks/compare_sklearn.py [--repeats 3] [--n-train 20000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
import sklearn.neural_network as reference
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning

import fastmlp
from fastmlp.bench.epoch_pieces import epoch_operands, piece_runners
from fastmlp.data import load_fashion_mnist
from fastmlp.sklearn import MLPClassifier, MLPRegressor


def timed_fits(make, X, y, repeats):
    """Fit a fresh estimator ``repeats`` times; return the times and the last estimator."""
    times = []
    for _ in range(repeats):
        estimator = make()
        start = time.perf_counter()
        estimator.fit(X, y)
        times.append(time.perf_counter() - start)
    return times, estimator


def compare(name, X, y, X_test, y_test, ours, theirs, repeats, metric):
    """One row: medians, runs, ratio and the test metric of both estimators."""
    ours(max_iter=1).fit(X[:1000], y[:1000])  # untimed: loads the compiled kernels
    our_times, our_fit = timed_fits(ours, X, y, repeats)
    their_times, their_fit = timed_fits(theirs, X, y, repeats)
    row = {"case": name,
           "fastmlp_s": statistics.median(our_times), "sklearn_s": statistics.median(their_times),
           "fastmlp_runs": our_times, "sklearn_runs": their_times,
           "fastmlp_" + metric: our_fit.score(X_test, y_test),
           "sklearn_" + metric: their_fit.score(X_test, y_test),
           "fastmlp_iterations": our_fit.n_iter_, "sklearn_iterations": their_fit.n_iter_}
    row["ratio"] = row["fastmlp_s"] / row["sklearn_s"]
    return row


def print_row(row, metric, scale):
    ours, theirs = row["fastmlp_" + metric], row["sklearn_" + metric]
    difference = (ours - theirs) * scale
    print(f"{row['case']:<44} {row['fastmlp_s']:>8.3f} {row['sklearn_s']:>8.3f} "
          f"{row['ratio']:>6.3f}   {ours * scale:>6.2f} {theirs * scale:>6.2f} "
          f"{difference:>+6.2f}")


def gemm_floor(sizes, n, batch, epochs, repeats):
    """Median seconds of ``epochs`` epochs' GEMMs alone (float32, NumPy's BLAS)."""
    runners = piece_runners(epoch_operands(sizes, n, batch))
    products = [runners[f"gemm {group}"] for group in ("forward", "weight", "input")]
    for run in products:
        run()  # fault the buffers in
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(epochs):
            for run in products:
                run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument("--json", metavar="PATH", help="also write every number as JSON")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)  # 6 epochs is short on purpose

    print(f"fastmlp {fastmlp.__version__}, scikit-learn {sklearn.__version__}, numpy "
          f"{np.__version__}; {os.cpu_count()} cores, {platform.machine()}; medians of "
          f"{args.repeats}")
    header = f"{'case':<44} {'fastmlp':>8} {'sklearn':>8} {'ratio':>6}   "
    rows = []

    (X, y), (X_test, y_test) = load_fashion_mnist(progress=False)
    X, y = X[:args.n_train], y[:args.n_train]
    settings = dict(hidden_layer_sizes=(256,), solver="adam", batch_size=200, max_iter=6,
                    random_state=0)
    print(f"\nFashion-MNIST, {len(X):,} training images, (256,), adam, batch 200, 6 epochs")
    print(header + f"{'accuracy %':>20}")
    print(f"{'':<44} {'s':>8} {'s':>8} {'':>6}   {'ours':>6} {'theirs':>6} {'diff':>6}")
    for label, dtype, extra in (("float32 pixels (both compute in float32)", np.float32, {}),
                                ("float64 pixels (both compute in float64)", np.float64, {}),
                                ("float64 pixels, fastmlp dtype='float32'", np.float64,
                                 {"dtype": "float32"})):
        row = compare(label, X.astype(dtype), y, X_test.astype(dtype), y_test,
                      lambda extra=extra, **kw: MLPClassifier(**{**settings, **extra, **kw}),
                      lambda: reference.MLPClassifier(**settings), args.repeats, "accuracy")
        print_row(row, "accuracy", 100)
        rows.append(row)
        if dtype is np.float32 and not extra:
            floor = gemm_floor((X.shape[1], 256, 10), len(X), 200, 6, args.repeats)
            row["gemm_floor_s"] = floor
            print(f"  {'its GEMMs alone (NumPy np.dot), of sklearn':<42} {floor:>8.3f} "
                  f"{'':>8} {floor / row['sklearn_s']:>6.3f}")

    X, y = make_friedman1(1000, random_state=0)
    X_new, y_new = make_friedman1(1000, random_state=1)
    settings = dict(hidden_layer_sizes=(64, 64), solver="lbfgs", random_state=0)
    print("\nmake_friedman1, 1,000 rows, (64, 64), lbfgs (up to 200 iterations), float64")
    print(header + f"{'R² x 100':>20}")
    row = compare("lbfgs regression", X, y, X_new, y_new,
                  lambda **kw: MLPRegressor(**{**settings, **kw}),
                  lambda: reference.MLPRegressor(**settings), args.repeats, "r2")
    print_row(row, "r2", 100)
    rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
