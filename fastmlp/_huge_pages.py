"""Flat vectors of the training state on huge pages, when they are large.

A fit streams its flat vectors (parameters, gradients, the optimizer's moments, the kernel's
workspace) through the cores every step. On 4 KiB pages the wide networks' vectors span
thousands of pages: the optimizer's pass over them then waits on the address translation
as much as on the memory. Measured here (Zen 4, a 669,706-parameter Adam pass, one thread,
alternating, medians of 9, two runs): 159-170 ms an epoch on ordinary pages, 124-127 ms on
2 MiB pages.

NumPy advises huge pages only for allocations of 4 MiB or more, and then only for the part of
them that happens to fall on 2 MiB boundaries. A vector here of :data:`THRESHOLD` bytes or more
is an anonymous private mapping instead, its first element on a 2 MiB boundary, advised
``MADV_HUGEPAGE``: the kernel backs it with huge pages whenever transparent huge pages are
enabled, even only on request (``madvise``, a common default). Smaller vectors, and platforms
without the advice, get ordinary arrays. Either way the result is an ordinary writable
ndarray: views, copies and pickles behave as for any other.
"""

from __future__ import annotations

import mmap

import numpy as np

#: The size of a huge page on x86-64 and most of arm64 Linux.
HUGE_PAGE = 2 << 20

#: Vectors this large or larger go on huge pages. Smaller ones would waste most of a 2 MiB
#: page, for a few hundred 4 KiB pages that translate well enough (the Adam pass over the
#: 101,770 parameters of 784-128-10: 19.2 ms an epoch on ordinary pages, 19.3 ms on huge).
THRESHOLD = 2 << 20


def empty(n, dtype):
    """An uninitialised flat vector, on huge pages when it is large (see the module).

    Parameters
    ----------
    n : int
        Elements.
    dtype : numpy dtype or type

    Returns
    -------
    ndarray, shape (n,)
        C-contiguous and writable.
    """
    dtype = np.dtype(dtype)
    nbytes = int(n) * dtype.itemsize
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < THRESHOLD or advice is None:
        return np.empty(n, dtype=dtype)
    rounded = -(-nbytes // HUGE_PAGE) * HUGE_PAGE
    # One page more than needed, so the vector can start on a 2 MiB boundary: the pages
    # before it are never touched, hence never backed by memory.
    try:
        mapping = mmap.mmap(-1, rounded + HUGE_PAGE,
                            flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    except OSError:  # no room for the extra page: NumPy's own allocation, or its MemoryError
        return np.empty(n, dtype=dtype)
    try:
        mapping.madvise(advice)
    except OSError:  # a kernel built without transparent huge pages
        mapping.close()
        return np.empty(n, dtype=dtype)
    raw = np.frombuffer(mapping, dtype=np.uint8)  # keeps the mapping alive as its base
    skip = -raw.ctypes.data % HUGE_PAGE
    return raw[skip:skip + nbytes].view(dtype)


def zeros(n, dtype):
    """As :func:`empty`, filled with zeros."""
    vector = empty(n, dtype)
    vector[...] = 0
    return vector


def copy(values, dtype=None):
    """As :func:`empty`, holding ``values`` (any shape, flattened; converted to ``dtype``,
    by default theirs)."""
    values = np.asarray(values)
    vector = empty(values.size, values.dtype if dtype is None else dtype)
    vector[...] = values.reshape(-1)
    return vector
