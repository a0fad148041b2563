"""Benchmarks against the libraries people would otherwise use, measured in one process.

:func:`run_peer_comparison` trains the same networks on the same data with fastmlp (Numba and
NumPy backends), a plain hand-written NumPy loop, PyTorch and scikit-learn, and prints one table
of times, ratios, accuracy and achieved GFLOP/s: the targets T1-T6 of ``docs/benchmarks.md``.
:data:`CASES` is the table of network sizes that the pytest-benchmark suites in ``benchmarks/``
are built from as well, so every benchmark speaks about the same networks.

Nothing here asserts a timing: these numbers come from shared, noisy machines.
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Case:
    """One network size of the benchmarks.

    Attributes
    ----------
    sizes : tuple of int
        Layer widths, input first.
    batch : int
        Rows per kernel call and training step (the full batch for the tiny networks).
    samples : int
        Rows of synthetic data in one pytest-benchmark training epoch.
    """

    sizes: tuple
    batch: int
    samples: int


#: The network sizes every benchmark uses, by name. The 784-* epochs use 10k synthetic rows
#: (a sixth of Fashion-MNIST) so the pytest suite stays at a few minutes.
CASES = {
    "2-4-2": Case((2, 4, 2), batch=4, samples=4),  # XOR, full batch
    "4-8-3": Case((4, 8, 3), batch=150, samples=150),  # iris-sized, full batch
    "64-32-10": Case((64, 32, 10), batch=128, samples=1797),  # digits-sized
    "784-128-10": Case((784, 128, 10), batch=128, samples=10_000),
    "784-512-512-10": Case((784, 512, 512, 10), batch=128, samples=10_000),
}

#: What each target asks, for the summary printed under the table.
TARGETS = {
    "T1": "784-128-10 epoch: numba <= 0.40 x torch and <= 0.40 x sklearn; acc within 1 pt",
    "T2": "784-512-512-10 epoch: numba <= 0.60 x torch",
    "T3": "XOR 2-4-2 full-batch SGD step: numba <= 1/50 of torch",
    "T4": "backend='numpy' epoch <= 1.3 x a hand-written NumPy loop",
    "T5": "first fit in a fresh process, warm Numba cache: adds <= 2 s",
    "T6": "training GFLOP/s / large-GEMM GFLOP/s (reported)",
}

BATCH, LR = 128, 1e-3
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)


def parse_size(size):
    """``"784-128-10"`` or ``(784, 128, 10)`` -> ``(784, 128, 10)``."""
    widths = tuple(int(w) for w in (size.split("-") if isinstance(size, str) else size))
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"a size lists at least two positive widths, e.g. '784-128-10'; "
                         f"got {size!r}")
    return widths


def size_name(sizes):
    """``(784, 128, 10)`` (or ``"784-128-10"``) -> ``"784-128-10"``."""
    return "-".join(str(w) for w in parse_size(sizes))


def training_flops(sizes, n):
    """Floating-point operations of one training epoch over ``n`` samples (GEMMs only).

    Forward is ``2 n sum(in * out)``; backward computes the weight gradients (the same again)
    and the input gradients of every layer but the first (which nobody needs).
    """
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * n * (3 * sum(products) - products[0])


def synthetic_data(sizes, n, seed=0):
    """A learnable stand-in shaped like ``sizes``: float32 ``X (n, in)`` in [0, 1), int64 labels.

    Each class has a random prototype; a sample is half its prototype, half noise.
    """
    rng = np.random.default_rng(seed)
    k = sizes[-1]
    prototypes = rng.random((k, sizes[0]), dtype=np.float32)
    y = rng.integers(0, k, n)
    X = np.float32(0.5) * prototypes[y] + np.float32(0.5) * rng.random((n, sizes[0]),
                                                                        dtype=np.float32)
    return X, y


def gemm_gflops(n=2048, repeats=5):
    """Median GFLOP/s of a float32 ``n x n x n`` matrix product through NumPy's BLAS."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b, c = a.copy(), np.empty_like(a)
    np.dot(a, b, out=c)  # the first call pays for thread start-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.dot(a, b, out=c)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def machine_info():
    """CPU model, usable cores, BLAS libraries and library versions, as a dict of strings."""
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                          if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        cpu = (f"{fields['model name']} (family {fields.get('cpu family', '?')} model "
               f"{fields.get('model', '?')}, {fields.get('cpu MHz', '?')} MHz)")
    except (OSError, KeyError):
        pass
    try:
        import scipy.linalg.cython_blas  # noqa: F401 - loads the BLAS Numba's np.dot calls
        from threadpoolctl import threadpool_info

        blas = "; ".join(f"{i['internal_api']} {i['version']} {i.get('architecture', '')} "
                         f"{i['num_threads']} threads ({os.path.basename(i['filepath'])})"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        blas = "see numpy.show_config()"
    # The environment can pin OpenBLAS's kernels (e.g. Haswell's AVX2 on an AVX-512 CPU).
    pinned = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    if pinned:
        blas += "; " + " ".join(f"{k}={v}" for k, v in sorted(pinned.items()))
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "numba": numba.__version__}
    for name in ("torch", "sklearn"):
        module = _optional(name)
        if module is not None:
            versions[name] = module.__version__
    if "torch" in versions:
        import torch

        versions["torch"] += " (MKL)" if torch.backends.mkl.is_available() else ""
    return {"cpu": cpu, "cores": str(_cores()), "blas": blas,
            "versions": ", ".join(f"{k} {v}" for k, v in versions.items())}


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


