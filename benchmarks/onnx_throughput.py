"""Inference throughput: the exported ONNX model in onnxruntime against fastmlp's own predict.

    python benchmarks/onnx_throughput.py                 # the table in docs/interop.md
    python benchmarks/onnx_throughput.py --epochs 1 --repeats 3   # a quicker look

Trains the Fashion-MNIST recipe's network (784-256-128-10, ReLU, float32) for a few epochs,
exports it with ``fastmlp.to_onnx``, checks that onnxruntime's probabilities and labels agree
with fastmlp's on the 10,000 test images, then times predictions on those 10,000 images: all
at once, in batches of 100, and one image per call. Each engine is timed in a fresh process of
its own, because two thread pools in one process fight: onnxruntime's threads keep spinning
after a run and halve the speed of the BLAS calls that follow. Each cell is the median over
``--repeats`` runs, in samples per second. onnxruntime runs with its default thread pool (one
thread per core); fastmlp's matrix products use BLAS's. Run it under the suite lock on a
shared machine, and compare ratios rather than absolutes.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

import fastmlp
from fastmlp.data import load_fashion_mnist

BATCHES = {"all 10,000 at once": 10_000, "batches of 100": 100, "one at a time": 1}


def throughput(predict, X, batch, repeats):
    """Median samples/s of ``predict`` over ``X`` in chunks of ``batch`` rows."""
    chunks = [X[i:i + batch] for i in range(0, len(X), batch)]
    predict(chunks[0])  # warm up: compiled kernels, buffers, thread pools
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for chunk in chunks:
            predict(chunk)
        times.append(time.perf_counter() - start)
    return len(X) / statistics.median(times)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


ENGINES = {
    "onnxruntime (probabilities + label)": "onnxruntime",
    "fastmlp predict, numba": "numba",
    "fastmlp predict, numba, 1 BLAS thread": "numba-1thread",
    "fastmlp predict, numpy": "numpy",
    "fastmlp predict_proba, numba": "numba-proba",
}
#: Environment of a child process, per engine: "1thread" pins OpenBLAS to one thread (on a
#: loaded machine its two threads wait on each other at every medium-sized product).
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def time_engine(engine, folder, repeats):
    """In this process: samples/s of ``engine`` per batch size, on the saved test images."""
    X = np.load(os.path.join(folder, "X_test.npy"))
    if engine == "onnxruntime":
        session = ort.InferenceSession(os.path.join(folder, "fashion.onnx"),
                                       providers=["CPUExecutionProvider"])

        def predict(x):
            return session.run(None, {"input": x})
    else:
        backend, _, what = engine.partition("-")  # "numba-proba", "numba-1thread"
        model = fastmlp.load(os.path.join(folder, "fashion.npz"), backend=backend)
        predict = model.predict_proba if what == "proba" else model.predict
    return [throughput(predict, X, batch, repeats) for batch in BATCHES.values()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per cell")
    parser.add_argument("--engine", choices=sorted(ENGINES.values()), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:  # a child process: time one engine, print its numbers as JSON
        print(json.dumps(time_engine(args.engine, args.folder, args.repeats)))
        return

    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(download=False)
    X_test = np.ascontiguousarray(X_test[:10_000], dtype=np.float32)
    model = fastmlp.MLP([784, 256, 128, 10], activation="relu", seed=0)
    model.fit(X_train, y_train, epochs=args.epochs, batch_size=128, verbose=0,
              optimizer=fastmlp.Adam(1e-3))
    with tempfile.TemporaryDirectory() as folder:
        fastmlp.to_onnx(model, os.path.join(folder, "fashion.onnx"))
        model.save(os.path.join(folder, "fashion.npz"))
        np.save(os.path.join(folder, "X_test.npy"), X_test)
        session = ort.InferenceSession(os.path.join(folder, "fashion.onnx"),
                                       providers=["CPUExecutionProvider"])
        probabilities, labels = session.run(None, {"input": X_test})
        del session
        gap = float(np.abs(probabilities - model.predict_proba(X_test)).max())
        same = float(np.mean(labels == model.predict(X_test)))
        print(f"{cpu_name()}, {os.cpu_count()} logical CPUs; fastmlp {fastmlp.__version__}, "
              f"onnxruntime {ort.__version__}, NumPy {np.__version__}; load average "
              f"{os.getloadavg()[0]:.1f} at the start")
        print(f"test accuracy {model.score(X_test, y_test):.4f}; onnxruntime vs predict_proba: "
              f"max |difference| {gap:.1e}, labels equal on {same:.2%} of images")
        print(f"samples/s, median of {args.repeats}, 10,000 Fashion-MNIST test images, "
              f"float32, each engine in a process of its own\n")
        rows = []
        for name, engine in ENGINES.items():
            env = dict(os.environ, **(_ONE_THREAD if engine.endswith("1thread") else {}))
            child = subprocess.run(
                [sys.executable, __file__, "--engine", engine, "--folder", folder,
                 "--repeats", str(args.repeats)], check=True, capture_output=True, text=True,
                env=env)
            rates = json.loads(child.stdout.strip().splitlines()[-1])
            rows.append([name] + [f"{rate:,.0f}" for rate in rates])
    header = ["engine"] + list(BATCHES)
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths))) + " |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
