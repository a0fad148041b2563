"""``fastmlp gradcheck`` with every knob: one gradient table per step h.

Run as ``python benchmarks/measure_numgrad.py [--eps 1e-5 1e-2] [--batch 64] [--subset 1000]
[--repeats 3] [--sizes 2-4-2 784-128-10]``. The measurement itself is
:func:`fastmlp.bench.gradient_timing.gradient_table`; ``fastmlp gradcheck`` runs it with the
defaults.
A second, larger h shows which columns depend on the step: the error columns do (the rounding
floor falls like 1/h, truncation and kinks grow), the times do not.
"""

from __future__ import annotations

import argparse

from fastmlp.bench.gradient_timing import SIZES, gradient_table
from fastmlp.bench.sizes import size_name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eps", type=float, nargs="+", default=[1e-5])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--subset", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", default=[size_name(s) for s in SIZES])
    args = parser.parse_args(argv)
    for i, eps in enumerate(args.eps):
        if i:
            print()
        gradient_table(sizes=args.sizes, batch=args.batch, repeats=args.repeats,
                       subset=args.subset, eps=eps)


if __name__ == "__main__":
    main()
