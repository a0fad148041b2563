"""A team sharing wide layers by columns against sharing every layer by rows, epoch by epoch.

    python benchmarks/column_shares.py                       # 784-512-512-10, 20 pairs
    python benchmarks/column_shares.py --size 784-256-128-10 --columns 1,0,0 --pairs 12

One process trains two copies of a network on Fashion-MNIST (batch 128, Adam, float32), one
epoch at a time, alternating which goes first: one with its layers shared as the team's rule
chooses (:func:`fastmlp.training.team.shared_by_columns`) or as ``--columns`` says, the other
with every layer shared by rows. Paired epochs run seconds apart, in the same phase of the
host (docs/benchmarks.md: a shared two-core host has quiet and slow phases), and each pair's
ratio is printed, then the medians of the quiet pairs (both epochs within 1.1x of the
fastest of their kind) and the others. Run it under the team's benchmark lock.
"""

from __future__ import annotations

import argparse
import statistics
import warnings

import numpy as np

import fastmlp
import fastmlp.training.fused as fused
from fastmlp import MLP, Adam
from fastmlp.bench.machine import machine_info, machine_lines
from fastmlp.bench.report import quiet_pairs
from fastmlp.bench.sizes import parse_size


def _fixed(flags):
    def choose(sizes, batch_size):
        return np.array(flags, dtype=np.int64)
    return choose


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="784-512-512-10", help="network (default: %(default)s)")
    parser.add_argument("--pairs", type=int, default=20, help="paired epochs (default: 20)")
    parser.add_argument("--columns", default=None,
                        help="per layer 1 (columns) or 0 (rows), comma-separated (default: the "
                             "team's rule)")
    args = parser.parse_args(argv)
    sizes = parse_size(args.size)
    rule = fused.shared_by_columns
    chosen = rule(sizes, 128)
    if args.columns is not None:
        chosen = np.array([int(flag) for flag in args.columns.split(",")], dtype=np.int64)
        if len(chosen) != len(sizes) - 1 or set(chosen.tolist()) - {0, 1}:
            parser.error(f"--columns needs {len(sizes) - 1} flags of 0 or 1, got "
                         f"{args.columns!r}")
    ways = {"columns": _fixed(chosen), "rows": _fixed(np.zeros(len(sizes) - 1))}
    warnings.simplefilter("ignore")
    (X, y), _ = fastmlp.load_fashion_mnist(download=False, progress=False)
    X = X.reshape(len(X), -1)
    models = {name: MLP(sizes, seed=0) for name in ways}
    optimizers = {name: Adam(1e-3) for name in ways}
    seconds = {name: [] for name in ways}
    for line in machine_lines(machine_info()):
        print(line)
    print(f"{args.size}: layers by columns {chosen.tolist()} against all by rows, "
          f"{args.pairs} pairs of epochs (ms)")
    try:
        for pair in range(args.pairs + 1):  # the first pair compiles and warms up
            order = list(ways) if pair % 2 == 0 else list(ways)[::-1]
            for name in order:
                fused.shared_by_columns = ways[name]
                history = models[name].fit(X, y, epochs=1, batch_size=128,
                                           optimizer=optimizers[name], verbose=0)
                if pair > 0:
                    seconds[name].append(1000 * history.history["seconds"][-1])
            if pair > 0:
                a, b = seconds["columns"][-1], seconds["rows"][-1]
                print(f"  pair {pair:2d}: columns {a:7.1f}  rows {b:7.1f}  ratio {a / b:.3f}")
    finally:
        fused.shared_by_columns = rule
    ratios = [a / b for a, b in zip(seconds["columns"], seconds["rows"])]
    calm = quiet_pairs(seconds["columns"], seconds["rows"])
    quiet = [ratios[r] for r in calm]
    slow = [ratio for r, ratio in enumerate(ratios) if r not in calm]
    print(f"columns / rows, pair by pair: median {statistics.median(ratios):.3f} over "
          f"{len(ratios)} pairs")
    for label, group in (("quiet", quiet), ("slower", slow)):
        if group:
            print(f"  {len(group)} {label} pairs: median {statistics.median(group):.3f}, "
                  f"{min(group):.3f}-{max(group):.3f}")


if __name__ == "__main__":
    main()
