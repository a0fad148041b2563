"""The peer comparison's table and its verdicts against the targets of ``docs/benchmarks.md``.

A row is a dict (see :func:`fastmlp.bench.run_peer_comparison`); :func:`add_ratios` sets each
row against the same size's PyTorch, scikit-learn and NumPy-loop rows, :func:`format_table`
prints the rows and :func:`verdicts` judges them.
"""

from __future__ import annotations

import statistics

#: The fastmlp (numba) / PyTorch epoch ratios on ``main`` when issue 12 opened (medians of 3,
#: ``benchmarks/compare_peers.py --repeats 3``): T1 and T2 ask for no regression against them.
#: A run on the same machine (``baseline=`` rows) replaces them.
BASELINE_X_TORCH = {"784-128-10": 0.60, "784-512-512-10": 0.83}

#: Bounds on a fused epoch over the same epoch's GEMMs alone (issue 12), by size.
ROOFLINE_TARGETS = {"784-128-10": ("R1", 1.25), "784-512-512-10": ("R2", 1.15)}

#: What each target asks, for the summary printed under the table.
TARGETS = {
    "T1": "784-128-10 epoch: numba / torch no regression (<= the baseline, 0.60 unless given); "
          "accuracy within 1 point of torch",
    "T2": "784-512-512-10 epoch: numba / torch no regression (<= the baseline, 0.83 unless "
          "given)",
    "T3": "XOR 2-4-2 full-batch SGD step: numba <= 1/50 of torch",
    "T4": "backend='numpy' epoch <= 1.3 x a hand-written NumPy loop",
    "T5": "first fit in a fresh process: a warm Numba cache adds <= 2 s, a cold one <= 4 s more",
    "T6": "training GFLOP/s / large-GEMM GFLOP/s (reported)",
    "R1": "784-128-10 fused epoch / the same epoch's GEMMs alone <= 1.25",
    "R2": "784-512-512-10 fused epoch / the same epoch's GEMMs alone <= 1.15",
}


def judge(value, bound, runs, at_most=True):
    """A verdict that a noisy measurement can support.

    ``"met"`` or ``"NOT met"`` only when the runs' spread (max - min) is no larger than the
    margin ``|value - bound|``: a run-to-run spread wider than the distance to the bound could
    put the value on either side of it, and the verdict is ``"inconclusive"``. So is a single
    run, whose spread is unknown.

    Parameters
    ----------
    value : float
        The measured figure (a ratio of medians, or seconds).
    bound : float
    runs : sequence of float
        The same figure per repeat, in the same units as ``value``.
    at_most : bool
        True: met when ``value <= bound``; False: met when ``value >= bound``.

    Returns
    -------
    str
        ``"met"``, ``"NOT met"`` or ``"inconclusive (...)"`` naming the spread and margin.
    """
    runs = list(runs)
    if len(runs) < 2:
        return "inconclusive (one run: its spread is unknown)"
    spread, margin = max(runs) - min(runs), abs(value - bound)
    if spread > margin:
        return f"inconclusive (spread {spread:.3g} > margin {margin:.3g})"
    return "met" if (value <= bound) == at_most else "NOT met"


def quiet_pairs(*series, within=1.1):
    """Indices of the pairs (or tuples) measured in one of the host's quiet phases: every
    series' value within ``within`` times that series' fastest. A pair one of whose
    measurements fell in a slow phase measures neither phase.

    Parameters
    ----------
    *series : sequence of float, each shape (n_pairs,)
        Seconds per pair, one sequence per thing timed.
    within : float

    Returns
    -------
    list of int
    """
    fastest = [min(values) for values in series]
    return [r for r, values in enumerate(zip(*series))
            if all(v <= within * f for v, f in zip(values, fastest))]


def add_ratios(rows):
    """Set each row against the same target and size's PyTorch, scikit-learn and loop rows.

    For each peer present, adds ``x_torch`` / ``x_sklearn`` / ``x_loop`` (ratio of the
    medians), ``..._best`` (of the fastest runs), ``..._runs`` (per repeat) and
    ``..._paired`` (their median) to the row, in place.

    Parameters
    ----------
    rows : list of dict
        Rows with ``target``, ``size``, ``impl``, ``seconds`` and ``runs``.
    """
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
                row[f"{key}_runs"] = [a / b for a, b in zip(row["runs"], ref["runs"])]
                row[f"{key}_paired"] = statistics.median(row[f"{key}_runs"])


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


def _find(rows, target, impl, size=None):
    return next((r for r in rows if r["target"] == target and r["impl"] == impl
                 and (size is None or r["size"] == size)), None)


