"""fastmlp.backends._blas: the kernels' matmul, for every transpose combination, both float
types, the BLAS path and the small-product loop, empty operands."""

import numba
import numpy as np
import pytest

from fastmlp.backends._blas import SMALL_GEMM, matmul, matmul_at


@numba.njit
def _matmul(a, trans_a, b, trans_b, out):
    matmul(a, trans_a, b, trans_b, out)


def _operands(rng, m, k, n, trans_a, trans_b, dtype):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    expected = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b)
    return a, b, expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_products_match_numpy_for_every_transpose(trans_a, trans_b, dtype):
    rng = np.random.default_rng(0)
    m, k, n = 37, 53, 29  # unequal, so a swapped dimension or leading dimension shows
    assert m * k * n > SMALL_GEMM  # through BLAS
    a, b, expected = _operands(rng, m, k, n, trans_a, trans_b, dtype)
    out = np.full((m, n), np.nan, dtype=dtype)
    _matmul(a, trans_a, b, trans_b, out)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * k)


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_small_products_take_the_loop(trans_a, trans_b):
    rng = np.random.default_rng(1)
    m, k, n = 3, 5, 4
    assert m * k * n <= SMALL_GEMM
    a, b, expected = _operands(rng, m, k, n, trans_a, trans_b, np.float64)
    out = np.full((m, n), np.nan)
    _matmul(a, trans_a, b, trans_b, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("m, k, n", [(4, 0, 3), (64, 0, 64)])
def test_a_product_over_an_empty_inner_dimension_is_zero(m, k, n):
    a, b = np.empty((m, k)), np.empty((k, n))
    out = np.full((m, n), np.nan)
    _matmul(a, False, b, False, out)  # BLAS would refuse these strides: never called
    assert (out == 0).all()


def test_an_empty_output_is_left_alone():
    a, b = np.empty((0, 500)), np.ones((500, 300))
    out = np.empty((0, 300))
    _matmul(a, False, b, False, out)
    assert out.shape == (0, 300)


@numba.njit
def _matmul_at_columns(a, trans_a, b, trans_b, out, parts):
    """``out = op(a) @ op(b)`` with everything flat, the result's columns in ``parts`` shares
    (one call each, as the members of a team multiply)."""
    m, n = out.shape
    k = a.shape[0] if trans_a else a.shape[1]
    lda, ldb = a.shape[1], b.shape[1]
    flat_a, flat_b, flat_out = a.reshape(-1), b.reshape(-1), out.reshape(-1)
    for part in range(parts):
        c0, c1 = n * part // parts, n * (part + 1) // parts
        # A share of op(b)'s columns: columns of b, or rows of b when it is transposed.
        b_off = c0 * ldb if trans_b else c0
        matmul_at(flat_a, 0, lda, trans_a, flat_b, b_off, ldb, trans_b, flat_out, c0, n, m,
                  c1 - c0, k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("m, k, n", [(37, 53, 29), (3, 5, 4)], ids=["blas", "loop"])
def test_matmul_at_on_whole_matrices_gives_matmul_bits(m, k, n, trans_a, trans_b, dtype):
    rng = np.random.default_rng(2)
    a, b, _ = _operands(rng, m, k, n, trans_a, trans_b, dtype)
    whole, flat = np.full((m, n), np.nan, dtype=dtype), np.full((m, n), np.nan, dtype=dtype)
    _matmul(a, trans_a, b, trans_b, whole)
    _matmul_at_columns(a, trans_a, b, trans_b, flat, 1)
    np.testing.assert_array_equal(flat, whole)


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matmul_at_shares_of_columns_make_the_product(trans_a, trans_b):
    rng = np.random.default_rng(3)
    for (m, k, n), parts in (((37, 53, 29), 2), ((37, 53, 29), 3), ((3, 5, 4), 3)):
        a, b, expected = _operands(rng, m, k, n, trans_a, trans_b, np.float64)
        out = np.full((m, n), np.nan)
        _matmul_at_columns(a, trans_a, b, trans_b, out, parts)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12 * k)
        if m * k * n <= SMALL_GEMM:  # the loop adds each element's terms in one order
            whole = np.empty_like(out)
            _matmul(a, trans_a, b, trans_b, whole)
            np.testing.assert_array_equal(out, whole)
