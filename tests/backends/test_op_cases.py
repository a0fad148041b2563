"""fastmlp.backends.op_cases: the table covers every op and builds valid, reproducible arguments."""

import inspect

import numpy as np
import pytest

from fastmlp.backends import OPS, numpy_ops, op_cases
from fastmlp.backends.op_cases import CASES

from .helpers import DTYPES, build


def test_the_table_covers_every_op_but_the_numerical_gradient():
    assert set(CASES) == set(OPS) - {"numerical_gradient"}
    for name, case in CASES.items():
        params = inspect.signature(getattr(numpy_ops, name)).parameters
        built = build(name, np.float64, 2, 3, 4, seed=0)
        assert list(built) == list(params), name
        assert set(case.inputs + case.written + case.optional) <= set(params), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_same_seed_builds_the_same_arguments(name):
    a, b = (op_cases.build(name, np.float64, 3, 4, 5, seed=9) for _ in range(2))
    c = op_cases.build(name, np.float64, 3, 4, 5, seed=10)
    for arg in CASES[name].inputs:
        np.testing.assert_array_equal(a[arg], b[arg])
    assert any(not np.array_equal(a[arg], c[arg]) for arg in CASES[name].inputs), name


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(CASES))
def test_arrays_have_the_dtype_and_the_documented_shapes(name, dtype):
    n, p, q = 3, 4, 5
    shapes = {(n, p), (p, q), (n, q), (q,)}
    for arg, value in op_cases.build(name, dtype, n, p, q, seed=0).items():
        if not isinstance(value, np.ndarray):
            continue
        if arg == "y":
            assert value.dtype.kind == "i" and value.shape == (n,), name
            assert value.min() >= 0 and value.max() < q, name
            continue
        if arg == "weights":
            assert value.dtype == dtype and value.shape == (n,), name
            assert value.min() >= 0, name
            continue
        assert value.dtype == dtype, f"{name}: {arg}"
        assert value.shape in shapes, f"{name}: {arg} {value.shape}"
        assert value.flags.c_contiguous, f"{name}: {arg}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_reference_accepts_the_arguments_and_writes_finite_values(name):
    kwargs = op_cases.build(name, np.float64, 6, 5, 4, seed=3)
    result = getattr(numpy_ops, name)(**kwargs)
    assert (result is not None) == CASES[name].returns, name
    if CASES[name].returns:
        assert np.isfinite(result)
    for arg in CASES[name].written:
        assert np.isfinite(kwargs[arg]).all(), f"{name}: {arg}"


def test_the_sigmoid_case_saturates_in_float32():
    kwargs = op_cases.build("sigmoid_forward", np.float32, 16, 16, 1, seed=0)
    numpy_ops.sigmoid_forward(**kwargs)
    assert np.any(kwargs["out"] == 1.0)  # exp(-z) below half an ulp of 1
    assert kwargs["out"].min() < 1e-12  # and deep in the lower tail
