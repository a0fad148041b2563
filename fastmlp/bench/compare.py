"""The peer comparison: fastmlp against PyTorch, scikit-learn and a NumPy loop, in one process.

:func:`run_peer_comparison` is what ``fastmlp bench`` and ``benchmarks/compare_peers.py`` run:
every implementation of :mod:`~fastmlp.bench.peers` trains the same networks on the same data,
interleaved per repeat, and one table of times, ratios, accuracy and GFLOP/s is printed with
the verdicts of :mod:`~fastmlp.bench.report`.

Nothing here asserts a timing: these numbers come from shared, noisy machines.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

from . import peers as trainers
from .machine import cores, gemm_gflops, load_average, machine_info, machine_lines, optional
from .report import ROOFLINE_TARGETS, add_ratios, format_table, verdicts
from .roofline import as_row, measure_roofline
from .sizes import parse_size, size_name, training_flops
from .startup import startup_rows

#: Seconds of idling before each timed run: BLAS and OpenMP threads keep spinning for a while
#: after a call, and would take the cores from the next implementation's first moments.
SETTLE = 0.25


def timed_runs(impls, repeats, run, settle=None):
    """Call ``run(name, fn, r)`` for every implementation and repeat ``r``.

    The order rotates per repeat, so slow phases of a noisy machine hit every implementation
    alike; ``gc.collect()`` and ``settle`` seconds of idling (default :data:`SETTLE`) come
    before each call.

    Parameters
    ----------
    impls : dict of str to callable
    repeats : int
    run : callable
        ``run(name, fn, r) -> result``.
    settle : float, optional

    Returns
    -------
    dict of str to list
        Per implementation, its ``repeats`` results in repeat order.
    """
    settle = SETTLE if settle is None else settle
    names = list(impls)
    results = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            time.sleep(settle)
            results[name].append(run(name, impls[name], r))
    return results


def _epoch_rows(sizes, impls, epochs, repeats, n_train, out):
    X, y, Xt, yt, data = trainers.dataset(sizes, n_train, out)
    name = size_name(sizes)
    for fn in impls.values():  # warm-up: JIT compilation and first-call set-up are not timed
        fn(sizes, X[:1024], y[:1024], Xt[:256], yt[:256], 1, 0)
    results = timed_runs(impls, repeats, lambda _, fn, r: fn(sizes, X, y, Xt, yt, epochs, r))
    flops = training_flops(sizes, len(X))
    target = {"784-128-10": "T1", "784-512-512-10": "T2"}.get(name, "epoch")
    rows = []
    for impl, runs in results.items():
        per_epoch = [seconds / epochs for seconds, _ in runs]
        seconds = statistics.median(per_epoch)
        rows.append({"target": target, "size": name, "impl": impl, "unit": "s/epoch",
                     "seconds": seconds, "runs": per_epoch, "data": f"{data} n={len(X)}",
                     "accuracy": statistics.median(acc for _, acc in runs),
                     "accuracies": [acc for _, acc in runs], "gflops": flops / seconds / 1e9})
    return rows


def _xor_rows(steps, repeats, with_peers):
    # The slow paths take a tenth of the steps: the per-step time is what is compared.
    few = max(steps // 10, 1)
    impls = {"fastmlp numba": (steps, lambda r: trainers.xor_fastmlp("numba", steps, r)),
             "fastmlp numba, fit per step": (few, lambda r: trainers.xor_fastmlp_calls(few, r)),
             "fastmlp numpy": (few, lambda r: trainers.xor_fastmlp("numpy", few, r))}
    if with_peers and optional("torch") is not None:
        impls["pytorch"] = (few, lambda r: trainers.xor_torch(few, r))
    for _, fn in impls.values():
        fn(0)  # warm-up
    results = timed_runs(impls, repeats, lambda _, impl, r: impl[1](r))
    rows = []
    for impl, runs in results.items():
        count = impls[impl][0]
        per_step = [seconds / count for seconds, _ in runs]
        rows.append({"target": "T3", "size": "2-4-2", "impl": impl, "unit": "s/step",
                     "seconds": statistics.median(per_step), "runs": per_step,
                     "data": f"XOR, {count} steps",
                     "accuracy": statistics.median(acc for _, acc in runs),
                     "accuracies": [acc for _, acc in runs]})
    return rows


def run_peer_comparison(sizes=("784-128-10", "784-512-512-10"), epochs=5, repeats=3, peers=True,
                        out=None, *, n_train=None, xor_steps=20_000, startup=True,
                        baseline=None, gemm_size=2048, roofline=True):
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
    out : file-like, optional
        Where the table is printed.
    n_train : int or None
        Use only the first ``n_train`` training rows (quick checks); None uses all of them.
    xor_steps : int
        SGD steps per XOR run (T3) on the fused path; the slower paths run a tenth as many.
        0 skips T3.
    startup : bool
        Run T5 (fresh processes with an empty, then a filled, ``NUMBA_CACHE_DIR``).
    baseline : list of dict, optional
        The rows of an earlier run on this machine (``compare_peers.py --json``): T1 and T2
        then ask for no regression of the numba / torch ratio against that run instead of
        against :data:`fastmlp.bench.report.BASELINE_X_TORCH`.
    roofline : bool
        For the sizes with a roofline target (R1: 784-128-10, R2: 784-512-512-10), also time
        the fused epoch against its own GEMMs alone (:mod:`~fastmlp.bench.roofline`, medians of
        ``repeats``) and add a row with their ratio.
    gemm_size : int
        Side of the float32 matrix product whose rate (before and after the runs, the faster
        of the two) the efficiency column divides by; smaller sizes reach less of the peak.

    Returns
    -------
    list of dict
        One dict per table row: ``target, size, impl, unit, seconds`` (the median),
        ``runs`` (every repeat), ``data``, and where they apply ``accuracy`` (median) and
        ``accuracies`` (per repeat), ``gflops``, ``efficiency`` (over the GEMM) and
        ``x_torch`` / ``x_sklearn`` / ``x_loop`` ratios (of the medians; ``x_torch_best`` and
        so on compare the fastest runs, ``x_torch_paired`` is the median of the ratios within
        each repeat, ``x_torch_runs`` those ratios).
    """
    out = out or sys.stdout  # looked up per call: tests swap sys.stdout
    if repeats < 1 or epochs < 1 or xor_steps < 0:
        raise ValueError(f"repeats and epochs must be >= 1 and xor_steps >= 0, got repeats="
                         f"{repeats}, epochs={epochs}, xor_steps={xor_steps}")
    if gemm_size < 1:
        raise ValueError(f"gemm_size must be >= 1, got {gemm_size}")
    if n_train is not None and n_train < 1:
        raise ValueError(f"n_train must be None (all rows) or >= 1, got {n_train}")
    sizes = [parse_size(s) for s in sizes]
    threads = cores()
    if peers and optional("torch") is not None:
        import torch

        torch.set_num_threads(threads)
    load_start = load_average()
    print(f"# fastmlp peer comparison: float32, batch {trainers.BATCH}, Adam lr "
          f"{trainers.LR:g}, {epochs} epochs per run, medians of {repeats} runs, "
          f"{threads} threads", file=out)
    impls = trainers.implementations(peers, out)
    for line in machine_lines(machine_info()):
        print(line, file=out)
    gemm_before = gemm_gflops(gemm_size)
    rows = []
    for s in sizes:
        rows += _epoch_rows(s, impls, epochs, repeats, n_train, out)
        if roofline and size_name(s) in ROOFLINE_TARGETS:
            rows.append(as_row(measure_roofline(s, repeats, n_train=n_train, out=out,
                                                settle=SETTLE)))
    if xor_steps:
        rows += _xor_rows(xor_steps, repeats, peers)
    if startup:
        rows += startup_rows(repeats)
    gemm_after = gemm_gflops(gemm_size)
    # Noise only ever slows the GEMM down, so the faster measurement is the better peak.
    peak = max(gemm_before, gemm_after)
    for row in rows:
        if "gflops" in row:
            row["efficiency"] = row["gflops"] / peak
    add_ratios(rows)
    print(f"# large GEMM ({gemm_size}^3 float32, NumPy BLAS): {gemm_before:.1f} GFLOP/s "
          f"before, {gemm_after:.1f} after; eff = GFLOP/s / {peak:.1f}", file=out)
    print(f"# load average (1, 5, 15 min): {load_start} at start, {load_average()} at end",
          file=out)
    print(format_table(rows), file=out)
    for line in verdicts(rows, baseline):
        print(line, file=out)
    return rows

