"""Where a cold start goes, and what it adds: Numba's compilations during a first ``fit``.

    python benchmarks/cold_start.py              # the 15 functions that take longest
    python benchmarks/cold_start.py --top 40
    python benchmarks/cold_start.py --checkouts ../before . --repeats 3

A fresh process fits 784-128-10 (Adam, ReLU, softmax cross-entropy) with ``NUMBA_CACHE_DIR``
pointing at an empty directory and records Numba's compile events; per function it prints the
specialisations compiled and the seconds spent, with and without the callees compiled
meanwhile. ``compare_peers.py`` (T5) measures what a cold and a warm cache add.

``--checkouts`` instead measures T5 for each of several checkouts of fastmlp (e.g. before and
after a change), interleaved, ``--repeats`` cold/warm pairs each in a fresh cache: what start-up
adds with a cold cache, with a warm one, and their difference (issue 12 asks <= 4 s).
"""

import argparse
import os
import statistics
import sys
import tempfile

from fastmlp.bench.startup import compile_profile, startup_once


def compare_checkouts(paths, repeats, out=sys.stdout):
    """Print cold and warm start-up of each checkout in ``paths``, interleaved."""
    runs = {path: {"cold": [], "warm": []} for path in paths}
    home = os.getcwd()
    try:
        for r in range(repeats):
            for path in (paths if r % 2 == 0 else paths[::-1]):
                # The fresh processes import fastmlp from the checkout: ``python -c`` puts the
                # working directory first on sys.path, then PYTHONPATH.
                os.chdir(path)
                os.environ["PYTHONPATH"] = os.path.abspath(path)
                with tempfile.TemporaryDirectory(prefix="fastmlp-numba-cache-") as cache_dir:
                    runs[path]["cold"].append(startup_once(cache_dir)[0])
                    runs[path]["warm"].append(startup_once(cache_dir)[0])
    finally:
        os.chdir(home)
    for path, got in runs.items():
        extra = [c - w for c, w in zip(got["cold"], got["warm"])]
        print(f"{path}: cold adds {statistics.median(got['cold']):.2f} s, warm adds "
              f"{statistics.median(got['warm']):.2f} s, cold - warm "
              f"{statistics.median(extra):.2f} s (runs {' '.join(f'{x:.2f}' for x in extra)})",
              file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15, help="functions listed (default 15)")
    parser.add_argument("--checkouts", nargs="+", metavar="DIR",
                        help="measure T5 for these fastmlp checkouts instead, interleaved")
    parser.add_argument("--repeats", type=int, default=3, help="cold/warm pairs per checkout")
    args = parser.parse_args(argv)
    if args.checkouts:
        compare_checkouts(args.checkouts, args.repeats)
    else:
        compile_profile(top=args.top, out=sys.stdout)


if __name__ == "__main__":
    main()
