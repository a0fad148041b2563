"""fastmlp.backends._train_gather: a member's share of the batch's rows, gathered in the
epoch's order with their labels, targets and weights (the fused kernel's whole step is
compared with the layer-by-layer path in tests/training/test_fused.py)."""

from collections import namedtuple

import numba
import numpy as np
import pytest

from fastmlp.backends import _train_gather as G

Data = namedtuple("Data", "X labels targets weights")
Batch = namedtuple("Batch", "labels targets weights")


@numba.njit
def _gather(data, batch, xb, orders, e, start, r0, r1, labelled, weighted):
    G.gather(data, batch, xb, orders, e, start, r0, r1, labelled, weighted)


def _case(n, n_in, dtype, rows, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, n_in)).astype(dtype)
    data = Data(X.reshape(-1), rng.integers(0, 10, n), rng.standard_normal((n, k)),
                rng.random(n))
    batch = Batch(np.full(rows, -1), np.full((rows, k), np.nan), np.full(rows, np.nan))
    orders = np.stack([rng.permutation(n), rng.permutation(n)])
    return X, data, batch, orders


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
@pytest.mark.parametrize(("n_in", "r0", "r1"), [
    (784, 0, 64), (784, 64, 128), (784, 3, 7),  # fewer rows than are asked for ahead
    (2, 0, 128), (17, 40, 41), (33, 5, 5),  # rows shorter than the lines asked for; none
])
def test_the_share_holds_the_rows_of_the_epochs_order(dtype, n_in, r0, r1):
    X, data, batch, orders = _case(300, n_in, dtype, 128)
    xb = np.full((128, n_in), -7.0, dtype=np.float32)
    e, start = 1, 130
    _gather(data, batch, xb, orders, e, start, r0, r1, True, True)
    rows = orders[e, start + r0:start + r1]
    np.testing.assert_array_equal(xb[r0:r1], X[rows].astype(np.float32))
    np.testing.assert_array_equal(batch.labels[r0:r1], data.labels[rows])
    np.testing.assert_array_equal(batch.weights[r0:r1], data.weights[rows])
    # Other members' rows, and the targets of a labelled batch, are left alone.
    outside = np.r_[0:r0, r1:128]
    assert np.all(xb[outside] == -7.0) and np.all(batch.labels[outside] == -1)
    assert np.isnan(batch.targets).all() and np.isnan(batch.weights[outside]).all()


def test_targets_instead_of_labels_and_no_weights():
    X, data, batch, orders = _case(200, 20, np.float64, 32, k=4)
    xb = np.zeros((32, 20), dtype=np.float64)
    _gather(data, batch, xb, orders, 0, 100, 0, 32, False, False)
    rows = orders[0, 100:132]
    np.testing.assert_array_equal(xb, X[rows])
    np.testing.assert_array_equal(batch.targets, data.targets[rows])
    assert np.all(batch.labels == -1) and np.isnan(batch.weights).all()


def test_the_epochs_last_rows_are_gathered_to_the_end_of_the_order():
    X, data, batch, orders = _case(100, 50, np.float32, 16)
    xb = np.zeros((16, 50), dtype=np.float32)
    _gather(data, batch, xb, orders, 0, 96, 0, 4, True, False)  # rows 96..99 of 100
    np.testing.assert_array_equal(xb[:4], X[orders[0, 96:100]])
