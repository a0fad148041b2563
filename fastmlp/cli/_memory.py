"""Will a network fit in memory? ``fastmlp train`` asks before allocating it.

An overcommitting system might hand the memory out and then kill the process when it is
touched; a rough count of the arrays that scale with the network, against what the machine
has available, gives a clear error instead.
"""

from __future__ import annotations

import os

import numpy as np

from ._errors import CLIError

#: Per-parameter state arrays each optimizer keeps (SGD: its momentum buffer).
_OPTIMIZER_SLOTS = {"sgd": 1, "rmsprop": 1, "adam": 2, "adamw": 2}


def memory_needed(sizes, dtype, optimizer, batch_size):
    """Bytes training an MLP of ``sizes`` takes, roughly: the arrays that scale with it.

    Weights, gradients and the optimizer's state per parameter; the float64 draw the
    initialiser makes for the largest layer; a few activation arrays per batch.
    """
    itemsize = np.dtype(dtype).itemsize
    pairs = list(zip(sizes[:-1], sizes[1:]))
    params = sum((n_in + 1) * n_out for n_in, n_out in pairs)
    largest = max(n_in * n_out for n_in, n_out in pairs)
    activations = 4 * batch_size * sum(sizes) * itemsize
    return params * itemsize * (2 + _OPTIMIZER_SLOTS.get(optimizer, 2)) + largest * 8 \
        + activations


def available_memory():
    """Bytes of memory this process could still get (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(sizes, needed, dtype, optimizer):
    """Refuse a network that cannot fit, before allocating (an overcommitting system might
    hand the memory out and then kill the process when it is touched)."""
    available = available_memory()
    if available is not None and needed > available:
        raise CLIError(too_big(sizes, needed, dtype, optimizer, available))


def too_big(sizes, needed, dtype, optimizer, available):
    params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    has = (f"this machine has {_gigabytes(available)} available" if available is not None
           else "this machine ran out of memory")
    return (f"the {'-'.join(map(str, sizes))} network has {params:,} parameters; training it "
            f"takes about {_gigabytes(needed)} (weights, gradients and {optimizer} state in "
            f"{dtype}), but {has}; choose smaller --layers")


def _gigabytes(n_bytes):
    return f"{n_bytes / 1e9:,.1f} GB" if n_bytes >= 1e8 else f"{n_bytes / 1e6:,.1f} MB"
