"""Small real datasets shipped inside the package: they load offline, with no extra dependency.

- digits: the 1,797 8x8 images of the UCI "Optical Recognition of Handwritten Digits" test
  set (E. Alpaydin, C. Kaynak), pixel counts 0..16, 10 classes.
- iris: Fisher's 150 flowers, 4 measurements in cm, 3 classes (the version in Fisher's
  paper, as R and scikit-learn have it; UCI's copy has two wrong values).

Both are stored as uint8 ``.npz`` files in ``fastmlp/_data/`` (read with
``allow_pickle=False``); see the README there for sources and licences. Iris is shipped too,
rather than borrowed from scikit-learn, because 1 kB buys an offline demo with no optional
dependency.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .batching import split as _split

IRIS_CLASSES = ("setosa", "versicolor", "virginica")
IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                 "petal width (cm)")


def _read_shipped(filename):
    with (resources.files("fastmlp") / "_data" / filename).open("rb") as f:
        with np.load(f, allow_pickle=False) as npz:
            return npz["data"], npz["target"].astype(np.int64)


def _finish(X, y, split, test_size, seed):
    if not split:
        return X, y
    return _split(X, y, test_size=test_size, seed=seed, stratify=True)


def load_digits(*, scaled=True, split=True, test_size=0.2, seed=0):
    """Load the 8x8 handwritten digits shipped with fastmlp (offline, 1,797 samples).

    Parameters
    ----------
    scaled : bool, default True
        True: float32 in [0, 1] (count / 16). False: the raw uint8 counts 0..16.
    split : bool, default True
        True: a seeded, stratified train/test split. False: all samples, original order.
    test_size : float or int, default 0.2
        Fraction (rounded up) or number of test samples, when ``split``.
    seed : int, default 0
        Seed of the split; the same seed gives the same split on every machine.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        When ``split``: ``X`` of shape (n, 64) (row-major 8x8 images), ``y`` of shape (n,)
        int64 in 0..9; with the defaults n is 1437 and 360.
    X, y
        When not ``split``: shapes (1797, 64) and (1797,).
    """
    X, y = _read_shipped("digits.npz")
    if scaled:
        X = X.astype(np.float32) / np.float32(16)
    return _finish(X, y, split, test_size, seed)


def load_iris(*, scaled=True, split=True, test_size=0.2, seed=0):
    """Load Fisher's iris data shipped with fastmlp (offline, 150 samples, 3 classes).

    Parameters
    ----------
    scaled : bool, default True
        True: standardise each feature to mean 0, standard deviation 1 using the statistics
        of the training part only (all samples when not ``split``), so no test information
        leaks into training. False: the measurements in cm.
    split : bool, default True
        True: a seeded, stratified train/test split. False: all samples, original order.
    test_size : float or int, default 0.2
        Fraction (rounded up) or number of test samples, when ``split``.
    seed : int, default 0
        Seed of the split.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        When ``split``: ``X`` float32 of shape (n, 4) (see ``IRIS_FEATURES``), ``y`` int64 of
        shape (n,) in 0..2 (see ``IRIS_CLASSES``); with the defaults n is 120 and 30.
    X, y
        When not ``split``: shapes (150, 4) and (150,).
    """
    tenths, y = _read_shipped("iris.npz")
    # Stored in tenths of a cm so the file is exact integers; dividing in float64 reproduces
    # the published one-decimal values exactly. Statistics are taken in float64 too, and
    # only the result is cast, so the scaled features have mean 0 to float32 precision.
    X = tenths / 10.0
    (X_train, y_train), (X_test, y_test) = _split(
        X, y, test_size=test_size, seed=seed, stratify=True) if split else ((X, y), (X, y))
    if scaled:
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    if not split:
        return X_train, y_train
    return (X_train, y_train), (X_test, y_test)
