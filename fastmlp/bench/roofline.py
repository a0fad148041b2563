"""The fused epoch against its own GEMMs (issue 12's roofline), with where the rest goes.

:func:`measure_roofline` times, in one process, medians of ``repeats``:

- the epoch: one ``fit`` on the Numba backend (Adam, float32, batch 128) of ``repeats + 1``
  epochs, each epoch's own duration as ``fit`` logs it (shuffle, the kernel's calls, the
  checks after the epoch; the first epoch, which sets the call pacing up, is left out);
- right after each epoch, from a callback, the same epoch's GEMMs alone: every forward
  product, weight gradient and input gradient below the first layer, same shapes and threads,
  preallocated outputs, through NumPy's ``np.dot`` (:mod:`~fastmlp.bench.epoch_pieces`). Each
  epoch and its GEMMs are a pair measured under a second apart, and the verdict is the median
  of the pairs' ratios: this host's speed changes in phases of a few seconds (two threads
  passing data between them run up to 1.4x slower, the team's epoch 1.7x, while either
  thread alone, or both working apart, run as fast as ever; measured with
  ``benchmarks/host_phases.py``), and a ratio of two times taken seconds apart mixed the
  phases;
- after the pairs, interleaved with a one-epoch ``fit`` (input checks included), the rest,
  piece by piece: the GEMMs as the fused kernel issues them (BLAS called with transpose
  flags) over the plain ones, the gather, bias + activation, the loss, the activation
  gradients, the optimizer; what none of them explains is calls, hand-offs and caches.

The verdicts R1/R2 hold the ratio epoch / GEMMs to 1.25 (784-128-10) and 1.15
(784-512-512-10) (:data:`fastmlp.bench.report.ROOFLINE_TARGETS`); a noisy run gets
"inconclusive" (:func:`fastmlp.bench.report.judge`). The table also gives the pairs whose
epoch and GEMMs both ran within 10 % of the fastest (the host's quiet phases) on their own:
a pair whose epoch and GEMMs fell in different phases is no measure of either.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import warnings

from .. import MLP, Adam
from ..callbacks import Callback
from ..training.health import DivergenceWarning
from ..training.team import team_size
from . import peers
from .epoch_pieces import epoch_operands, piece_runners
from .machine import load_average, machine_info, machine_lines
from .report import ROOFLINE_TARGETS, quiet_pairs, verdicts
from .sizes import parse_size, size_name

GEMM_GROUPS = ("forward", "weight", "input")
REST = ("gather", "bias + activation", "softmax cross-entropy", "activation grad + bias grad",
        "adam")


def _fit(model, X, y, epochs, batch, callbacks=None):
    with warnings.catch_warnings():
        # Timing runs on synthetic rows: whether they learn is beside the point.
        warnings.simplefilter("ignore", DivergenceWarning)
        model.fit(X, y, epochs=epochs, batch_size=batch, optimizer=Adam(1e-3), verbose=0,
                  callbacks=callbacks)


def _settled(fn, settle):
    """``fn``'s duration, after idling ``settle`` seconds.

    OpenBLAS's threads keep spinning for a while after a call, and two OpenBLAS builds live in
    this process (NumPy's, and SciPy's that Numba calls), so one piece's spinning threads would
    otherwise take the cores from the next (measured: a 12 ms set of products took 12-120 ms
    right after a ``fit``)."""
    gc.collect()
    time.sleep(settle)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class _Pairing(Callback):
    """After each epoch but the first: its logged duration, then the GEMMs alone. Nothing
    else runs between the epochs: the other pieces, run there too, lengthened the next epoch
    by 5-10 ms of 180 (measured)."""

    def __init__(self, runners, settle):
        self.runners, self.settle = runners, settle
        self.times = {"epoch": [], **{f"gemm {g}": [] for g in GEMM_GROUPS}}

    def on_epoch_end(self, model, epoch, logs):
        if epoch == 0:
            return
        self.times["epoch"].append(logs["seconds"])
        for g in GEMM_GROUPS:  # back to back: one BLAS, so nothing left spinning between them
            self.times[f"gemm {g}"].append(_settled(self.runners[f"gemm {g}"], self.settle
                                                    if g == GEMM_GROUPS[0] else 0.0))
        time.sleep(self.settle)  # before the next epoch, as before every piece


def _interleaved(fns, repeats, settle):
    """Per function, its time in each repeat; the order rotates every repeat."""
    names = list(fns)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(_settled(fns[name], settle))
    return times


def measure_roofline(size, repeats=5, batch=128, n_train=None, out=None, settle=0.25):
    """Time one size's epochs, each against its GEMMs alone; return the measured rows.

    Parameters
    ----------
    size : str or sequence of int
        Layer widths, e.g. ``"784-128-10"`` (ReLU hidden layers, softmax cross-entropy).
    repeats : int
        Pairs (epoch, its GEMMs), and runs of every other piece; figures are medians.
    batch : int
    n_train : int or None
        Rows of the epoch (None: all 60,000 of Fashion-MNIST or its synthetic stand-in).
    out : file-like, optional
        Where a fallback to synthetic data is announced.
    settle : float
        Seconds of idling before each timing, so BLAS threads left spinning by the previous
        piece have gone to sleep.

    Returns
    -------
    dict
        ``size``, ``rows``, ``steps``, ``source``, ``times`` (seconds per repeat for every
        piece, plus ``epoch``, ``gemms`` and ``fit 1``: a one-epoch ``fit``; all but the
        epochs and GEMMs timed after the pairs), ``median``, ``ratio_runs`` (epoch / GEMMs
        per pair), ``ratio`` (their median) and ``quiet`` (the pairs whose epoch and GEMMs
        each took at most 1.1x the fastest epoch's and GEMMs').
    """
    if repeats < 1 or batch < 1 or settle < 0:
        raise ValueError(f"repeats and batch must be >= 1 and settle >= 0, got repeats="
                         f"{repeats}, batch={batch}, settle={settle}")
    sizes = parse_size(size)
    X, y, _, _, source = peers.dataset(sizes, n_train, out or sys.stdout)
    n = len(X)
    model = MLP(list(sizes), seed=0, backend="numba")
    runners = piece_runners(epoch_operands(sizes, n, batch))
    _fit(model, X[:batch * 2], y[:batch * 2], 1, batch)  # compile, or load, the kernels
    for fn in runners.values():
        fn()  # compile the pieces and fault their buffers in
    pairing = _Pairing(runners, settle)
    time.sleep(settle)
    _fit(model, X, y, repeats + 1, batch, [pairing])
    others = {name: fn for name, fn in runners.items() if not name.startswith("gemm ")}
    others["fit 1"] = lambda: _fit(model, X, y, 1, batch)
    times = {**pairing.times, **_interleaved(others, repeats, settle)}
    times["gemms"] = [sum(parts) for parts in zip(*(times[f"gemm {g}"] for g in GEMM_GROUPS))]
    median = {name: statistics.median(t) for name, t in times.items()}
    ratio_runs = [e / g for e, g in zip(times["epoch"], times["gemms"])]
    step_work = batch * sum(a * b for a, b in zip(sizes, sizes[1:]))
    return {"size": size_name(sizes), "rows": n, "source": source, "batch": batch,
            "team": team_size(step_work),
            "steps": -(-n // batch), "times": times, "median": median,
            "ratio": statistics.median(ratio_runs), "ratio_runs": ratio_runs,
            "quiet": quiet_pairs(times["epoch"], times["gemms"])}


def _spread(runs):
    return f"{(max(runs) - min(runs)) / statistics.median(runs):.0%}" if len(runs) > 1 else "-"


def format_roofline(result):
    """The table of one :func:`measure_roofline` result, as text."""
    med, times, gemms = result["median"], result["times"], result["median"]["gemms"]

    def line(label, name=None, seconds=None, ratio=True):
        s = med[name] if seconds is None else seconds
        cells = f"{s * 1e3:9.1f}" + (f"{s / gemms:9.2f}" if ratio else " " * 9)
        spread = _spread(times[name]) if name else ""
        return f"{label:58s}{cells}  {spread}"

    numba_gemms = sum(med[f"numba {g}"] for g in GEMM_GROUPS)
    rest = med["epoch"] - gemms
    pieces = {"GEMMs as the kernel issues them (BLAS called with transpose flags), "
              "over the above": numba_gemms - gemms}
    pieces.update({name if name != "adam" else "Adam, one pass over every parameter":
                   med[name] for name in REST})
    lines = [f"{result['size']}: {result['source']}, {result['rows']} rows, "
             f"{result['steps']} steps of up to {result['batch']}",
             f"{'':58s}{'ms':>9s}{'x GEMMs':>9s}  spread",
             line("epoch: its duration as fit logs it", "epoch"),
             line("GEMMs alone (NumPy's np.dot, preallocated outputs)", "gemms")]
    lines += [line(f"  {g} products" if g != "input" else "  input gradients (below layer 1)",
                   f"gemm {g}") for g in GEMM_GROUPS]
    lines.append(line("the rest: epoch - GEMMs", seconds=rest))
    team = result.get("team", 1)
    if team > 1:
        lines.append(f"  (the kernel ran on a team of {team} threads, each a share of the "
                     f"pieces below, timed here on one)")
    for label, seconds in pieces.items():
        lines.append(line(f"  {label[:56]}", seconds=seconds, ratio=False))
    lines.append(line("  unexplained: calls, barriers, caches" + (", the team's sharing"
                                                                   if team > 1 else ""),
                      seconds=rest - sum(pieces.values()), ratio=False))
    lines.append(line("fit(epochs=1): one call, its input checks included", "fit 1"))
    ratios, quiet = result["ratio_runs"], result["quiet"]
    lines.append(f"epoch / GEMMs, pair by pair: median {result['ratio']:.3f}, spread "
                 f"{max(ratios) - min(ratios):.3f} over {len(ratios)} pairs")
    if not quiet:
        lines.append("  no pair had both its epoch and its GEMMs within 1.1x of the fastest "
                     "(the host changed phase within every pair)")
    elif len(quiet) < len(ratios):
        in_quiet = [ratios[r] for r in quiet]
        others = [r for i, r in enumerate(ratios) if i not in quiet]
        lines.append(f"  the {len(quiet)} pairs whose epoch and GEMMs both took <= 1.1x the "
                     f"fastest: median {statistics.median(in_quiet):.3f}, spread "
                     f"{max(in_quiet) - min(in_quiet):.3f}; the {len(ratios) - len(quiet)} "
                     f"others (a slower phase of the host in either): median "
                     f"{statistics.median(others):.3f}")
    return "\n".join(lines)


def as_row(result):
    """A :func:`measure_roofline` result as a row of the peer comparison's table.

    The row's time is the epoch's; ``x_gemms`` is epoch / GEMMs alone (``x_gemms_runs`` per
    repeat), which :func:`fastmlp.bench.report.verdicts` holds to the R1/R2 bounds.
    """
    target, _ = ROOFLINE_TARGETS.get(result["size"], ("roofline", None))
    med = result["median"]
    return {"target": target, "size": result["size"], "impl": "fastmlp numba, own GEMMs",
            "unit": "s/epoch", "seconds": med["epoch"], "runs": result["times"]["epoch"],
            "x_gemms": result["ratio"], "x_gemms_runs": result["ratio_runs"],
            "x_gemms_paired": statistics.median(result["ratio_runs"]),
            "data": f"GEMMs alone {med['gemms'] * 1e3:.1f} ms, epoch / GEMMs "
                    f"{result['ratio']:.3f}; {result['source']} n={result['rows']}"}


def roofline_verdict(result):
    """The R1/R2 verdict line for a result, or None for a size without a target."""
    lines = verdicts([as_row(result)])
    return lines[0] if lines else None


def run_roofline(sizes=("784-128-10", "784-512-512-10"), repeats=5, batch=128, n_train=None,
                 out=None, settle=0.25):
    """Measure and print the roofline table of each size, with the machine and verdicts.

    Parameters
    ----------
    sizes : sequence of str or sequence of int
    repeats : int
    batch : int
    n_train : int or None
        Rows per epoch (None: all).
    out : file-like, optional
    settle : float
        Seconds of idling before each timing (see :func:`measure_roofline`).

    Returns
    -------
    list of dict
        One :func:`measure_roofline` result per size.
    """
    out = out or sys.stdout  # looked up per call: tests swap sys.stdout
    sizes = [parse_size(s) for s in sizes]
    load_start = load_average()
    print(f"# fastmlp roofline: the fused epoch against its own GEMMs; float32, Adam, ReLU, "
          f"medians of {repeats}, interleaved, {settle:g} s idle before each timing", file=out)
    for line in machine_lines(machine_info()):
        print(line, file=out)
    results = [measure_roofline(s, repeats, batch, n_train, out, settle) for s in sizes]
    print(f"# load average (1, 5, 15 min): {load_start} at start, {load_average()} at end",
          file=out)
    for result in results:
        print(format_roofline(result), file=out)
    for result in results:
        verdict = roofline_verdict(result)
        if verdict:
            print(verdict, file=out)
    return results