# --------------------------------------------------------------------------- data


def _dataset(sizes, n_train, out):
    """Fashion-MNIST for 784-in, 10-out networks when it is on disk, else synthetic data."""
    if sizes[0] == 784 and sizes[-1] == 10:
        try:
            from .data import load_fashion_mnist

            (X, y), (Xt, yt) = load_fashion_mnist(download=False, progress=False)
            return X[:n_train], y[:n_train], Xt, yt, "fashion-mnist"
        except Exception as err:  # any failure to load means: fall back, and say so
            print(f"# Fashion-MNIST not available ({type(err).__name__}); using a synthetic "
                  f"stand-in of the same shape", file=out)
    X, y = synthetic_data(sizes, (n_train or 60_000) + 10_000)
    return X[:-10_000], y[:-10_000], X[-10_000:], y[-10_000:], "synthetic"


# --------------------------------------------------------------------------- implementations
# Each trainer builds a fresh network, times only the training itself and returns
# (seconds, test accuracy).


def _train_fastmlp(backend):
    def train(sizes, X, y, Xt, yt, epochs, seed):
        from . import MLP, Adam

        model = MLP(list(sizes), backend=backend, seed=seed)
        start = time.perf_counter()
        model.fit(X, y, epochs=epochs, batch_size=BATCH, optimizer=Adam(LR), verbose=0)
        seconds = time.perf_counter() - start
        return seconds, model.score(Xt, yt)

    return train


def _train_numpy_loop(sizes, X, y, Xt, yt, epochs, seed, beta1=0.9, beta2=0.999, eps=1e-8):
    """The obvious textbook loop: forward, softmax cross-entropy, backward, Adam, per batch."""
    rng = np.random.default_rng(seed)
    Ws = [(rng.standard_normal((a, b)) * math.sqrt(2 / a)).astype(np.float32)
          for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b, dtype=np.float32) for b in sizes[1:]]
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step, n = 0, len(X)
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        for begin in range(0, n, BATCH):
            idx = order[begin:begin + BATCH]
            xb, yb = X[idx], y[idx]
            rows = np.arange(len(yb))
            acts = [xb]
            for W, b in zip(Ws[:-1], bs[:-1]):
                acts.append(np.maximum(acts[-1] @ W + b, 0))
            logits = acts[-1] @ Ws[-1] + bs[-1]
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            loss = -np.log(probs[rows, yb]).mean()  # noqa: F841 - a real loop logs it
            d = probs
            d[rows, yb] -= 1
            d /= len(yb)
            gW, gb = [None] * len(Ws), [None] * len(Ws)
            for layer in range(len(Ws) - 1, -1, -1):
                gW[layer] = acts[layer].T @ d
                gb[layer] = d.sum(axis=0)
                if layer:
                    d = (d @ Ws[layer].T) * (acts[layer] > 0)
            step += 1
            for i, g in enumerate(gW + gb):
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                m_hat = m[i] / (1 - beta1**step)
                v_hat = v[i] / (1 - beta2**step)
                params[i] -= LR * m_hat / (np.sqrt(v_hat) + eps)
    seconds = time.perf_counter() - start
    h = Xt
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.maximum(h @ W + b, 0)
    return seconds, float(np.mean((h @ Ws[-1] + bs[-1]).argmax(axis=1) == yt))


