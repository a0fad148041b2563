"""The one table of network sizes every benchmark speaks about, and what follows from a size.

:data:`CASES` drives the pytest-benchmark suites in ``benchmarks/`` (through
``benchmarks/cases.py``) and the synthetic data of the peer comparison; :func:`parse_size` and
:func:`size_name` are the two spellings of a size (``"784-128-10"`` and ``(784, 128, 10)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Case:
    """One network size of the benchmarks.

    Attributes
    ----------
    sizes : tuple of int
        Layer widths, input first.
    batch : int
        Rows per kernel call and training step (the full batch for the tiny networks).
    samples : int
        Rows of synthetic data in one pytest-benchmark training epoch.
    """

    sizes: tuple
    batch: int
    samples: int


#: The network sizes every benchmark uses, by name. The 784-* epochs use 10k synthetic rows
#: (a sixth of Fashion-MNIST) so the pytest suite stays at a few minutes.
CASES = {
    "2-4-2": Case((2, 4, 2), batch=4, samples=4),  # XOR, full batch
    "4-8-3": Case((4, 8, 3), batch=150, samples=150),  # iris-sized, full batch
    "64-32-10": Case((64, 32, 10), batch=128, samples=1797),  # digits-sized
    "784-128-10": Case((784, 128, 10), batch=128, samples=10_000),
    "784-512-512-10": Case((784, 512, 512, 10), batch=128, samples=10_000),
}


def parse_size(size):
    """Layer widths from either spelling of a network size.

    Parameters
    ----------
    size : str or sequence of int
        ``"784-128-10"`` or ``(784, 128, 10)``.

    Returns
    -------
    tuple of int
        ``(784, 128, 10)``.

    Raises
    ------
    ValueError
        Fewer than two widths, a width below 1, or a part that is not an integer.
    """
    parts = size.split("-") if isinstance(size, str) else size
    try:
        widths = tuple(int(w) for w in parts)
    except (TypeError, ValueError):
        widths = ()
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"a size lists at least two positive widths, e.g. '784-128-10'; "
                         f"got {size!r}")
    return widths


def size_name(sizes):
    """``(784, 128, 10)`` (or ``"784-128-10"``) -> ``"784-128-10"``."""
    return "-".join(str(w) for w in parse_size(sizes))


def training_flops(sizes, n):
    """Floating-point operations of one training epoch over ``n`` samples (GEMMs only).

    Forward is ``2 n sum(in * out)``; backward computes the weight gradients (the same again)
    and the input gradients of every layer but the first (which nobody needs).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first.
    n : int
        Samples in the epoch.

    Returns
    -------
    int
    """
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * n * (3 * sum(products) - products[0])


def synthetic_data(sizes, n, seed=0):
    """A learnable stand-in shaped like ``sizes``.

    Each class has a random prototype; a sample is half its prototype, half noise.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first: ``sizes[0]`` features, ``sizes[-1]`` classes.
    n : int
        Rows.
    seed : int

    Returns
    -------
    X : (n, sizes[0]) float32 array
        Values in [0, 1).
    y : (n,) int64 array
        Labels in ``[0, sizes[-1])``.
    """
    rng = np.random.default_rng(seed)
    k = sizes[-1]
    prototypes = rng.random((k, sizes[0]), dtype=np.float32)
    y = rng.integers(0, k, n)
    X = np.float32(0.5) * prototypes[y] + np.float32(0.5) * rng.random((n, sizes[0]),
                                                                        dtype=np.float32)
    return X, y
