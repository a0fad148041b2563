"""The optimizer's pass: backups copied every step, or two alternating sets (issue 12).

    python benchmarks/update_pass.py                # 784-128-10 and 784-512-512-10 sizes
    python benchmarks/update_pass.py --repeats 9

A non-finite loss puts back the parameters and Adam moments of the step before, so the fused
kernel keeps them: it copies all three vectors into their backups in the update's pass (read
4 vectors, write 6). Reading one set and writing the other, alternating from step to step,
writes 3; it was measured here (0.83x the copy's time for 784-512-512-10) and in the kernel,
where choosing the arrays per step lengthened the first compilation by 0.3 s (the cold start
of issue 12), so the kernel kept the copy. This times one epoch's worth of updates (469
steps) of both, same formulas as the kernel's Adam, in one process, interleaved, medians of
--repeats; and, as the floor, the same update keeping nothing. Run it under the team's
benchmark lock.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numba
import numpy as np

from fastmlp.bench.epoch_pieces import adam_keeping_backups
from fastmlp.bench.machine import load_average, machine_info, machine_lines

#: Parameters of 784-128-10 and 784-512-512-10.
SIZES = {"784-128-10": 101_770, "784-512-512-10": 669_706}
STEPS = 469  # 60,000 rows in batches of 128

_B1, _B2, _EPS = np.float32(0.9), np.float32(0.999), np.float32(1e-8)


@numba.njit(error_model="numpy")
def _adam(theta, grad, m, v, new_theta, new_m, new_v, step):
    # The kernel's Adam element, from (theta, m, v) into (new_theta, new_m, new_v).
    bc2 = np.float32(math.sqrt(1.0 - 0.999 ** step))
    size = np.float32(1e-3 / (1.0 - 0.9 ** step))
    for i in range(theta.shape[0]):
        g = grad[i]
        mi = _B1 * m[i] + (np.float32(1) - _B1) * g
        vi = _B2 * v[i] + (np.float32(1) - _B2) * g * g
        new_m[i], new_v[i] = mi, vi
        new_theta[i] = theta[i] - size * mi / (math.sqrt(vi) / bc2 + _EPS)


@numba.njit(error_model="numpy")
def copied_backups(theta, grad, m, v, backup, m_backup, v_backup, steps):
    """The kernel's: copy into the backups and update in place, in one pass per step."""
    for step in range(1, steps + 1):
        adam_keeping_backups(theta, grad, m, v, backup, m_backup, v_backup, step)


@numba.njit(error_model="numpy")
def alternating_sets(theta, grad, m, v, backup, m_backup, v_backup, steps):
    """Now: read one set, write the other."""
    for step in range(1, steps + 1):
        if step % 2 == 1:
            _adam(theta, grad, m, v, backup, m_backup, v_backup, step)
        else:
            _adam(backup, grad, m_backup, v_backup, theta, m, v, step)


@numba.njit(error_model="numpy")
def no_backups(theta, grad, m, v, backup, m_backup, v_backup, steps):
    """The floor: update in place, keep nothing.

    Its own loop, not ``_adam(theta, grad, m, v, theta, m, v, step)``: with the same arrays
    as input and output the loop does not vectorise (8x slower, measured)."""
    for step in range(1, steps + 1):
        bc2 = np.float32(math.sqrt(1.0 - 0.999 ** step))
        size = np.float32(1e-3 / (1.0 - 0.9 ** step))
        for i in range(theta.shape[0]):
            g = grad[i]
            mi = _B1 * m[i] + (np.float32(1) - _B1) * g
            vi = _B2 * v[i] + (np.float32(1) - _B2) * g * g
            m[i], v[i] = mi, vi
            theta[i] = theta[i] - size * mi / (math.sqrt(vi) / bc2 + _EPS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved runs (default: 7)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    load_start = load_average()
    print(f"# fastmlp update pass: Adam, float32, {STEPS} steps, medians of {args.repeats}, "
          f"interleaved, one thread (Numba, serial)")
    for line in machine_lines(machine_info()):
        print(line)
    ways = (copied_backups, alternating_sets, no_backups)
    rows = []
    for name, n in SIZES.items():
        rng = np.random.default_rng(0)
        arrays = [rng.standard_normal(n).astype(np.float32) * np.float32(0.01)
                  for _ in range(7)]
        for k in (3, 6):  # second moments are not negative
            np.abs(arrays[k], out=arrays[k])
        # Like for like: after an even number of steps every way holds the same parameters
        # and moments in theta, m and v (this also compiles them).
        ends = []
        for way in ways:
            copies = [a.copy() for a in arrays]
            way(*copies, 4)
            ends.append(copies[:4])
        for end in ends[1:]:
            for got, want in zip(end, ends[0]):
                np.testing.assert_array_equal(got, want)
        times = {way.__name__: [] for way in ways}
        for _ in range(args.repeats):
            for way in ways:
                start = time.perf_counter()
                way(*arrays, STEPS)
                times[way.__name__].append(time.perf_counter() - start)
        rows.append((name, n, {k: statistics.median(v) * 1e3 for k, v in times.items()}))
    print(f"# load average (1, 5, 15 min): {load_start} at start, {load_average()} at end")
    print(f"{'network':<16}{'params':>10}" + "".join(f"{w.__name__ + ' ms':>22}" for w in ways)
          + f"{'alternating / copied':>22}")
    for name, n, ms in rows:
        ratio = ms["alternating_sets"] / ms["copied_backups"]
        print(f"{name:<16}{n:>10,}" + "".join(f"{ms[w.__name__]:>22.1f}" for w in ways)
              + f"{ratio:>22.3f}")


if __name__ == "__main__":
    main()
