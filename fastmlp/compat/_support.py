"""Moving data and weights between the seeds' conventions and the core's.

The core is batch-first (one sample per row) and keeps ``W`` as ``(n_in, n_out)``. Two of the
seeds put one sample per *column* and keep ``W`` as ``(n_out, n_in)``; the helpers here do
those transposes in one place, with messages that say which layout was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

#: Where the samples are in a 2-D data array: one per column (the seeds) or per row (the core).
LAYOUTS = ("columns", "rows")


def check_layout(layout):
    """Raise unless ``layout`` is "columns" or "rows"; return it."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid layouts are: 'columns' (one sample "
                         f"per column, features x samples) or 'rows' (one sample per row)")
    return layout


def features_to_rows(data, n_features, layout, name="X"):
    """``data`` as the core wants it, ``(n_samples, n_features)``; values are checked later.

    With ``layout="columns"`` the data is ``(n_features, n_samples)`` and is transposed; a
    1-D array of length ``n_features`` is one sample in either layout.
    """
    arr = np.asarray(data)
    if arr.ndim == 1 and arr.shape[0] == n_features:
        return arr[None, :]
    if layout == "rows" or arr.ndim != 2:
        return arr  # the core's own check explains any other shape
    if arr.shape[0] != n_features:
        hint = (" It looks like one sample per row: pass layout='rows' or the transpose "
                f"{name}.T." if arr.shape[1] == n_features else "")
        raise ValueError(f"{name} must be (n_features, n_samples) = ({n_features}, m) with "
                         f"one sample per column, got shape {arr.shape}.{hint}")
    return arr.T


def targets_to_rows(targets, n_outputs, layout, name="y"):
    """Labels ``(m,)`` stay as they are; 2-D targets in columns ``(n_outputs, m)`` become rows."""
    arr = np.asarray(targets)
    if layout == "rows" or arr.ndim != 2:
        return arr
    if arr.shape[0] != n_outputs:
        hint = (" It looks like one sample per row: pass layout='rows' or the transpose "
                f"{name}.T." if arr.shape[1] == n_outputs else "")
        raise ValueError(f"{name} must be integer labels (m,) or (n_outputs, m) = "
                         f"({n_outputs}, m) with one sample per column, got shape "
                         f"{arr.shape}.{hint}")
    return arr.T


def rows_to_layout(rows, layout):
    """Core output ``(n_samples, k)`` back into the caller's layout."""
    return rows.T if layout == "columns" else rows


def copy_weights(source, target):
    """Copy every parameter of ``source`` into ``target`` (same Dense stack, any activations)."""
    for mine, theirs in zip(source.parameters(), target.parameters()):
        theirs[...] = mine


def check_count(value, name, minimum):
    """Raise unless ``value`` is an integer >= ``minimum``; return it as an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
