"""fastmlp._validation: the NaN/inf scan goes by slices, names the first bad value, and
measures the largest magnitude on its way."""

import numpy as np
import pytest

from fastmlp import _validation as check


@pytest.mark.parametrize("where", [(0, 0), (7, 3), (49, 4)])
def test_the_sliced_scan_names_the_first_non_finite_value(monkeypatch, where):
    monkeypatch.setattr(check, "_SCAN_ELEMENTS", 12)  # slices of two rows of five
    X = np.ones((50, 5), dtype=np.float32)
    X[where] = np.nan
    X[49, 4] = np.inf if where != (49, 4) else np.nan  # a later one is not reported first
    assert np.isnan(check.largest_magnitude(X))
    with pytest.raises(ValueError, match=rf"X contains nan at index \({where[0]}, {where[1]}\)"):
        check.check_X(X, 5, "Dense(5→2)", np.float32)


def test_pixels_stay_integers_only_when_asked():
    X = np.arange(20, dtype=np.uint8).reshape(4, 5)
    assert check.check_X(X, 5, "Dense(5→2)", np.float32, compact=True) is X
    assert check.check_X(X, 5, "Dense(5→2)", np.float32).dtype == np.float32
    wide = X.astype(np.int64)  # not exact in float32 in general: converted as before
    assert check.check_X(wide, 5, "Dense(5→2)", np.float32, compact=True).dtype == np.float32


def test_a_narrowing_cast_that_overflows_is_refused():
    X = np.ones((3, 2))
    X[2, 1] = 1e300
    with pytest.raises(ValueError, match=r"X holds 1e\+300 at index \(2, 1\), too large for "
                                         r"float32"):
        check.check_X(X, 2, "Dense(2→2)", np.float32)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_an_infinity_in_a_later_slice_is_found_by_its_maximum_or_minimum(monkeypatch, bad):
    monkeypatch.setattr(check, "_SCAN_ELEMENTS", 12)
    X = np.ones((50, 5))
    X[31, 2] = bad
    with pytest.raises(ValueError, match=rf"X contains {bad} at index \(31, 2\)"):
        check.check_X(X, 5, "Dense(5→2)", np.float64)


def test_the_largest_magnitude_is_that_of_every_slice(monkeypatch):
    monkeypatch.setattr(check, "_SCAN_ELEMENTS", 12)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 5))
    X[37, 1] = -40.0  # the largest magnitude, negative, in a later slice
    X[3, 3] = 25.0
    assert check.largest_magnitude(X) == 40.0
    assert check.largest_magnitude(np.zeros((0, 5))) == 0.0
    assert check.largest_magnitude(np.float64(-3.0)) == 3.0
    out, largest = check.check_X(X, 5, "Dense(5→2)", np.float32, measure=True)
    assert largest == 40.0 and out.dtype == np.float32
    np.testing.assert_array_equal(out, X.astype(np.float32))


def test_measured_integers_are_none_when_kept_and_measured_when_converted():
    pixels = np.full((4, 5), 255, dtype=np.uint8)
    assert check.check_X(pixels, 5, "Dense(5→2)", np.float32, compact=True, measure=True)[1] \
        is None
    wide = np.full((4, 5), -7, dtype=np.int64)
    assert check.check_X(wide, 5, "Dense(5→2)", np.float32, compact=True, measure=True)[1] == 7.0


def test_a_narrowing_cast_near_the_limit_is_kept_when_nothing_overflows():
    X = np.array([[np.finfo(np.float32).max, -1.0]])  # exactly float32's largest: no inf
    out = check.check_X(X, 2, "Dense(2→2)", np.float32)
    assert np.isfinite(out).all() and out[0, 0] == np.finfo(np.float32).max
