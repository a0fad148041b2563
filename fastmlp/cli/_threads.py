"""``--threads N``: the BLAS and Numba thread counts of one command, set through
:func:`fastmlp.threads` for the whole command and restored after it."""

from __future__ import annotations

import argparse
import contextlib
import os

from ..reproducibility import thread_counts, threads


def usable_cpus():
    """The number of CPUs this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows: no affinity masks
        return os.cpu_count() or 1


def thread_count(text):
    """The ``--threads`` value: a whole number from 1 to the CPUs this process may use.

    More threads than CPUs gain nothing: they take turns on the same cores, and BLAS threads
    that wait on each other make every product slower.

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is not such a number (argparse reports it as a usage error, status 2).
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of threads, got "
                                         f"{text!r}") from None
    cpus = usable_cpus()
    if not 1 <= value <= cpus:
        raise argparse.ArgumentTypeError(
            f"must lie in [1, {cpus}] (the CPUs this process may use; more threads than "
            f"CPUs only wait on each other), got {text!r}")
    return value


def limited(args):
    """A context that runs the command on ``args.threads`` BLAS and Numba threads; without
    ``--threads`` (or for a command that has none) it changes nothing."""
    n = getattr(args, "threads", None)
    return contextlib.nullcontext() if n is None else threads(n)


def in_effect():
    """The thread counts in effect now, for a report line.

    Returns
    -------
    str
        Such as ``"BLAS 1 (openblas 0.3.31), 1 (openblas 0.3.30); Numba 1"``: one count per
        BLAS library loaded in the process, then Numba's.
    """
    counts = thread_counts()
    blas = ", ".join(f"{n} ({name} {version})" for name, version, n in counts["blas"])
    return f"BLAS {blas or 'none loaded'}; Numba {counts['numba']}"
