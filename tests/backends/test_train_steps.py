"""fastmlp.backends._train_steps: the views the fused kernel works on."""

import gc

import numba
import numpy as np
import pytest

from fastmlp.backends import _train_steps as S


@numba.njit
def _view(flat, offset, rows, cols):
    return S.matrix_at(flat, offset, rows, cols)


@numba.njit
def _write(flat, offset, rows, cols, value):
    m = S.matrix_at(flat, offset, rows, cols)
    m[rows - 1, cols - 1] = value


@numba.njit
def _fresh_view(n, rows, cols):
    flat = np.arange(n).astype(np.float32)  # owned by nothing but the view returned
    return S.matrix_at(flat, 3, rows, cols)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 5, np.uint64(7)])
def test_a_matrix_at_an_offset_is_that_stretch_of_the_vector(dtype, offset):
    flat = np.arange(40, dtype=dtype)
    view = _view(flat, offset, 3, 4)
    expected = flat[int(offset):int(offset) + 12].reshape(3, 4)
    assert view.shape == (3, 4) and view.dtype == dtype and view.flags.c_contiguous
    np.testing.assert_array_equal(view, expected)
    assert np.shares_memory(view, flat)


def test_writes_through_the_view_land_in_the_vector():
    flat = np.zeros(30, dtype=np.float32)
    _write(flat, 4, 2, 5, 7.0)
    assert flat[4 + 2 * 5 - 1] == 7.0 and flat.sum() == 7.0


def test_the_view_keeps_its_vector_alive():
    view = _fresh_view(64, 4, 5)
    gc.collect()
    _fresh_view(64, 4, 5)  # reuses freed memory, were the first vector freed
    np.testing.assert_array_equal(view, np.arange(3, 23, dtype=np.float32).reshape(4, 5))


def test_an_empty_matrix_has_no_rows():
    assert _view(np.ones(8, dtype=np.float32), 8, 0, 4).shape == (0, 4)
