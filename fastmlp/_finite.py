"""Scans of numeric arrays, by slices: the first NaN or inf, and the largest magnitude.

The input checks (:mod:`fastmlp._validation`) refuse non-finite values with a message that
names the first one, and ``fit`` warns about values too large for its float type; one pass
over the data serves both (:func:`check_finite`). Slices keep every temporary small, whatever
the size of the array.
"""

from __future__ import annotations

import math

import numpy as np

#: Elements per slice when scanning a large float array: a slice's minimum reads it from
#: memory and its maximum then from cache (4 MB of float32, in L3). One pass over memory: half
#: the time of a NaN/inf mask per slice and then a whole-array maximum and minimum (60,000
#: rows of 784 float32: 9 ms against 23). A mask, to locate a bad value, is a slice's only.
_SCAN_ELEMENTS = 1 << 20


def row_slices(arr):
    """``arr`` (at least 1-d) in consecutive slices of whole rows, about
    :data:`_SCAN_ELEMENTS` elements each: ``(first row, slice)`` pairs."""
    row_size = arr.size // len(arr) if len(arr) else 1
    rows = max(1, _SCAN_ELEMENTS // max(1, row_size))
    for start in range(0, len(arr), rows):
        yield start, arr[start:start + rows]


def first_non_finite(arr):
    """Index of the first NaN/inf in a floating ``arr``, or None; scans by row slices."""
    if arr.ndim == 0:
        return None if np.isfinite(arr) else ()
    for start, part in row_slices(arr):
        if not np.isfinite(part).all():
            bad = np.argwhere(~np.isfinite(part))[0]
            bad[0] += start
            return tuple(int(i) for i in bad)
    return None


def largest_magnitude(X):
    """The largest ``|x|`` in ``X`` as a float (0.0 when empty; NaN when ``X`` holds a NaN):
    each slice's maximum and minus its minimum (:data:`_SCAN_ELEMENTS`), so no temporary the
    size of ``X``."""
    X = np.asarray(X)
    if X.ndim == 0:
        X = X.reshape(1)
    largest = 0.0
    for _, part in row_slices(X):
        if part.size:
            hi, lo = float(part.max()), float(part.min())
            if math.isnan(hi):  # a NaN is the maximum's result, and max() would drop it
                return math.nan
            largest = max(largest, hi, -lo)
    return largest


def check_finite(arr, name):
    """Raise ValueError naming the first NaN/inf of a float ``arr``; return its largest
    ``|x|``, measured by the same pass (None for integers, which need no scan)."""
    if not np.issubdtype(arr.dtype, np.floating):
        return None
    largest = largest_magnitude(arr)
    if math.isfinite(largest):  # a NaN or inf reaches some slice's maximum or minimum
        return largest
    bad = first_non_finite(arr)
    where = ", ".join(str(i) for i in bad)
    raise ValueError(
        f"{name} contains {arr[bad]} at index ({where}); remove or impute non-finite values "
        "(NaN, inf) before training or predicting"
    )


def cast_finite(arr, dtype, name, largest=None):
    """``arr`` as a C-contiguous array of ``dtype``, refusing values the cast turns into inf.

    ``arr`` has passed :func:`check_finite`, so only a narrowing float cast can add inf, and
    only if ``arr``'s ``largest`` magnitude (None: not known) is over ``dtype``'s maximum."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(arr, dtype=dtype)
    narrowed = (np.issubdtype(arr.dtype, np.floating)
                and np.dtype(dtype).itemsize < arr.dtype.itemsize
                and (largest is None or largest > float(np.finfo(dtype).max)))
    bad = first_non_finite(out) if narrowed else None
    if bad is not None:
        where = ", ".join(str(i) for i in bad)
        kind = np.dtype(dtype).name
        raise ValueError(
            f"{name} holds {arr[bad]} at index ({where}), too large for {kind} (its "
            f"maximum is {np.finfo(dtype).max:.3g}); scale {name} down or use dtype='float64'"
        )
    return out
