"""Splitting, one-hot labels and mini-batches (fastmlp.data.batching)."""

from __future__ import annotations

import numpy as np
import pytest

import fastmlp.data as fd


def test_split_sizes_and_determinism():
    X = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    (Xa, ya), (Xb, yb) = fd.split(X, y, test_size=0.25, seed=0)
    assert len(Xb) == 3 and len(Xa) == 7  # 2.5 rounds up
    np.testing.assert_array_equal(Xa[:, 0] // 2, ya)  # rows stay paired
    assert sorted(np.concatenate([ya, yb]).tolist()) == list(range(10))
    (Xc, _), _ = fd.split(X, y, test_size=0.25, seed=0)
    np.testing.assert_array_equal(Xa, Xc)
    (_, _), (Xd, yd) = fd.split(X, y, test_size=4, shuffle=False)
    np.testing.assert_array_equal(yd, [6, 7, 8, 9])


def test_split_stratified_keeps_proportions_exactly_when_possible():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    _, (_, y_test) = fd.split(np.zeros((100, 1)), y, test_size=0.2, seed=5, stratify=True)
    assert np.bincount(y_test).tolist() == [10, 6, 4]


def test_split_stratified_rounding_total_is_exact():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    (_, y_train), (_, y_test) = fd.split(np.zeros(21), y, test_size=5, seed=0, stratify=True)
    assert len(y_test) == 5 and len(y_train) == 16
    assert np.bincount(y_test, minlength=3).min() >= 1 and np.bincount(y_test).max() == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"test_size": 0}, r"leaves 0 of 10 samples"),
    ({"test_size": -0.5}, r"fraction in \(0, 1\) or a count"),
    ({"test_size": 10}, r"leaves 10 of 10 samples"),
    ({"test_size": 1.0}, r"fraction in \(0, 1\)"),
    ({"test_size": 2, "stratify": True}, r"at least one sample of each of the 3 classes"),
    ({"stratify": True, "shuffle": False}, r"stratify=True needs shuffle=True"),
])
def test_split_errors(kwargs, match):
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    with pytest.raises(ValueError, match=match):
        fd.split(np.zeros((10, 2)), y, **kwargs)


def test_split_rejects_singleton_class_and_length_mismatch():
    with pytest.raises(ValueError, match=r"class 7 has 1"):
        fd.split(np.zeros(5), [0, 0, 0, 0, 7], test_size=2, stratify=True)
    with pytest.raises(ValueError, match=r"X has 3 samples but y has 2"):
        fd.split(np.zeros(3), [0, 1])


def test_one_hot():
    out = fd.one_hot([2, 0, 1])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert fd.one_hot(np.array([1.0, 0.0]), 4).shape == (2, 4)
    with pytest.raises(ValueError, match=r"label 5 is outside \[0, 3\)"):
        fd.one_hot([0, 5], 3)
    with pytest.raises(ValueError, match=r"integer class labels"):
        fd.one_hot([0.5, 1.0])


def test_batches_cover_every_sample_once():
    X = np.arange(10)
    y = X * 10
    got = list(fd.batches(X, y, batch_size=4, shuffle=True, seed=0))
    assert [len(b[0]) for b in got] == [4, 4, 2]
    seen = np.concatenate([b[0] for b in got])
    assert sorted(seen.tolist()) == list(range(10)) and not np.array_equal(seen, X)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in got]), seen * 10)
    assert [len(b) for b in fd.batches(X, batch_size=4, drop_last=True)] == [4, 4]
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        next(fd.batches(X, batch_size=0))