def _torch_net(torch, sizes, activation):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return torch.nn.Sequential(*layers)


def _train_torch(sizes, X, y, Xt, yt, epochs, seed):
    """The idiomatic PyTorch loop: randperm index batches, nn.Sequential, F.cross_entropy, Adam."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    net = _torch_net(torch, sizes, torch.nn.ReLU)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    X_, y_ = torch.from_numpy(X), torch.from_numpy(y)
    n = len(X)
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for begin in range(0, n, BATCH):
            idx = perm[begin:begin + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(net(X_[idx]), y_[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predicted = net(torch.from_numpy(Xt)).argmax(dim=1).numpy()
    return seconds, float(np.mean(predicted == yt))


def _train_sklearn(sizes, X, y, Xt, yt, epochs, seed):
    """MLPClassifier with the same settings; ``max_iter=epochs`` runs exactly that many epochs."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), solver="adam", batch_size=BATCH,
                        learning_rate_init=LR, max_iter=epochs, alpha=0.0, shuffle=True,
                        random_state=seed, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the point
        clf.fit(X, y)
    seconds = time.perf_counter() - start
    return seconds, float(clf.score(Xt, yt))


def _implementations(peers, out):
    impls = {"fastmlp numba": _train_fastmlp("numba"), "fastmlp numpy": _train_fastmlp("numpy"),
             "numpy loop": _train_numpy_loop}
    if peers:
        for label, module, trainer, hint in (
                ("pytorch", "torch", _train_torch, "pip install torch==2.13.0"),
                ("scikit-learn", "sklearn", _train_sklearn, "pip install scikit-learn")):
            if _optional(module) is None:
                print(f"# {label} is not installed: skipping its rows ({hint})", file=out)
            else:
                impls[label] = trainer
    return impls


# --------------------------------------------------------------------------- measurements


def _timed_runs(impls, repeats, run):
    """``run(name, fn, r)`` for every implementation and repeat, the order rotating per repeat
    so that slow phases of a noisy machine hit every implementation alike."""
    names = list(impls)
    results = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            results[name].append(run(name, impls[name], r))
    return results


def _epoch_rows(sizes, impls, epochs, repeats, n_train, out):
    X, y, Xt, yt, data = _dataset(sizes, n_train, out)
    name = size_name(sizes)
    for fn in impls.values():  # warm-up: JIT compilation and first-call set-up are not timed
        fn(sizes, X[:1024], y[:1024], Xt[:256], yt[:256], 1, 0)
    results = _timed_runs(impls, repeats,
                          lambda _, fn, r: fn(sizes, X, y, Xt, yt, epochs, r))
    flops = training_flops(sizes, len(X))
    target = {"784-128-10": "T1", "784-512-512-10": "T2"}.get(name, "epoch")
    rows = []
    for impl, runs in results.items():
        per_epoch = [seconds / epochs for seconds, _ in runs]
        seconds = statistics.median(per_epoch)
        rows.append({"target": target, "size": name, "impl": impl, "unit": "s/epoch",
                     "seconds": seconds, "runs": per_epoch, "data": f"{data} n={len(X)}",
                     "accuracy": statistics.median(acc for _, acc in runs),
                     "gflops": flops / seconds / 1e9})
    return rows


def _xor_fastmlp(backend, steps, seed):
    from . import MLP, SGD

    model = MLP([2, 4, 2], activation="tanh", backend=backend, seed=seed)
    start = time.perf_counter()
    model.fit(XOR_X, XOR_Y, epochs=steps, batch_size=4, optimizer=SGD(0.5), verbose=0)
    return time.perf_counter() - start, model.score(XOR_X, XOR_Y)