def _ratio_line(label, row, key, bound, what):
    """The verdict on a ratio of medians, with the per-repeat ratios as its spread."""
    value = row[key]
    verdict = judge(value, bound, row.get(key + "_runs", [value]))
    more = "".join(f", {name} {row[key + suffix]:.3f}" for suffix, name in
                   (("_best", "best runs"), ("_paired", "per-repeat median"))
                   if key + suffix in row)
    return f"{label}: {what} = {value:.3f} (<= {bound:g}) {verdict}{more}"


def _baseline_x_torch(baseline, target, size):
    row = _find(baseline or [], target, "fastmlp numba", size)
    if row is not None and "x_torch" in row:
        return row["x_torch"], "baseline run"
    if size in BASELINE_X_TORCH:
        return BASELINE_X_TORCH[size], "issue 12 baseline"
    return None, None


def _epoch_lines(rows, baseline):
    lines = []
    for target in ("T1", "T2"):
        row = _find(rows, target, "fastmlp numba")
        if row is None:
            continue
        bound, source = _baseline_x_torch(baseline, target, row["size"])
        if "x_torch" in row and bound is not None:
            lines.append(_ratio_line(target, row, "x_torch", bound,
                                     f"numba / torch vs the {source}"))
        if "x_sklearn" in row:  # reported: scikit-learn has no bound of its own any more
            lines.append(f"{target}: numba / sklearn = {row['x_sklearn']:.3f} (reported), "
                         f"per-repeat median {row['x_sklearn_paired']:.3f}")
        torch_row = _find(rows, target, "pytorch")
        if target == "T1" and torch_row is not None:
            # Being more than a point better than PyTorch is no failure: only falling behind is.
            gap = (row["accuracy"] - torch_row["accuracy"]) * 100
            gaps = [(a - b) * 100 for a, b in zip(row.get("accuracies", []),
                                                  torch_row.get("accuracies", []))]
            lines.append(f"T1: accuracy numba - torch = {gap:+.2f} points (>= -1) "
                         f"{judge(gap, -1.0, gaps or [gap], at_most=False)}")
    return lines


def _startup_lines(rows):
    lines = []
    warm, cold = (_find(rows, "T5", f"fastmlp numba, {kind} cache") for kind in ("warm", "cold"))
    if warm is not None:
        lines.append(f"T5: warm start-up adds {warm['seconds']:.3f} s (<= 2) "
                     f"{judge(warm['seconds'], 2.0, warm['runs'])}")
    if warm is not None and cold is not None:
        extra = [c - w for c, w in zip(cold["runs"], warm["runs"])]
        value = statistics.median(extra)
        lines.append(f"T5: a cold cache adds {value:.3f} s more than a warm one (<= 4) "
                     f"{judge(value, 4.0, extra)}")
    return lines


def verdicts(rows, baseline=None):
    """One line per target: the measured figure against its bound, and the verdict.

    Every verdict goes through :func:`judge`: runs whose spread exceeds the distance to the
    bound give "inconclusive", never "met".

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`fastmlp.bench.run_peer_comparison`, after :func:`add_ratios`.
    baseline : list of dict, optional
        Rows of an earlier run on the same machine (``compare_peers.py --json``): its
        numba / torch ratios become the T1 / T2 bounds instead of :data:`BASELINE_X_TORCH`.

    Returns
    -------
    list of str
    """
    lines = _epoch_lines(rows, baseline)
    t3 = _find(rows, "T3", "fastmlp numba")
    if t3 is not None and "x_torch" in t3:
        lines.append(_ratio_line("T3", t3, "x_torch", 1 / 50, "numba / torch per step"))
    for row in rows:
        if row["impl"] == "fastmlp numpy" and "x_loop" in row and row["target"] != "T3":
            lines.append(_ratio_line("T4", row, "x_loop", 1.3,
                                     f"numpy backend / loop, {row['size']}"))
    lines += _startup_lines(rows)
    for row in rows:
        if row["target"] in ("R1", "R2") and "x_gemms" in row:
            _, bound = ROOFLINE_TARGETS[row["size"]]
            lines.append(_ratio_line(row["target"], row, "x_gemms", bound,
                                     f"{row['size']} epoch / its GEMMs alone"))
    for row in rows:
        if row["impl"] == "fastmlp numba" and "efficiency" in row:
            lines.append(f"T6: {row['size']}: {row['gflops']:.1f} GFLOP/s = "
                         f"{row['efficiency']:.2f} of the large GEMM")
    return lines
