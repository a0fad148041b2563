"""fastmlp._validation: the NaN/inf scan goes by slices and still names the first bad value."""

import numpy as np
import pytest

from fastmlp import _validation as check


@pytest.mark.parametrize("where", [(0, 0), (7, 3), (49, 4)])
def test_the_sliced_scan_names_the_first_non_finite_value(monkeypatch, where):
    monkeypatch.setattr(check, "_SCAN_ELEMENTS", 12)  # slices of two rows of five
    X = np.ones((50, 5), dtype=np.float32)
    X[where] = np.nan
    X[49, 4] = np.inf if where != (49, 4) else np.nan  # a later one is not reported first
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
