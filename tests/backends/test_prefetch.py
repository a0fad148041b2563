"""fastmlp.backends._prefetch: the gather's prefetch hint, which compiles to LLVM's and
changes nothing (the gather itself is compared with the layer-by-layer path, in teams
whose shares have fewer rows than are asked for ahead, in tests/training/test_fused.py)."""

import numba
import numpy as np
import pytest
from numba.core.errors import TypingError

from fastmlp.backends._prefetch import ROW_PREFETCH_LINES, prefetch_row_start


@numba.njit
def _ask(flat, offsets):
    for offset in offsets:
        prefetch_row_start(flat, offset)
    return flat.sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_a_prefetch_leaves_the_values_as_they_are(dtype):
    flat = np.arange(100).astype(dtype)
    before = flat.copy()
    total = _ask(flat, np.array([0, 17, 99], dtype=np.int64))
    np.testing.assert_array_equal(flat, before)
    assert total == before.sum()


def test_a_prefetch_past_the_end_of_the_array_does_nothing():
    # A short last row's lines run past the data's last element.
    flat = np.ones(10, dtype=np.float32)
    assert _ask(flat, np.array([9, 10, 4096, 1 << 20], dtype=np.int64)) == 10.0


@numba.njit
def _ask_once(flat, offset):
    prefetch_row_start(flat, offset)


def test_it_asks_for_each_line_of_a_row_start_once():
    _ask_once(np.ones(8, dtype=np.float32), 3)
    code = "".join(_ask_once.inspect_llvm().values())
    calls = [line for line in code.splitlines() if "call void @llvm.prefetch" in line]
    assert len(calls) == ROW_PREFETCH_LINES


def test_only_a_1d_array_and_an_integer_offset_are_accepted():
    with pytest.raises(TypingError):
        _ask(np.ones((2, 4), dtype=np.float32), np.zeros(1, dtype=np.int64))
    with pytest.raises(TypingError):
        _ask(np.ones(4, dtype=np.float32), np.zeros(1, dtype=np.float64))
