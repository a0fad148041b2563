"""fastmlp.backends._prefetch: a prefetch hint, which compiles to LLVM's and changes nothing."""

import numba
import numpy as np
import pytest
from numba.core.errors import TypingError

from fastmlp.backends._prefetch import prefetch


@numba.njit
def _ask(flat, offsets):
    for offset in offsets:
        prefetch(flat, offset)
    return flat.sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_a_prefetch_leaves_the_values_as_they_are(dtype):
    flat = np.arange(100).astype(dtype)
    before = flat.copy()
    total = _ask(flat, np.array([0, 17, 99], dtype=np.int64))
    np.testing.assert_array_equal(flat, before)
    assert total == before.sum()


def test_a_prefetch_past_the_end_of_the_array_does_nothing():
    # The gather asks for a row's first lines, which may run past the data's last element.
    flat = np.ones(10, dtype=np.float32)
    assert _ask(flat, np.array([10, 4096, 1 << 20], dtype=np.int64)) == 10.0


def test_it_compiles_to_llvms_prefetch():
    flat = np.ones(8, dtype=np.float32)
    _ask(flat, np.zeros(1, dtype=np.int64))
    code = "".join(_ask.inspect_llvm().values())
    assert "@llvm.prefetch" in code


def test_only_a_1d_array_and_an_integer_offset_are_accepted():
    with pytest.raises(TypingError):
        _ask(np.ones((2, 4), dtype=np.float32), np.zeros(1, dtype=np.int64))
    with pytest.raises(TypingError):
        _ask(np.ones(4, dtype=np.float32), np.zeros(1, dtype=np.float64))
