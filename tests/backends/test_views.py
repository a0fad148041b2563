"""fastmlp.backends._views: the views the fused kernel works on."""

import gc

import numba
import numpy as np
import pytest

from fastmlp.backends import _views as V


@numba.njit
def _view(flat, offset, rows, cols):
    return V.matrix_at(flat, offset, rows, cols)


@numba.njit
def _run(flat, offset, length):
    return V.vector_at(flat, offset, length)


@numba.njit
def _write(flat, offset, rows, cols, value):
    m = V.matrix_at(flat, offset, rows, cols)
    m[rows - 1, cols - 1] = value


@numba.njit
def _write_run(flat, offset, length, value):
    v = V.vector_at(flat, offset, length)
    v[length - 1] = value


@numba.njit
def _fresh_view(n, rows, cols):
    flat = np.arange(n).astype(np.float32)  # owned by nothing but the view returned
    return V.matrix_at(flat, 3, rows, cols)


@numba.njit
def _fresh_run(n, length):
    flat = np.arange(n).astype(np.float32)
    return V.vector_at(flat, 3, length)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 5, np.uint64(7)])
def test_a_matrix_at_an_offset_is_that_stretch_of_the_vector(dtype, offset):
    flat = np.arange(40, dtype=dtype)
    view = _view(flat, offset, 3, 4)
    expected = flat[int(offset):int(offset) + 12].reshape(3, 4)
    assert view.shape == (3, 4) and view.dtype == dtype and view.flags.c_contiguous
    np.testing.assert_array_equal(view, expected)
    assert np.shares_memory(view, flat)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
@pytest.mark.parametrize("offset", [0, 5, np.uint64(7)])
def test_a_run_at_an_offset_is_that_slice_of_the_vector(dtype, offset):
    flat = np.arange(40, dtype=dtype)
    run = _run(flat, offset, 6)
    assert run.shape == (6,) and run.dtype == dtype and run.flags.c_contiguous
    np.testing.assert_array_equal(run, flat[int(offset):int(offset) + 6])
    assert np.shares_memory(run, flat)


def test_writes_through_the_views_land_in_the_vector():
    flat = np.zeros(30, dtype=np.float32)
    _write(flat, 4, 2, 5, 7.0)
    assert flat[4 + 2 * 5 - 1] == 7.0 and flat.sum() == 7.0
    _write_run(flat, 20, 3, 2.0)
    assert flat[22] == 2.0 and flat.sum() == 9.0


def test_the_views_keep_their_vector_alive():
    view, run = _fresh_view(64, 4, 5), _fresh_run(64, 6)
    gc.collect()
    _fresh_view(64, 4, 5)  # reuse freed memory, were the vectors freed
    _fresh_run(64, 6)
    np.testing.assert_array_equal(view, np.arange(3, 23, dtype=np.float32).reshape(4, 5))
    np.testing.assert_array_equal(run, np.arange(3, 9, dtype=np.float32))


def test_empty_views_have_no_rows():
    assert _view(np.ones(8, dtype=np.float32), 8, 0, 4).shape == (0, 4)
    assert _run(np.ones(8, dtype=np.float32), 8, 0).shape == (0,)
