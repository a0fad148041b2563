"""The fused epoch against its own GEMMs alone, and where the rest of the epoch goes (issue 12).

    python benchmarks/roofline.py                          # 784-128-10 and 784-512-512-10
    python benchmarks/roofline.py --sizes 784-128-10 --repeats 9
    python benchmarks/roofline.py --threads 1             # BLAS and Numba on one thread
    python benchmarks/roofline.py --wait-quiet 600        # start in a quiet phase of the host

Everything runs in one process, interleaved, medians of --repeats (default 5); run it under
the team's benchmark lock. The measurement is :func:`fastmlp.bench.roofline.run_roofline`;
``compare_peers.py`` prints its R1/R2 rows too. ``--wait-quiet`` only chooses when to start
(:mod:`fastmlp.bench.quiet_host`), and prints what it saw first.
"""

import argparse
import contextlib
import sys

import fastmlp
from fastmlp.bench.quiet_host import add_wait_option, wait_if_asked
from fastmlp.bench.roofline import run_roofline


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["784-128-10", "784-512-512-10"],
                        help="networks (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs (default: 5)")
    parser.add_argument("--batch", type=int, default=128, help="rows per step (default: 128)")
    parser.add_argument("--n-train", type=int, default=None,
                        help="rows per epoch (default: all 60,000)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for BLAS and Numba, epoch and GEMMs alike (default: as "
                             "set; on a shared two-core host one thread gives steadier times)")
    add_wait_option(parser)
    args = parser.parse_args(argv)
    try:
        limit = (fastmlp.threads(args.threads) if args.threads is not None
                 else contextlib.nullcontext())
        with limit:
            wait_if_asked(args.wait_quiet)
            run_roofline(sizes=args.sizes, repeats=args.repeats, batch=args.batch,
                         n_train=args.n_train, out=sys.stdout)
    except ValueError as err:
        parser.error(str(err))


if __name__ == "__main__":
    main()
