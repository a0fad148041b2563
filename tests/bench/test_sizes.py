"""The size table and the two spellings of a size."""

import numpy as np
import pytest

from fastmlp.bench.sizes import CASES, parse_size, size_name, synthetic_data, training_flops


def test_every_case_is_named_by_its_own_sizes():
    for name, case in CASES.items():
        assert size_name(case.sizes) == name
        assert parse_size(name) == case.sizes
        assert case.batch <= case.samples


@pytest.mark.parametrize("size", ["784-128-10", (784, 128, 10), [784, 128, 10]])
def test_both_spellings_parse_alike(size):
    assert parse_size(size) == (784, 128, 10)
    assert size_name(size) == "784-128-10"


@pytest.mark.parametrize("bad", ["784", "784-0-10", "784-x-10", "", (5,), "3--2", None])
def test_a_bad_size_says_what_a_size_looks_like(bad):
    with pytest.raises(ValueError, match="at least two positive widths, e.g. '784-128-10'"):
        parse_size(bad)


def test_training_flops_counts_forward_weight_and_input_gradients():
    # forward 2n(784*128 + 128*10), weight gradients the same, input gradient of layer 2 only
    n = 3
    expected = 2 * n * (784 * 128 + 128 * 10) * 2 + 2 * n * 128 * 10
    assert training_flops((784, 128, 10), n) == expected


def test_synthetic_data_is_shaped_like_the_network_and_learnable():
    X, y = synthetic_data((20, 8, 4), 400, seed=1)
    assert X.shape == (400, 20) and X.dtype == np.float32 and y.shape == (400,)
    assert X.min() >= 0 and X.max() < 1 and set(np.unique(y)) <= {0, 1, 2, 3}
    # Half of each sample is its class prototype: the nearest class mean recovers most labels.
    means = np.stack([X[y == k].mean(axis=0) for k in range(4)])
    nearest = ((X[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert np.mean(nearest == y) > 0.9
    X2, y2 = synthetic_data((20, 8, 4), 400, seed=1)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
