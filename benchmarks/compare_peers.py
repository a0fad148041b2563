"""Side-by-side comparison with PyTorch and scikit-learn: targets T1-T6, R1-R2 in one table.

    python benchmarks/compare_peers.py                      # the full run (about 10 minutes)
    python benchmarks/compare_peers.py --n-train 5000 --epochs 1 --no-startup   # a quick look
    python benchmarks/compare_peers.py --json results.json  # also keep every number
    python benchmarks/compare_peers.py --baseline before.json   # no regression against it
    python benchmarks/compare_peers.py --wait-quiet 600     # start in a quiet phase of the host

The logic lives in :func:`fastmlp.bench.run_peer_comparison` (``fastmlp bench`` calls it
too); this script only parses the command line.
"""

import argparse
import json
import sys

from fastmlp._atomic import atomic_write
from fastmlp.bench import run_peer_comparison
from fastmlp.bench.quiet_host import add_wait_option, wait_if_asked


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["784-128-10", "784-512-512-10"],
                        help="networks for the epoch comparison (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (default: 5)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per implementation")
    parser.add_argument("--n-train", type=int, default=None,
                        help="train on the first N rows only (quick checks)")
    parser.add_argument("--xor-steps", type=int, default=20_000, help="SGD steps per XOR run")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTorch and scikit-learn")
    parser.add_argument("--no-startup", action="store_true", help="skip T5 (fresh processes)")
    parser.add_argument("--no-roofline", action="store_true",
                        help="skip R1/R2 (the epoch against its own GEMMs)")
    parser.add_argument("--gemm-size", type=int, default=2048,
                        help="side of the reference float32 GEMM (default: %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--baseline", metavar="PATH",
                        help="rows of an earlier run (--json): T1/T2 ask for no regression "
                             "of numba / torch against it")
    add_wait_option(parser)
    args = parser.parse_args(argv)
    baseline = None
    if args.baseline:
        try:
            with open(args.baseline) as f:
                baseline = json.load(f)
        except (OSError, ValueError) as err:
            parser.error(f"--baseline {args.baseline}: cannot read a results file ({err}); "
                         f"pass a file written by --json")
        if not isinstance(baseline, list) or not all(isinstance(r, dict) for r in baseline):
            parser.error(f"--baseline {args.baseline}: not a results file (a JSON list of "
                         f"rows); pass a file written by --json")
    wait_if_asked(args.wait_quiet)
    rows = run_peer_comparison(sizes=args.sizes, epochs=args.epochs, repeats=args.repeats,
                               peers=not args.no_peers, out=sys.stdout, n_train=args.n_train,
                               xor_steps=args.xor_steps, startup=not args.no_startup,
                               baseline=baseline, gemm_size=args.gemm_size,
                               roofline=not args.no_roofline)
    if args.json:
        # Atomic: an interrupted run never leaves a truncated JSON behind.
        with atomic_write(args.json, "results file") as f:
            f.write(json.dumps(rows, indent=1).encode())


if __name__ == "__main__":
    main()
