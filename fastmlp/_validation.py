"""The one place that inspects user input and raises (its scans of float arrays for NaN/inf
and of their largest magnitude in :mod:`fastmlp._finite`).

Every message says what was wrong, what was expected, and how to fix it. Nothing here
is on the hot path of a training step: inputs are checked once per call to ``fit``,
``predict`` and friends, never per batch.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._finite import cast_finite, check_finite, largest_magnitude


def check_choice(value, valid, what):
    """Raise unless ``value`` is one of ``valid`` (a name from a fixed list)."""
    if not isinstance(value, str) or value not in valid:
        options = ", ".join(repr(v) for v in valid)
        plural = f"{what}es" if what.endswith("s") else f"{what}s"
        raise ValueError(f"unknown {what} {value!r}; valid {plural} are: {options}")
    return value


def check_dtype(dtype):
    """Return ``np.float32`` or ``np.float64`` for the names/dtypes users pass."""
    # np.dtype(None) is float64, and a dtype compares equal to None: rule None out explicitly.
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"unknown dtype {dtype!r}; valid dtypes are: 'float32', 'float64'")
    return resolved.type


def check_positive_number(value, name, *, allow_zero=False, integer=False):
    """Raise unless ``value`` is a finite number > 0 (or >= 0 with ``allow_zero``)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    bound_ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not bound_ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return value


