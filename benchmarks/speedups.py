"""Numba over NumPy speed-ups from a pytest-benchmark JSON file, one row per case.

    pytest benchmarks --benchmark-json=kernels.json
    python benchmarks/speedups.py kernels.json

pytest-benchmark's own tables put the backends side by side; this folds each pair into one
line (medians), which is the table docs/benchmarks.md shows.
"""

import argparse
import json
from collections import defaultdict


def speedups(path):
    """``[(case, numpy median s, numba median s)]`` for every case measured on both backends."""
    with open(path) as f:
        benchmarks = json.load(f)["benchmarks"]
    pairs = defaultdict(dict)
    for bench in benchmarks:
        params = dict(bench["params"] or {})
        backend = params.pop("backend", None)
        if backend is None:
            continue
        case = bench["name"].split("[")[0].removeprefix("test_") + " " + " ".join(
            f"{k}={v}" for k, v in params.items())
        pairs[case][backend] = bench["stats"]["median"]
    return [(case, times["numpy"], times["numba"]) for case, times in pairs.items()
            if {"numpy", "numba"} <= times.keys()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="a file written by --benchmark-json or --benchmark-autosave")
    args = parser.parse_args(argv)
    rows = speedups(args.json)
    width = max(len(case) for case, _, _ in rows)
    print(f"{'case':{width}s}  {'numpy us':>10s}  {'numba us':>10s}  {'speed-up':>8s}")
    for case, numpy_s, numba_s in rows:
        print(f"{case:{width}s}  {numpy_s * 1e6:10.2f}  {numba_s * 1e6:10.2f}  "
              f"{numpy_s / numba_s:7.2f}x")


if __name__ == "__main__":
    main()
