"""numba_ops against the reference: parity on the shared op table (odd shapes, memory layouts,
optional arrays, in place, non-finite values, hypothesis-drawn shapes), GEMMs at MNIST sizes,
optimizers over several steps, and the wrappers' argument checks."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlp.backends import numba_ops, numpy_ops
from fastmlp.backends.op_cases import CASES

from .helpers import (
    DTYPES,
    LAYOUTS,
    OPTIMIZER_CONFIGS,
    TOL,
    assert_parity,
    build,
    config_id,
    relayout,
    run_optimizer,
)

# --------------------------------------------------------------------------- parity

ODD_SHAPES = [  # (n, p, q): batch, inputs/features, outputs/classes
    (1, 1, 1),
    (1, 5, 1),
    (6, 1, 3),
    (4, 3, 1),
    (1, 7, 4),
    (5, 3, 8),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", ODD_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(CASES))
def test_parity_odd_shapes(name, dtype, shape, layout):
    assert_parity(name, dtype, build(name, dtype, *shape, seed=sum(shape), layout=layout))


def _subsets(items):
    return [c for r in range(len(items) + 1) for c in itertools.combinations(items, r)]


@pytest.mark.parametrize(
    ("name", "drop"),
    [(name, drop) for name, case in sorted(CASES.items()) for drop in _subsets(case.optional)[1:]],
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_parity_with_optional_arrays_none(name, drop, dtype):
    assert_parity(name, dtype, build(name, dtype, 3, 4, 5, seed=1, drop=drop))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(CASES))
@settings(deadline=None, max_examples=25, database=None)
@given(
    n=st.integers(1, 9),
    p=st.integers(1, 9),
    q=st.integers(1, 9),
    layout=st.sampled_from(LAYOUTS),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_parity_hypothesis(name, dtype, n, p, q, layout, seed, data):
    optional = CASES[name].optional
    drop = data.draw(st.sets(st.sampled_from(optional))) if optional else ()
    assert_parity(name, dtype, build(name, dtype, n, p, q, seed, layout, tuple(drop)))


def _in_place_cases():
    """(op, output, input) where the output may be the input's own buffer: elementwise and row ops.

    GEMMs are excluded: BLAS does not allow its output to overlap an operand.
    """
    for name, case in sorted(CASES.items()):
        if name.startswith("dense") or len(case.written) != 1 or name.endswith("_update"):
            continue
        yield name, case.written[0], case.inputs[0]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("name", "out", "source"), list(_in_place_cases()))
def test_parity_in_place(name, out, source, dtype):
    kwargs = build(name, dtype, 4, 3, 5, seed=6)
    kwargs[out] = kwargs[source]
    assert_parity(name, dtype, kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(set(CASES) - {"dense_forward", "dense_backward"}))
def test_parity_with_non_finite_inputs(name, dtype):
    # NaN and inf must travel the same way through both backends (a diverging run has to look
    # the same in either). BLAS ops are left out: how a GEMM treats inf * 0 is BLAS's business.
    kwargs = build(name, dtype, 3, 4, 5, seed=4)
    for arg in CASES[name].inputs:
        if kwargs[arg].dtype.kind == "f":
            kwargs[arg].flat[:3] = [np.nan, np.inf, -np.inf]
    with np.errstate(all="ignore"):
        assert_parity(name, dtype, kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("n", "n_in", "n_out"), [(128, 784, 128), (128, 128, 10), (1, 784, 128)])
def test_dense_parity_at_mnist_sizes(dtype, n, n_in, n_out):
    # With a long inner dimension two correct GEMMs may differ by more than an elementwise rtol
    # where a sum nearly cancels, so compare against the standard forward error bound instead:
    # a length-k dot product is within k * u * (|x| @ |W|) of exact (u = eps / 2), so two
    # implementations are within k * eps of each other; one more rounding for the bias.
    rng = np.random.default_rng(7)
    x, W = rng.standard_normal((n, n_in)).astype(dtype), rng.standard_normal((n_in, n_out))
    W, b = W.astype(dtype), rng.standard_normal(n_out).astype(dtype)
    dz = rng.standard_normal((n, n_out)).astype(dtype)
    eps = np.finfo(dtype).eps
    ax, aW, adz = (np.abs(a).astype(np.float64) for a in (x, W, dz))

    outs = [np.empty((n, n_out), dtype) for _ in range(2)]
    grads = [[np.empty((n, n_in), dtype), np.empty_like(W), np.empty_like(b)] for _ in range(2)]
    for module, out, (dx, dW, db) in zip((numpy_ops, numba_ops), outs, grads):
        module.dense_forward(x, W, b, out)
        module.dense_backward(x, W, dz, dx, dW, db)

    bound_out = (n_in + 1) * eps * (ax @ aW + np.abs(b))
    assert np.all(np.abs(outs[1] - outs[0]) <= bound_out)
    bound_dx = n_out * eps * (adz @ aW.T)
    bound_dW = n * eps * (ax.T @ adz)
    bound_db = n * eps * adz.sum(axis=0)
    for got, want, bound in zip(grads[1], grads[0], (bound_dx, bound_dW, bound_db)):
        assert np.all(np.abs(got - want) <= bound)


# --------------------------------------------------------------------------- optimizers


@pytest.mark.parametrize("shape", [(7,), (5, 3)], ids=["bias", "weight"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS, ids=config_id)
def test_optimizer_parity_over_several_steps(config, dtype, shape):
    kind, hyper = config
    rng = np.random.default_rng(3)
    param = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(5)]
    grads[2] = relayout(grads[2], "strided")  # a non-contiguous gradient on one step
    want = run_optimizer(numpy_ops, kind, hyper, param, grads)
    got = run_optimizer(numba_ops, kind, hyper, param, grads)
    for g, w, what in zip(got, want, ("param", "state0", "state1")):
        np.testing.assert_allclose(g, w, **TOL[dtype], err_msg=f"{kind}: {what}")


# --------------------------------------------------------------------------- wrapper safety


def _written_arrays():
    return [(name, arg) for name, case in sorted(CASES.items()) for arg in case.written]


def _input_arrays():
    return [(name, arg) for name, case in sorted(CASES.items()) for arg in case.inputs]


@pytest.mark.parametrize(("name", "arg"), _written_arrays())
def test_misshaped_output_raises(name, arg):
    kwargs = build(name, np.float64, 3, 4, 5, seed=2)
    good = kwargs[arg]
    kwargs[arg] = np.zeros(good.shape[:-1] + (good.shape[-1] + 1,), good.dtype)
    with pytest.raises(ValueError, match=name):
        getattr(numba_ops, name)(**kwargs)


@pytest.mark.parametrize(("name", "arg"), _written_arrays())
def test_non_contiguous_output_raises(name, arg):
    kwargs = build(name, np.float64, 3, 4, 5, seed=2)
    kwargs[arg] = relayout(kwargs[arg], "strided")
    assert not kwargs[arg].flags.c_contiguous
    with pytest.raises(ValueError, match=f"{name}.*{arg}.*C-contiguous"):
        getattr(numba_ops, name)(**kwargs)


@pytest.mark.parametrize(("name", "arg"), _input_arrays())
def test_misshaped_input_raises(name, arg):
    kwargs = build(name, np.float64, 3, 4, 5, seed=2)
    good = kwargs[arg]
    kwargs[arg] = np.zeros(good.shape[:-1] + (good.shape[-1] + 1,), good.dtype)
    with pytest.raises(ValueError, match=name):
        getattr(numba_ops, name)(**kwargs)


@pytest.mark.parametrize("name", ["softmax_xent", "softmax_xent_backward"])
@pytest.mark.parametrize("label", [-1, 5, 1000])
def test_labels_outside_the_classes_raise(name, label):
    kwargs = build(name, np.float64, 3, 4, 5, seed=2)
    kwargs["y"][1] = label
    with pytest.raises(ValueError, match=rf"{name}: label y\[1\] = {label}"):
        getattr(numba_ops, name)(**kwargs)