def _xor_fastmlp_calls(steps, seed):
    """One step per ``fit(epochs=1)`` call: what a user pays who calls fit in a loop."""
    from . import MLP, SGD

    model = MLP([2, 4, 2], activation="tanh", seed=seed)
    opt = SGD(0.5)
    start = time.perf_counter()
    for _ in range(steps):
        model.fit(XOR_X, XOR_Y, epochs=1, batch_size=4, optimizer=opt, verbose=0)
    return time.perf_counter() - start, model.score(XOR_X, XOR_Y)


def _xor_torch(steps, seed):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    net = _torch_net(torch, (2, 4, 2), torch.nn.Tanh)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    X, y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(X), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        return seconds, float(np.mean(net(X).argmax(dim=1).numpy() == XOR_Y))


def _xor_rows(steps, repeats, peers):
    # The slow paths take a tenth of the steps: the per-step time is what is compared.
    impls = {"fastmlp numba": lambda r: _xor_fastmlp("numba", steps, r),
             "fastmlp numba, fit per step": lambda r: _xor_fastmlp_calls(steps // 10, r),
             "fastmlp numpy": lambda r: _xor_fastmlp("numpy", steps // 10, r)}
    counts = {"fastmlp numba": steps, "fastmlp numba, fit per step": steps // 10,
              "fastmlp numpy": steps // 10}
    if peers and _optional("torch") is not None:
        impls["pytorch"] = lambda r: _xor_torch(steps // 10, r)
        counts["pytorch"] = steps // 10
    for fn in impls.values():
        fn(0)  # warm-up
    results = _timed_runs(impls, repeats, lambda _, fn, r: fn(r))
    rows = []
    for impl, runs in results.items():
        per_step = [seconds / counts[impl] for seconds, _ in runs]
        rows.append({"target": "T3", "size": "2-4-2", "impl": impl, "unit": "s/step",
                     "seconds": statistics.median(per_step), "runs": per_step,
                     "data": f"XOR, {counts[impl]} steps",
                     "accuracy": statistics.median(acc for _, acc in runs)})
    return rows


_STARTUP_SCRIPT = """
import json, time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
import fastmlp
t2 = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.random((2048, 784), dtype=np.float32)
y = rng.integers(0, 10, 2048)
def fit():
    model = fastmlp.MLP([784, 128, 10], seed=0)
    start = time.perf_counter()
    model.fit(X, y, epochs=1, batch_size=128, optimizer=fastmlp.Adam(1e-3), verbose=0)
    return time.perf_counter() - start
first = fit()
steady = min(fit() for _ in range(3))
print(json.dumps({"numpy": t1 - t0, "fastmlp": t2 - t1, "first": first, "steady": steady}))
"""


def _startup_once(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _STARTUP_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=900, check=True)
    wall = time.perf_counter() - start
    times = json.loads(done.stdout.strip().splitlines()[-1])
    # What start-up adds: importing fastmlp (numba, scipy) plus the first fit's extra time.
    return times["fastmlp"] + times["first"] - times["steady"], times, wall


def _startup_rows(repeats):
    """T5: a fresh process per run; cold = empty Numba cache dir, warm = the same dir again."""
    runs = {"cold cache": [], "warm cache": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="fastmlp-numba-cache-") as cache_dir:
            runs["cold cache"].append(_startup_once(cache_dir))
            runs["warm cache"].append(_startup_once(cache_dir))
    rows = []
    for label, results in runs.items():
        added = [a for a, _, _ in results]
        i = added.index(sorted(added)[len(added) // 2])  # the median run, for its details
        _, t, wall = results[i]
        rows.append({"target": "T5", "size": "784-128-10", "impl": f"fastmlp numba, {label}",
                     "unit": "s", "seconds": statistics.median(added), "runs": added,
                     "data": f"import {t['fastmlp']:.2f}s + first fit {t['first']:.2f}s - "
                             f"steady {t['steady']:.2f}s; process {wall:.1f}s"})
    return rows


# --------------------------------------------------------------------------- report


def _add_ratios(rows):
    """Each row's time over the same size's PyTorch, scikit-learn and NumPy-loop times."""
    for row in rows:
        for peer, key in (("pytorch", "x_torch"), ("scikit-learn", "x_sklearn"),
                          ("numpy loop", "x_loop")):
            ref = next((r for r in rows if r["target"] == row["target"] and r["size"] ==
                        row["size"] and r["impl"] == peer), None)
            if ref is not None:
                row[key] = row["seconds"] / ref["seconds"]
                row[f"{key}_best"] = min(row["runs"]) / min(ref["runs"])
                # Runs of one repeat are minutes apart at most: their ratio cancels the slow
                # phases of a shared machine that the medians of each column keep.
                row[f"{key}_paired"] = statistics.median(
                    a / b for a, b in zip(row["runs"], ref["runs"]))


def _fmt_time(row, seconds=None):
    s = row["seconds"] if seconds is None else seconds
    if row["unit"] == "s/step":
        return f"{s * 1e6:.2f} us/step"
    return f"{s:.3f} {row['unit']}"


def _spread(row):
    runs = row["runs"]
    return f"{(max(runs) - min(runs)) / row['seconds'] * 100:.0f}%" if len(runs) > 1 else "-"


def _cell(row, key, fmt):
    return fmt.format(row[key]) if row.get(key) is not None else "-"


def format_table(rows):
    """The rows of :func:`run_peer_comparison` as one plain-text table."""
    header = ("target", "size", "implementation", "median", "best", "spread", "x torch",
              "x sklearn", "x loop", "accuracy", "GFLOP/s", "eff", "data")
    table = [header]
    for row in rows:
        table.append((row["target"], row["size"], row["impl"], _fmt_time(row),
                      _fmt_time(row, min(row["runs"])), _spread(row),
                      _cell(row, "x_torch", "{:.3f}"), _cell(row, "x_sklearn", "{:.3f}"),
                      _cell(row, "x_loop", "{:.2f}"), _cell(row, "accuracy", "{:.2%}"),
                      _cell(row, "gflops", "{:.1f}"), _cell(row, "efficiency", "{:.2f}"),
                      row.get("data", "")))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _verdicts(rows):
    """One line per target: the measured ratio against its bound."""
    def find(target, impl, size=None):
        return next((r for r in rows if r["target"] == target and r["impl"] == impl
                     and (size is None or r["size"] == size)), None)

    def check(label, row, key, bound, what):
        # The verdict is on medians, as the targets say; the ratio of the best runs shows
        # how much of a miss (or a hit) a noisy machine may have made.
        value = row[key]
        verdict = "met" if value <= bound else "NOT met"
        more = "".join(f", {name} {row[key + suffix]:.3f}" for suffix, name in
                       (("_best", "best runs"), ("_paired", "per-repeat median"))
                       if key + suffix in row)
        return f"{label}: {what} = {value:.3f} (<= {bound:g}) {verdict}{more}"

    lines = []
    t1 = find("T1", "fastmlp numba")
    if t1 is not None:
        for key, peer in (("x_torch", "torch"), ("x_sklearn", "sklearn")):
            if key in t1:
                lines.append(check("T1", t1, key, 0.40, f"numba / {peer}"))
        torch_row = find("T1", "pytorch")
        if torch_row is not None:
            # Being more than a point better than PyTorch is no failure: only falling behind is.
            gap = (t1["accuracy"] - torch_row["accuracy"]) * 100
            lines.append(f"T1: accuracy numba - torch = {gap:+.2f} points (>= -1) "
                         f"{'met' if gap >= -1 else 'NOT met'}")
    t2 = find("T2", "fastmlp numba")
    if t2 is not None and "x_torch" in t2:
        lines.append(check("T2", t2, "x_torch", 0.60, "numba / torch"))
    t3 = find("T3", "fastmlp numba")
    if t3 is not None and "x_torch" in t3:
        lines.append(check("T3", t3, "x_torch", 1 / 50, "numba / torch per step"))
    for row in rows:
        if row["impl"] == "fastmlp numpy" and "x_loop" in row and row["target"] != "T3":
            lines.append(check("T4", row, "x_loop", 1.3, f"numpy backend / loop, {row['size']}"))
    warm = find("T5", "fastmlp numba, warm cache")
    if warm is not None:
        lines.append(check("T5", warm, "seconds", 2.0, "warm start-up adds (s)"))
    for row in rows:
        if row["impl"] == "fastmlp numba" and "efficiency" in row:
            lines.append(f"T6: {row['size']}: {row['gflops']:.1f} GFLOP/s = "
                         f"{row['efficiency']:.2f} of the large GEMM")
    return lines


def run_peer_comparison(sizes=("784-128-10", "784-512-512-10"), epochs=5, repeats=3, peers=True,
                        out=sys.stdout, *, n_train=None, xor_steps=20_000, startup=True):
    """Time fastmlp against PyTorch, scikit-learn and a plain NumPy loop; print one table.

    Everything runs in this process, interleaved per repeat (T5 aside, which needs fresh
    processes), so machine noise hits every implementation alike. Absent peers are skipped
    with a line saying so.

    Parameters
    ----------
    sizes : sequence of str or sequence of int
        Networks for the epoch comparison (T1, T2, T4, T6), e.g. ``"784-128-10"``. Sizes with
        784 inputs and 10 outputs train on Fashion-MNIST when it is on disk; others (and a
        missing Fashion-MNIST) on a labelled synthetic stand-in of the same shape.
    epochs : int
        Epochs per run; the time per epoch is the run's time over ``epochs`` and the accuracy
        is on the test set after the last one (T1 asks for 5).
    repeats : int
        Runs per implementation; the table shows medians and the spread (max - min) / median.
    peers : bool
        Include PyTorch and scikit-learn (False: fastmlp and the NumPy loop only).
    out : file-like
        Where the table is printed.
    n_train : int or None
        Use only the first ``n_train`` training rows (quick checks); None uses all of them.
    xor_steps : int
        SGD steps per XOR run (T3) on the fused path; the slower paths run a tenth as many.
    startup : bool
        Run T5 (fresh processes with an empty, then a filled, ``NUMBA_CACHE_DIR``).

    Returns
    -------
    list of dict
        One dict per table row: ``target, size, impl, unit, seconds`` (the median),
        ``runs`` (every repeat), ``data``, and where they apply ``accuracy``, ``gflops``,
        ``efficiency`` (over the GEMM) and ``x_torch`` / ``x_sklearn`` / ``x_loop`` ratios (of
        the medians; ``x_torch_best`` and so on compare the fastest runs, ``x_torch_paired``
        is the median of the ratios within each repeat).
    """
    if repeats < 1 or epochs < 1:
        raise ValueError(f"repeats and epochs must be >= 1, got {repeats} and {epochs}")
    sizes = [parse_size(s) for s in sizes]
    threads = _cores()
    if peers and _optional("torch") is not None:
        import torch

        torch.set_num_threads(threads)
    info = machine_info()
    load_start = os.getloadavg()
    print(f"# fastmlp peer comparison: float32, batch {BATCH}, Adam lr {LR:g}, {epochs} epochs "
          f"per run, medians of {repeats} runs, {threads} threads", file=out)
    print(f"# cpu: {info['cpu']}, {info['cores']} cores; blas: {info['blas']}", file=out)
    print(f"# {info['versions']}", file=out)
    impls = _implementations(peers, out)
    gemm_before = gemm_gflops()
    rows = []
    for s in sizes:
        rows += _epoch_rows(s, impls, epochs, repeats, n_train, out)
    rows += _xor_rows(xor_steps, repeats, peers)
    if startup:
        rows += _startup_rows(repeats)
    gemm_after = gemm_gflops()
    # Noise only ever slows the GEMM down, so the faster measurement is the better peak.
    peak = max(gemm_before, gemm_after)
    for row in rows:
        if "gflops" in row:
            row["efficiency"] = row["gflops"] / peak
    _add_ratios(rows)
    print(f"# large GEMM (2048^3 float32, NumPy BLAS): {gemm_before:.1f} GFLOP/s before, "
          f"{gemm_after:.1f} after; eff = GFLOP/s / {peak:.1f}", file=out)
    print(f"# load average (1, 5, 15 min): {_load(load_start)} at start, "
          f"{_load(os.getloadavg())} at end", file=out)
    print(format_table(rows), file=out)
    for line in _verdicts(rows):
        print(line, file=out)
    return rows


def _load(values):
    return " ".join(f"{v:.2f}" for v in values)
