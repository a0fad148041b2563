"""Small helpers around datasets: a seeded (stratified) split, one-hot labels, mini-batches."""

from __future__ import annotations

import math
import numbers

import numpy as np


def _n_test(test_size, n):
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction or a count, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        # Round up, as scikit-learn does, so a small test fraction never becomes 0 samples.
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or a count, got {test_size!r}"
        )
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_test} of {n} samples for testing; both the "
            "training and the test part need at least one sample"
        )
    return n_test


def _stratified_test_indices(y, n_test, rng):
    classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f"stratify=True needs at least 2 samples per class, but class "
            f"{classes[counts.argmin()]} has {counts.min()}; drop it or use stratify=False"
        )
    if n_test < len(classes) or len(y) - n_test < len(classes):
        raise ValueError(
            f"stratify=True needs at least one sample of each of the {len(classes)} classes in "
            f"both parts, but the test part has {n_test} of {len(y)} samples"
        )
    # Largest-remainder allocation: each class gets its share of the test part, the leftover
    # samples go to the classes with the largest fractional shares (ties broken at random).
    exact = counts * n_test / len(y)
    take = np.floor(exact).astype(np.int64)
    order = np.lexsort((rng.random(len(classes)), -(exact - take)))
    for c in order[: n_test - take.sum()]:
        take[c] += 1
    # Keep at least one sample of each class on each side.
    take = np.clip(take, 1, counts - 1)
    while take.sum() > n_test:
        take[np.argmax(np.where(take > 1, take - exact, -np.inf))] -= 1
    while take.sum() < n_test:
        take[np.argmin(np.where(take < counts - 1, take - exact, np.inf))] += 1
    test = [rng.permutation(np.flatnonzero(y_idx == c))[:k] for c, k in enumerate(take)]
    return np.concatenate(test)


def split(X, y, *, test_size=0.25, seed=None, stratify=False, shuffle=True):
    """Split samples into a training and a test part.

    Parameters
    ----------
    X : array_like, shape (n, ...)
        Samples.
    y : array_like, shape (n, ...)
        Targets, one per sample.
    test_size : float or int, default 0.25
        A fraction in (0, 1) (rounded up) or a number of test samples.
    seed : int or numpy.random.Generator, optional
        Makes the split reproducible; None draws fresh randomness.
    stratify : bool, default False
        Keep the class proportions of ``y`` in both parts (each class needs 2+ samples).
    shuffle : bool, default True
        False takes the last ``test_size`` samples as the test part, in order (no
        randomness; incompatible with ``stratify``).

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        NumPy arrays; rows keep their relative order within each part when ``shuffle`` is
        False, and are shuffled otherwise. Note the order differs from scikit-learn's
        ``train_test_split``, matching the dataset loaders instead.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must be arrays with one entry per sample, got a scalar")
    if len(X) != len(y):
        raise ValueError(
            f"X has {len(X)} samples but y has {len(y)}; pass one target per sample"
        )
    n = len(X)
    n_test = _n_test(test_size, n)
    if not shuffle:
        if stratify:
            raise ValueError("stratify=True needs shuffle=True")
        return (X[: n - n_test], y[: n - n_test]), (X[n - n_test:], y[n - n_test:])
    rng = np.random.default_rng(seed)
    if stratify:
        if y.ndim != 1:
            raise ValueError(f"stratify=True needs 1-D class labels, got y of shape {y.shape}")
        test = _stratified_test_indices(y, n_test, rng)
    else:
        test = rng.permutation(n)[:n_test]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    train = rng.permutation(np.flatnonzero(~is_test))
    test = rng.permutation(test)
    return (X[train], y[train]), (X[test], y[test])


def one_hot(y, n_classes=None, *, dtype=np.float32):
    """One-hot encode integer class labels.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Labels in ``[0, n_classes)``.
    n_classes : int, optional
        Number of columns; default ``max(y) + 1``.
    dtype : numpy dtype, default float32

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
        Row ``i`` is all zeros but a 1 in column ``y[i]``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
            raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if n_classes is None:
        if not y.size:
            raise ValueError("cannot infer n_classes from an empty y; pass n_classes")
        n_classes = int(y.max()) + 1
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)][0]
        raise ValueError(f"label {bad} is outside [0, {n_classes}); pass a larger n_classes")
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def batches(X, y=None, *, batch_size=32, shuffle=False, seed=None, drop_last=False):
    """Iterate over mini-batches.

    Parameters
    ----------
    X : array_like, shape (n, ...)
    y : array_like, shape (n, ...), optional
    batch_size : int, default 32
    shuffle : bool, default False
        Visit the samples in a random order (one permutation per call).
    seed : int or numpy.random.Generator, optional
        Seeds the shuffle.
    drop_last : bool, default False
        Skip a final batch smaller than ``batch_size``.

    Yields
    ------
    X_batch or (X_batch, y_batch)
        Arrays of up to ``batch_size`` rows: views when ``shuffle`` is False, copies otherwise.
    """
    X = np.asarray(X)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = len(X)
    order = np.random.default_rng(seed).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            sel = slice(start, start + batch_size)
        else:
            sel = order[start:start + batch_size]
        yield X[sel] if y is None else (X[sel], y[sel])
