"""Waiting for a quiet phase of a shared host before a benchmark starts.

On a shared virtual machine the speed of memory and of two threads working together changes
in phases of seconds to minutes (``benchmarks/host_phases.py``); a benchmark whose verdict
needs all its repeats within a margin of each other is inconclusive whenever a phase changes
during it. :func:`wait_for_quiet` only chooses when to start: it runs a short probe (rows
gathered from an array larger than the caches, each batch multiplied by a weight matrix, as
an epoch's first layer does) about once a second, and returns once the last few probes all
took within ``within`` of the fastest seen. The benchmark that follows measures and judges
exactly as it would have at once; the line returned says how long it waited and whether the
host looked quiet, for the benchmark's report.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

#: The probe: batches of 128 rows gathered from 20,000 rows of 784 float32s (63 MB, more
#: than the 32 MiB of L3 here) and multiplied by a (784, 128) matrix; about 40 ms here.
PROBE_ROWS, PROBE_FEATURES, PROBE_UNITS, PROBE_BATCH = 20_000, 784, 128, 128


def gather_and_multiply_probe(seed=0):
    """A callable returning the seconds of one pass of the probe (see :data:`PROBE_ROWS`)."""
    rng = np.random.default_rng(seed)
    X = rng.random((PROBE_ROWS, PROBE_FEATURES), dtype=np.float32)
    W = rng.random((PROBE_FEATURES, PROBE_UNITS), dtype=np.float32)
    order = rng.permutation(PROBE_ROWS)
    batch = np.empty((PROBE_BATCH, PROBE_FEATURES), dtype=np.float32)
    out = np.empty((PROBE_BATCH, PROBE_UNITS), dtype=np.float32)

    def probe():
        start = time.perf_counter()
        for begin in range(0, PROBE_ROWS - PROBE_BATCH + 1, PROBE_BATCH):
            np.take(X, order[begin:begin + PROBE_BATCH], axis=0, out=batch)
            np.dot(batch, W, out=out)
        return time.perf_counter() - start

    return probe


def wait_for_quiet(timeout, *, within=1.06, streak=3, learn=20.0, pause=1.0, probe=None,
                   clock=time.monotonic, sleep=time.sleep):
    """Wait, at most ``timeout`` seconds, until the last ``streak`` probes each took at most
    ``within`` times the fastest probe so far, probing for at least ``learn`` seconds first
    (the fastest seen is the only reference: a host slow all along looks quiet to it).

    Parameters
    ----------
    timeout : float
        Seconds after which to give up waiting (the caller then starts all the same).
    within : float
        How much slower than the fastest probe a quiet probe may be.
    streak : int
        Quiet probes in a row needed.
    learn : float
        Seconds of probing before any streak counts.
    pause : float
        Seconds between probes.
    probe : callable or None
        Returns one probe's seconds; None builds :func:`gather_and_multiply_probe`.
    clock, sleep : callable
        ``time.monotonic`` and ``time.sleep`` (replaceable in tests).

    Returns
    -------
    str
        A line for the report: the wait, the last probes and the fastest one, and whether
        the host looked quiet or the wait timed out.
    """
    if timeout < 0 or within < 1 or streak < 1 or learn < 0 or pause < 0:
        raise ValueError(f"wait_for_quiet needs timeout >= 0, within >= 1, streak >= 1, "
                         f"learn >= 0 and pause >= 0; got timeout={timeout}, within={within}, "
                         f"streak={streak}, learn={learn}, pause={pause}")
    probe = gather_and_multiply_probe() if probe is None else probe
    start, times = clock(), []
    while True:
        times.append(probe())
        best, recent = min(times), times[-streak:]
        # Judged against the fastest so far, not the fastest when each ran: a probe that
        # sets a new record leaves the slower ones before it out of the streak.
        quiet = len(recent) == streak and max(recent) <= within * best
        waited = clock() - start
        last = ", ".join(f"{t * 1e3:.1f}" for t in recent)
        summary = (f"waited {waited:.0f} s, {len(times)} probes; the last {last} ms, the "
                   f"fastest {best * 1e3:.1f} ms")
        if quiet and waited >= learn:
            return f"host quiet: {summary} (each within {within}x the fastest)"
        if waited >= timeout:
            return f"host NOT found quiet in {timeout:g} s, started anyway: {summary}"
        sleep(pause)


def add_wait_option(parser):
    """Give a benchmark script's ``parser`` the option ``--wait-quiet SECONDS`` (default 0:
    start at once); a negative wait is refused as the command line is read."""
    parser.add_argument("--wait-quiet", type=_wait_seconds, default=0.0, metavar="SECONDS",
                        help="first wait up to SECONDS for a quiet phase of a shared host "
                             "(default: 0, start at once)")


def _wait_seconds(text):
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not seconds >= 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text!r}")
    return seconds


def wait_if_asked(seconds, out=None):
    """Run :func:`wait_for_quiet` for up to ``seconds`` (none for 0) and write its line to
    ``out`` (None: the standard output as it is then) as a comment, before the benchmark's
    own header."""
    if seconds:
        print(f"# {wait_for_quiet(seconds)}", file=out or sys.stdout, flush=True)