def check_fraction(value, name, *, upper_open=True):
    """Raise unless ``0 <= value < 1`` (or ``<= 1`` when ``upper_open`` is False)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    ok = 0 <= value < 1 if upper_open else 0 <= value <= 1
    if not ok:
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return float(value)


def _as_numeric_array(a, name):
    if isinstance(a, np.ndarray):
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except ValueError as err:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular numeric array: {err}") from None
    if arr.dtype == bool:
        arr = arr.astype(np.int8)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(
            f"{name} must be numeric (integers or floats), got an array of dtype {arr.dtype}; "
            "convert it with np.asarray(..., dtype=float) after encoding any text columns"
        )
    return arr


def check_X(X, n_features, layer, dtype, compact=False, measure=False):
    """Validate features and return them as a C-contiguous ``(n, n_features)`` array of ``dtype``.

    ``layer`` describes the first layer for the message, e.g. ``"Dense(784→128)"``. With
    ``compact=True``, 8- and 16-bit integers (pixels) stay as they are, for callers that
    convert them batch by batch: a float copy would be 2-8 times their size. With
    ``measure=True``, return ``(X, largest)``: also the largest ``|x|`` of float features
    (None for integers), which the scan for NaN/inf measures on its way.
    """
    arr = _as_numeric_array(X, "X")
    if arr.ndim == 1 and arr.size == n_features and n_features > 1:
        raise ValueError(
            f"{layer} expected X of shape (n_samples, {n_features}), got a 1-D array of shape "
            f"{arr.shape}; for a single sample use X.reshape(1, -1)"
        )
    if arr.ndim != 2:
        raise ValueError(
            f"{layer} expected X of shape (n_samples, {n_features}), got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"X is empty (shape {arr.shape}); pass at least one sample")
    if arr.shape[1] != n_features:
        raise ValueError(
            f"{layer} expected x with {n_features} features, got shape {arr.shape}; "
            f"reshape or select the features so X has {n_features} columns, or build the "
            f"model with {arr.shape[1]} inputs"
        )
    if compact and np.issubdtype(arr.dtype, np.integer) and arr.dtype.itemsize <= 2:
        out, largest = np.ascontiguousarray(arr), None  # exact in float32 and float64
    else:
        largest = check_finite(arr, "X")
        # Values that overflow the model's float type (float64 1e300 into float32) are refused.
        out = cast_finite(arr, dtype, "X", largest)
        if measure and largest is None:  # integers of 32 bits or more, now floats
            largest = largest_magnitude(arr)
    return (out, largest) if measure else out


def check_lengths(X, y):
    """Raise unless X and y hold the same number of samples."""
    if len(X) != len(y):
        raise ValueError(
            f"X has {len(X)} samples but y has {len(y)}; pass one label (or target row) per sample"
        )


def check_labels(y, n_classes):
    """Validate classification targets; return int64 labels ``(n,)``.

    Accepts integer labels (or integral floats) in ``[0, n_classes)`` and one-hot rows
    ``(n, n_classes)``.
    """
    arr = _as_numeric_array(y, "y")
    if arr.size == 0:
        raise ValueError(f"y is empty (shape {arr.shape}); pass one label per sample")
    check_finite(arr, "y")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        if arr.shape[1] != n_classes:
            raise ValueError(
                f"one-hot y has {arr.shape[1]} columns but the model has {n_classes} outputs; "
                f"pass labels in [0, {n_classes}) or one-hot rows of width {n_classes}"
            )
        is_onehot = np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) == 1).all()
        if not is_onehot:
            raise ValueError(
                "2-D y must be one-hot (each row all zeros but a single 1); soft or multi-label "
                "targets are not supported, pass integer class labels instead"
            )
        return np.ascontiguousarray(arr.argmax(axis=1), dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D labels or 2-D one-hot rows, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and not (arr == np.round(arr)).all():
        bad = arr[arr != np.round(arr)][0]
        raise ValueError(
            f"y holds the non-integer label {bad}; classification needs integer class labels "
            "(use loss='mse' for regression targets)"
        )
    out_of_range = (arr < 0) | (arr >= n_classes)
    if out_of_range.any():
        i = int(np.argmax(out_of_range))
        raise ValueError(
            f"y has labels outside [0, {n_classes}): found {arr[i]} at index {i}; the last layer "
            f"has {n_classes} outputs, so labels must be 0..{n_classes - 1} (relabel them, or "
            "give the last Dense layer one output per class)"
        )
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_targets(y, n_outputs, dtype):
    """Validate regression targets; return a C-contiguous ``(n, n_outputs)`` array of ``dtype``."""
    arr = _as_numeric_array(y, "y")
    if arr.size == 0:
        raise ValueError(f"y is empty (shape {arr.shape}); pass one target row per sample")
    largest = check_finite(arr, "y")
    if arr.ndim == 1 and n_outputs == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != n_outputs:
        raise ValueError(
            f"y must have shape (n_samples, {n_outputs}) to match the model's {n_outputs} "
            f"outputs, got shape {arr.shape}"
        )
    return cast_finite(arr, dtype, "y", largest)


def check_indicator_targets(y, n_outputs, dtype):
    """Validate multi-label targets (binary cross-entropy): ``(n, n_outputs)`` values in
    [0, 1] (0/1 indicators or probabilities); return a C-contiguous array of ``dtype``."""
    arr = check_targets(y, n_outputs, dtype)
    outside = (arr < 0) | (arr > 1)
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise ValueError(
            f"y holds {arr[i, j]} at index ({i}, {j}); binary cross-entropy needs targets in "
            "[0, 1] (0/1 label indicators, or probabilities), one column per output"
        )
    return arr


def check_sample_weight(sample_weight, n, dtype):
    """Validate per-sample weights for ``n`` samples; return a C-contiguous ``(n,)`` array of
    ``dtype``, or None for None."""
    if sample_weight is None:
        return None
    arr = _as_numeric_array(sample_weight, "sample_weight")
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"sample_weight must have shape ({n},), one weight per sample, got "
                         f"shape {arr.shape}")
    largest = check_finite(arr, "sample_weight")
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise ValueError(f"sample_weight holds the negative weight {arr[i]} at index {i}; "
                         "weights must be >= 0")
    arr = cast_finite(arr, dtype, "sample_weight", largest)
    if not arr.any():
        raise ValueError("sample_weight is all zero: sample weights must contain at least one "
                         "non-zero number")
    return arr
