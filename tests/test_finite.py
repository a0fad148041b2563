"""fastmlp._finite: the NaN/inf scan goes by slices, names the first bad value, and measures
the largest magnitude on its way."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlp import _finite as finite


@pytest.fixture
def small_slices(monkeypatch):
    monkeypatch.setattr(finite, "_SCAN_ELEMENTS", 12)  # slices of two rows of five


@pytest.mark.parametrize("where", [(0, 0), (7, 3), (49, 4)])
def test_the_sliced_scan_names_the_first_non_finite_value(small_slices, where):
    X = np.ones((50, 5), dtype=np.float32)
    X[where] = np.nan
    X[49, 4] = np.inf if where != (49, 4) else np.nan  # a later one is not reported first
    assert np.isnan(finite.largest_magnitude(X))
    with pytest.raises(ValueError, match=rf"X contains nan at index \({where[0]}, {where[1]}\)"):
        finite.check_finite(X, "X")


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_an_infinity_in_a_later_slice_is_found_by_its_maximum_or_minimum(small_slices, bad):
    X = np.ones((50, 5))
    X[31, 2] = bad
    with pytest.raises(ValueError, match=rf"X contains {bad} at index \(31, 2\)"):
        finite.check_finite(X, "X")


def test_the_largest_magnitude_is_that_of_every_slice(small_slices):
    X = np.random.default_rng(0).normal(size=(50, 5))
    X[37, 1] = -40.0  # the largest magnitude, negative, in a later slice
    X[3, 3] = 25.0
    assert finite.largest_magnitude(X) == 40.0
    assert finite.check_finite(X, "X") == 40.0
    assert finite.largest_magnitude(np.zeros((0, 5))) == 0.0
    assert finite.largest_magnitude(np.float64(-3.0)) == 3.0
    assert finite.check_finite(np.arange(5), "y") is None  # integers: nothing to scan


def test_a_narrowing_cast_is_checked_only_when_a_value_can_overflow():
    X = np.array([[np.finfo(np.float32).max, -1.0]])  # exactly float32's largest: no inf
    out = finite.cast_finite(X, np.float32, "X", finite.check_finite(X, "X"))
    assert np.isfinite(out).all() and out[0, 0] == np.finfo(np.float32).max
    X[0, 1] = 1e39
    with pytest.raises(ValueError, match=r"X holds 1e\+39 at index \(0, 1\), too large"):
        finite.cast_finite(X, np.float32, "X", finite.check_finite(X, "X"))


@settings(max_examples=200, deadline=None, database=None)
@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 6)),
       dtype=st.sampled_from([np.float32, np.float64]),
       specials=st.lists(st.tuples(st.integers(0, 53), st.sampled_from(
           [np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0])), max_size=4),
       slice_elements=st.integers(1, 20), seed=st.integers(0, 2 ** 16))
def test_the_scan_agrees_with_a_whole_array_reference(shape, dtype, specials, slice_elements,
                                                      seed):
    X = np.random.default_rng(seed).normal(size=shape).astype(dtype)
    for flat, value in specials:
        X.flat[flat % X.size] = value
    bad = ~np.isfinite(X)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(finite, "_SCAN_ELEMENTS", slice_elements)
        _agree(X, bad)


def _agree(X, bad):
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        assert finite.first_non_finite(X) == first
        with pytest.raises(ValueError, match=rf"at index \({first[0]}, {first[1]}\)"):
            finite.check_finite(X, "X")
    else:
        assert finite.first_non_finite(X) is None
        assert finite.check_finite(X, "X") == float(np.abs(X).max())
