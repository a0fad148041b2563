"""Where a cold start goes: Numba's compilations during a first ``fit`` with an empty cache.

    python benchmarks/cold_start.py              # the 15 functions that take longest
    python benchmarks/cold_start.py --top 40

A fresh process fits 784-128-10 (Adam, ReLU, softmax cross-entropy) with ``NUMBA_CACHE_DIR``
pointing at an empty directory and records Numba's compile events; per function it prints the
specialisations compiled and the seconds spent, with and without the callees compiled
meanwhile. ``compare_peers.py`` (T5) measures what a cold and a warm cache add.
"""

import argparse
import sys

from fastmlp.bench.startup import compile_profile


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15, help="functions listed (default 15)")
    args = parser.parse_args(argv)
    compile_profile(top=args.top, out=sys.stdout)


if __name__ == "__main__":
    main()
