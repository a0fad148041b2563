"""fastmlp.gradient_tolerance: the error estimate of central differences, the relative error."""

import numpy as np
import pytest

import fastmlp.gradient_tolerance


def test_error_estimate_takes_truncation_and_rounding():
    numerical = [np.array([1.0, 2.0, 3.0]), np.array([5.0])]
    half_step = [np.array([1.0, 2.0 + 1e-8, 3.0]), np.array([5.0 - 3e-9])]
    kinks = [np.array([False, False, True]), np.array([False])]
    noise, tolerances = fastmlp.gradient_tolerance.error_estimate(numerical, half_step, kinks,
                                                                  1e-12)
    assert noise == pytest.approx(1e-8)  # the largest change off kinks
    np.testing.assert_allclose(tolerances[0], 2 * (np.array([0.0, 1e-8, 0.0]) + 1e-8))
    np.testing.assert_allclose(tolerances[1], 2 * (3e-9 + 1e-8))
    kinked = [np.array([False, False, True]), np.array([True])]
    noise, _ = fastmlp.gradient_tolerance.error_estimate(
        [np.array([1.0, 1.0, 1.0]), np.array([1.0])],
        [np.array([1.0, 1.0, 2.0]), np.array([3.0])], kinked, 1e-12)
    assert noise == 1e-12  # kinked coordinates say nothing about rounding; the floor stays


def test_relative_error_definition():
    err = fastmlp.gradient_tolerance.relative_error([1.0, 0.0, 1e-12], [1.1, 0.0, 0.0])
    np.testing.assert_allclose(err, [0.1 / 2.1, 0.0, 1e-4])
