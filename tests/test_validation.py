"""fastmlp._validation: features kept or converted, measured on request, a narrowing cast
that overflows refused (the scan itself: tests/test_finite.py)."""

import numpy as np
import pytest

from fastmlp import _validation as check


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


def test_measured_floats_give_their_largest_magnitude():
    X = np.random.default_rng(0).normal(size=(50, 5))
    X[37, 1] = -40.0
    out, largest = check.check_X(X, 5, "Dense(5→2)", np.float32, measure=True)
    assert largest == 40.0 and out.dtype == np.float32
    np.testing.assert_array_equal(out, X.astype(np.float32))


def test_measured_integers_are_none_when_kept_and_measured_when_converted():
    pixels = np.full((4, 5), 255, dtype=np.uint8)
    assert check.check_X(pixels, 5, "Dense(5→2)", np.float32, compact=True, measure=True)[1] \
        is None
    wide = np.full((4, 5), -7, dtype=np.int64)
    assert check.check_X(wide, 5, "Dense(5→2)", np.float32, compact=True, measure=True)[1] == 7.0

