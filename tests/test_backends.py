"""The backend seam: contract, NumPy-vs-Numba parity, the reference against the maths and torch.

One table (``CASES``) says how to build the arguments of every op; the parity, odd-shape,
hypothesis and wrapper-safety tests are all driven from it.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlp.backends import OPS, numba_ops, numpy_ops

DTYPES = (np.float32, np.float64)

# Parity tolerances: float32 kernels differ from NumPy's in summation order and in the last ulp
# of exp/tanh; float64 ones only in BLAS blocking and libm ulps.
TOL = {
    np.float32: {"rtol": 1e-5, "atol": 1e-6},
    np.float64: {"rtol": 1e-12, "atol": 1e-12},
}

# --------------------------------------------------------------------------- the table of cases


def _uniform(rng, shape, dtype, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape).astype(dtype)


def _with_zeros(rng, shape, dtype):
    """Uniform values with exact zeros sprinkled in, to pin down behaviour at the ReLU kink."""
    z = _uniform(rng, shape, dtype)
    z[rng.random(shape) < 0.2] = 0
    return z


def _probs(rng, n, k, dtype):
    p = rng.random((n, k)) + 1e-3
    return (p / p.sum(axis=1, keepdims=True)).astype(dtype)


def _mask(rng, shape, dtype, p_drop=0.5):
    return np.where(rng.random(shape) < p_drop, 0.0, 1.0 / (1.0 - p_drop)).astype(dtype)


@dataclass(frozen=True)
class Case:
    """How to call one op: ``build(rng, dtype, n, p, q)`` returns its keyword arguments."""

    build: Callable
    inputs: tuple = ()  # read-only arrays; the parity tests also pass them non-contiguous
    written: tuple = ()  # arrays the op writes; compared after the call
    optional: tuple = ()  # arguments that may be None
    returns: bool = False  # the op returns a loss value


CASES = {
    "dense_forward": Case(
        lambda r, d, n, p, q: {
            "x": _uniform(r, (n, p), d),
            "W": _uniform(r, (p, q), d),
            "b": _uniform(r, (q,), d),
            "out": np.empty((n, q), d),
        },
        inputs=("x", "W", "b"),
        written=("out",),
        optional=("b",),
    ),
    "dense_backward": Case(
        lambda r, d, n, p, q: {
            "x": _uniform(r, (n, p), d),
            "W": _uniform(r, (p, q), d),
            "dz": _uniform(r, (n, q), d),
            "dx": np.empty((n, p), d),
            "dW": np.empty((p, q), d),
            "db": np.empty((q,), d),
        },
        inputs=("x", "W", "dz"),
        written=("dx", "dW", "db"),
        optional=("dx", "db"),
    ),
    "relu_forward": Case(
        lambda r, d, n, p, q: {"z": _with_zeros(r, (n, p), d), "out": np.empty((n, p), d)},
        inputs=("z",),
        written=("out",),
    ),
    "relu_backward": Case(
        lambda r, d, n, p, q: {
            "z": _with_zeros(r, (n, p), d),
            "da": _uniform(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("z", "da"),
        written=("out",),
    ),
    "leaky_relu_forward": Case(
        lambda r, d, n, p, q: {
            "z": _with_zeros(r, (n, p), d),
            "alpha": 0.01,
            "out": np.empty((n, p), d),
        },
        inputs=("z",),
        written=("out",),
    ),
    "leaky_relu_backward": Case(
        lambda r, d, n, p, q: {
            "z": _with_zeros(r, (n, p), d),
            "alpha": 0.2,
            "da": _uniform(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("z", "da"),
        written=("out",),
    ),
    "sigmoid_forward": Case(
        # Wide enough that some entries saturate in float32.
        lambda r, d, n, p, q: {"z": _uniform(r, (n, p), d, -40, 40), "out": np.empty((n, p), d)},
        inputs=("z",),
        written=("out",),
    ),
    "sigmoid_backward": Case(
        lambda r, d, n, p, q: {
            "a": _uniform(r, (n, p), d, 0, 1),
            "da": _uniform(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("a", "da"),
        written=("out",),
    ),
    "tanh_forward": Case(
        lambda r, d, n, p, q: {"z": _uniform(r, (n, p), d, -5, 5), "out": np.empty((n, p), d)},
        inputs=("z",),
        written=("out",),
    ),
    "tanh_backward": Case(
        lambda r, d, n, p, q: {
            "a": _uniform(r, (n, p), d, -1, 1),
            "da": _uniform(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("a", "da"),
        written=("out",),
    ),
    "softmax_forward": Case(
        lambda r, d, n, p, q: {"z": _uniform(r, (n, q), d, -30, 30), "out": np.empty((n, q), d)},
        inputs=("z",),
        written=("out",),
    ),
    "softmax_xent": Case(
        lambda r, d, n, p, q: {
            "logits": _uniform(r, (n, q), d, -10, 10),
            "y": r.integers(0, q, size=n),
            "probs": np.empty((n, q), d),
        },
        inputs=("logits", "y"),
        written=("probs",),
        returns=True,
    ),
    "softmax_xent_backward": Case(
        lambda r, d, n, p, q: {
            "probs": _probs(r, n, q, d),
            "y": r.integers(0, q, size=n),
            "dlogits": np.empty((n, q), d),
        },
        inputs=("probs", "y"),
        written=("dlogits",),
    ),
    "mse": Case(
        lambda r, d, n, p, q: {"pred": _uniform(r, (n, p), d), "target": _uniform(r, (n, p), d)},
        inputs=("pred", "target"),
        returns=True,
    ),
    "mse_backward": Case(
        lambda r, d, n, p, q: {
            "pred": _uniform(r, (n, p), d),
            "target": _uniform(r, (n, p), d),
            "dpred": np.empty((n, p), d),
        },
        inputs=("pred", "target"),
        written=("dpred",),
    ),
    "dropout_forward": Case(
        lambda r, d, n, p, q: {
            "x": _uniform(r, (n, p), d),
            "mask": _mask(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("x", "mask"),
        written=("out",),
    ),
    "dropout_backward": Case(
        lambda r, d, n, p, q: {
            "da": _uniform(r, (n, p), d),
            "mask": _mask(r, (n, p), d),
            "out": np.empty((n, p), d),
        },
        inputs=("da", "mask"),
        written=("out",),
    ),
    "sgd_update": Case(
        lambda r, d, n, p, q: {
            "param": _uniform(r, (p, q), d),
            "grad": _uniform(r, (p, q), d),
            "velocity": _uniform(r, (p, q), d),
            "lr": 0.1,
            "momentum": 0.9,
            "nesterov": True,
            "weight_decay": 0.01,
        },
        inputs=("grad",),
        written=("param", "velocity"),
    ),
    "rmsprop_update": Case(
        lambda r, d, n, p, q: {
            "param": _uniform(r, (p, q), d),
            "grad": _uniform(r, (p, q), d),
            "sq_avg": _uniform(r, (p, q), d, 0.1, 1),
            "lr": 0.01,
            "rho": 0.9,
            "eps": 1e-8,
            "weight_decay": 0.01,
        },
        inputs=("grad",),
        written=("param", "sq_avg"),
    ),
    "adam_update": Case(
        lambda r, d, n, p, q: {
            "param": _uniform(r, (p, q), d),
            "grad": _uniform(r, (p, q), d),
            "m": _uniform(r, (p, q), d, -0.1, 0.1),
            "v": _uniform(r, (p, q), d, 0.01, 0.1),
            "lr": 1e-3,
            "beta1": 0.9,
            "beta2": 0.999,
            "eps": 1e-8,
            "step": 3,
            "weight_decay": 0.01,
            "decoupled": True,
        },
        inputs=("grad",),
        written=("param", "m", "v"),
    ),
}

LAYOUTS = ("C", "F", "strided")


def _relayout(a, layout):
    """The same values as ``a`` in another memory layout (not C-contiguous when possible)."""
    if layout == "C":
        return a
    if layout == "F" and a.ndim == 2:
        return a.T.copy().T  # a transposed copy: F-contiguous
    # Every other element of a twice-as-wide buffer: a non-contiguous view.
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def _build(name, dtype, n, p, q, seed, layout="C", drop=()):
    case = CASES[name]
    kwargs = case.build(np.random.default_rng(seed), dtype, n, p, q)
    for arg in drop:
        kwargs[arg] = None
    for arg in case.inputs:
        if kwargs[arg] is not None:
            kwargs[arg] = _relayout(kwargs[arg], layout)
    return kwargs


def _copy(kwargs):
    """Copy every array argument, keeping arguments that were one array one array."""
    copies = {}
    for v in kwargs.values():
        if isinstance(v, np.ndarray) and id(v) not in copies:
            copies[id(v)] = v.copy()
    return {k: copies.get(id(v), v) for k, v in kwargs.items()}


def _assert_parity(name, dtype, kwargs):
    """Run ``name`` in both backends on copies of ``kwargs``; compare results and outputs."""
    case = CASES[name]
    ref_kwargs, fast_kwargs = _copy(kwargs), _copy(kwargs)
    ref = getattr(numpy_ops, name)(**ref_kwargs)
    fast = getattr(numba_ops, name)(**fast_kwargs)
    tol = TOL[dtype]
    if case.returns:
        assert type(fast) is float and type(ref) is float
        np.testing.assert_allclose(fast, ref, **tol, err_msg=f"{name} returned value")
    else:
        assert fast is None and ref is None
    for arg in case.written:
        if ref_kwargs[arg] is None:
            continue
        got, want = fast_kwargs[arg], ref_kwargs[arg]
        assert got.dtype == want.dtype == dtype
        np.testing.assert_allclose(got, want, **tol, err_msg=f"{name}: {arg}")


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
def test_every_backend_exports_every_op(module):
    missing = [name for name in OPS if not callable(getattr(module, name, None))]
    assert not missing, f"{module.__name__} lacks {missing}"


@pytest.mark.parametrize("name", OPS)
def test_signatures_match_the_reference(name):
    ref = inspect.signature(getattr(numpy_ops, name))
    fast = inspect.signature(getattr(numba_ops, name))
    assert fast == ref, f"{name}: numba {fast} != numpy {ref}"


def test_the_table_covers_every_op_but_the_numerical_gradient():
    assert set(CASES) == set(OPS) - {"numerical_gradient"}
    for name, case in CASES.items():
        params = inspect.signature(getattr(numpy_ops, name)).parameters
        built = _build(name, np.float64, 2, 3, 4, seed=0)
        assert list(built) == list(params), name
        assert set(case.inputs + case.written + case.optional) <= set(params), name


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
    _assert_parity(name, dtype, _build(name, dtype, *shape, seed=sum(shape), layout=layout))


def _subsets(items):
    return [c for r in range(len(items) + 1) for c in itertools.combinations(items, r)]


@pytest.mark.parametrize(
    ("name", "drop"),
    [(name, drop) for name, case in sorted(CASES.items()) for drop in _subsets(case.optional)[1:]],
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_parity_with_optional_arrays_none(name, drop, dtype):
    _assert_parity(name, dtype, _build(name, dtype, 3, 4, 5, seed=1, drop=drop))


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
    _assert_parity(name, dtype, _build(name, dtype, n, p, q, seed, layout, tuple(drop)))


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
    kwargs = _build(name, dtype, 4, 3, 5, seed=6)
    kwargs[out] = kwargs[source]
    _assert_parity(name, dtype, kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(set(CASES) - {"dense_forward", "dense_backward"}))
def test_parity_with_non_finite_inputs(name, dtype):
    # NaN and inf must travel the same way through both backends (a diverging run has to look
    # the same in either). BLAS ops are left out: how a GEMM treats inf * 0 is BLAS's business.
    kwargs = _build(name, dtype, 3, 4, 5, seed=4)
    for arg in CASES[name].inputs:
        if kwargs[arg].dtype.kind == "f":
            kwargs[arg].flat[:3] = [np.nan, np.inf, -np.inf]
    with np.errstate(all="ignore"):
        _assert_parity(name, dtype, kwargs)


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


def _optimizer_configs():
    for momentum, nesterov, wd in itertools.product((0.0, 0.9), (False, True), (0.0, 0.05)):
        if nesterov and not momentum:
            continue
        yield "sgd", {"lr": 0.1, "momentum": momentum, "nesterov": nesterov, "weight_decay": wd}
    for wd in (0.0, 0.05):
        yield "rmsprop", {"lr": 0.01, "rho": 0.9, "eps": 1e-8, "weight_decay": wd}
    for wd, decoupled in itertools.product((0.0, 0.05), (False, True)):
        hyper = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
        yield "adam", {**hyper, "weight_decay": wd, "decoupled": decoupled}


OPTIMIZER_CONFIGS = list(_optimizer_configs())


def _config_id(config):
    kind, hyper = config
    flags = ",".join(f"{k}={v}" for k, v in hyper.items() if k not in ("lr", "eps"))
    return f"{kind}[{flags}]"


def _run_optimizer(module, kind, hyper, param, grads):
    """Apply one step per gradient in ``grads`` to a copy of ``param``; return param and state."""
    param = param.copy()
    state = [np.zeros_like(param) for _ in range({"sgd": 1, "rmsprop": 1, "adam": 2}[kind])]
    for step, grad in enumerate(grads, start=1):
        if kind == "sgd":
            module.sgd_update(param, grad, state[0], **hyper)
        elif kind == "rmsprop":
            module.rmsprop_update(param, grad, state[0], **hyper)
        else:
            module.adam_update(param, grad, state[0], state[1], step=step, **hyper)
    return [param, *state]


@pytest.mark.parametrize("shape", [(7,), (5, 3)], ids=["bias", "weight"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS, ids=_config_id)
def test_optimizer_parity_over_several_steps(config, dtype, shape):
    kind, hyper = config
    rng = np.random.default_rng(3)
    param = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(5)]
    grads[2] = _relayout(grads[2], "strided")  # a non-contiguous gradient on one step
    want = _run_optimizer(numpy_ops, kind, hyper, param, grads)
    got = _run_optimizer(numba_ops, kind, hyper, param, grads)
    for g, w, what in zip(got, want, ("param", "state0", "state1")):
        np.testing.assert_allclose(g, w, **TOL[dtype], err_msg=f"{kind}: {what}")


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
def test_sgd_without_momentum_ignores_velocity(module):
    param = np.array([1.0, -2.0])
    module.sgd_update(param, np.array([0.5, 0.5]), None, 0.1, 0.0, False, 0.0)
    np.testing.assert_array_equal(param, [0.95, -2.05])


# --------------------------------------------------------------------------- the reference vs maths


def test_reference_dense_by_hand():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    W = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]])
    b = np.array([0.5, -0.5, 0.0])
    out = np.empty((2, 3))
    numpy_ops.dense_forward(x, W, b, out)
    np.testing.assert_array_equal(out, [[-0.5, 1.5, 3.0], [4.5, -1.5, 5.5]])

    dz = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    dx, dW, db = np.empty((2, 2)), np.empty((2, 3)), np.empty(3)
    numpy_ops.dense_backward(x, W, dz, dx, dW, db)
    # dx[i, a] = sum_j dz[i, j] W[a, j];  dW[a, j] = sum_i x[i, a] dz[i, j];  db = column sums.
    np.testing.assert_array_equal(dx, [[-1.0, -1.5], [2.0, -1.0]])
    np.testing.assert_array_equal(dW, [[7.0, 3.0, -1.0], [0.0, -1.0, -2.0]])
    np.testing.assert_array_equal(db, [3.0, 1.0, -1.0])


def test_reference_softmax_xent_matches_the_definition():
    rng = np.random.default_rng(0)
    logits = rng.uniform(-3, 3, size=(5, 4))
    y = np.array([0, 3, 1, 1, 2])
    probs = np.empty_like(logits)
    loss = numpy_ops.softmax_xent(logits, y, probs)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, softmax, rtol=1e-14)
    assert loss == pytest.approx(-np.mean(np.log(softmax[np.arange(5), y])), rel=1e-14)

    dlogits = np.empty_like(logits)
    numpy_ops.softmax_xent_backward(probs, y, dlogits)
    np.testing.assert_allclose(dlogits, (softmax - np.eye(4)[y]) / 5, rtol=1e-14, atol=1e-16)

    out = np.empty_like(logits)
    numpy_ops.softmax_forward(logits, out)
    np.testing.assert_allclose(out, softmax, rtol=1e-14)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_softmax_xent_is_stable_for_huge_logits(module, dtype):
    # Naive exp(1000) overflows; log-sum-exp with the row max gives the exact answer.
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0], [-1000.0, -1000.0]], dtype)
    probs = np.empty_like(logits)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = module.softmax_xent(logits, np.array([0, 0, 1]), probs)
    assert loss == pytest.approx((0.0 + 1000.0 + np.log(2.0)) / 3, rel=1e-6)
    np.testing.assert_allclose(probs, [[1, 0], [0, 1], [0.5, 0.5]], atol=1e-30)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sigmoid_saturates_without_overflow(module, dtype):
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype)
    out = np.empty_like(z)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        module.sigmoid_forward(z, out)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[0.0, np.exp(-50.0), 0.5, 1.0, 1.0]], rtol=1e-6, atol=0)


def _ulp_error(got, exact, dtype):
    """``|got - exact|`` in units of the last place of ``exact`` rounded to ``dtype``."""
    spacing = np.spacing(np.abs(exact).astype(dtype)).astype(np.longdouble)
    return np.abs(got.astype(np.longdouble) - exact) / spacing


def _accuracy_grid(dtype):
    """Random and log-spaced points from subnormal to saturated, both signs, as (rows, 200)."""
    rng = np.random.default_rng(0)
    tiny = np.finfo(dtype).smallest_subnormal
    parts = [
        rng.uniform(-40, 40, 20_000),
        rng.uniform(-1, 1, 20_000),
        np.geomspace(tiny, 40, 20_000),
        np.linspace(0.3, 0.7, 2_000),  # where the numba tanh switches formula
    ]
    return np.concatenate(parts + [-p for p in parts]).astype(dtype).reshape(-1, 200)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    ("name", "exact"),
    [("tanh_forward", np.tanh), ("sigmoid_forward", lambda z: 1 / (1 + np.exp(-z)))],
    ids=["tanh", "sigmoid"],
)
def test_transcendental_activations_are_accurate_to_3_ulp(name, exact, dtype, module):
    # The numba kernels use their own vectorisable exp/tanh; both backends measured <= 2.7 ulp
    # on this grid against an extended-precision reference.
    if np.finfo(np.longdouble).nmant <= np.finfo(dtype).nmant:
        pytest.skip("np.longdouble is no wider than this dtype here")
    z = _accuracy_grid(dtype)
    out = np.empty_like(z)
    with np.errstate(over="ignore"):
        getattr(module, name)(z, out)
        reference = exact(z.astype(np.longdouble))
    errors = _ulp_error(out, reference, dtype)
    worst = np.argmax(errors)
    assert errors.flat[worst] <= 3, f"{errors.flat[worst]:.2f} ulp at z = {z.flat[worst]!r}"


def _central_difference(f, z, h=1e-6):
    """Elementwise derivative of an elementwise function by central differences (float64)."""
    return (f(z + h) - f(z - h)) / (2 * h)


def _apply(op, *args):
    out = np.empty_like(args[-1])
    op(*args, out)
    return out


@pytest.mark.parametrize(
    ("forward", "backward", "takes_output"),
    [
        (numpy_ops.relu_forward, numpy_ops.relu_backward, False),
        (numpy_ops.sigmoid_forward, numpy_ops.sigmoid_backward, True),
        (numpy_ops.tanh_forward, numpy_ops.tanh_backward, True),
    ],
    ids=["relu", "sigmoid", "tanh"],
)
def test_reference_activation_gradients_match_finite_differences(forward, backward, takes_output):
    rng = np.random.default_rng(1)
    z = rng.uniform(-3, 3, size=(4, 6))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the ReLU kink
    da = rng.uniform(-1, 1, size=z.shape)
    got = np.empty_like(z)
    backward(_apply(forward, z) if takes_output else z, da, got)
    want = da * _central_difference(lambda t: _apply(forward, t), z)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_reference_leaky_relu_by_hand():
    z = np.array([[-2.0, 0.0, 3.0]])
    out = np.empty_like(z)
    numpy_ops.leaky_relu_forward(z, 0.1, out)
    np.testing.assert_allclose(out, [[-0.2, 0.0, 3.0]], rtol=1e-15)
    numpy_ops.leaky_relu_backward(z, 0.1, np.array([[1.0, 1.0, 2.0]]), out)
    np.testing.assert_allclose(out, [[0.1, 0.1, 2.0]], rtol=1e-15)


def test_reference_mse_and_its_gradient():
    pred = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    target = np.array([[1.5, 2.0, 1.0], [0.0, 1.0, 4.0]])
    assert numpy_ops.mse(pred, target) == pytest.approx((0.25 + 4.0 + 4.0) / 6, rel=1e-15)
    dpred = np.empty_like(pred)
    numpy_ops.mse_backward(pred, target, dpred)
    np.testing.assert_allclose(dpred, 2 * (pred - target) / 6, rtol=1e-15)
    # and the formula is the derivative: perturb one element of pred.
    h = 1e-6
    up, down = pred.copy(), pred.copy()
    up[1, 1] += h
    down[1, 1] -= h
    slope = (numpy_ops.mse(up, target) - numpy_ops.mse(down, target)) / (2 * h)
    assert dpred[1, 1] == pytest.approx(slope, rel=1e-7)


def test_reference_dropout_multiplies_by_the_mask():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    mask = np.array([[0.0, 2.0], [2.0, 0.0]])
    out = np.empty_like(x)
    numpy_ops.dropout_forward(x, mask, out)
    np.testing.assert_array_equal(out, [[0.0, 4.0], [6.0, 0.0]])
    numpy_ops.dropout_backward(x, mask, out)
    np.testing.assert_array_equal(out, [[0.0, 4.0], [6.0, 0.0]])


def test_reference_sgd_momentum_two_steps_by_hand():
    lr, mu = 0.1, 0.9
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    for nesterov in (False, True):
        param, velocity = np.array([1.0, 1.0]), np.zeros(2)
        numpy_ops.sgd_update(param, g1, velocity, lr, mu, nesterov, 0.0)
        numpy_ops.sgd_update(param, g2, velocity, lr, mu, nesterov, 0.0)
        v1 = g1
        v2 = mu * v1 + g2
        if nesterov:
            want = 1.0 - lr * (g1 + mu * v1) - lr * (g2 + mu * v2)
        else:
            want = 1.0 - lr * v1 - lr * v2
        np.testing.assert_allclose(velocity, v2, rtol=1e-15)
        np.testing.assert_allclose(param, want, rtol=1e-15)


def test_reference_sgd_weight_decay_joins_the_gradient():
    param = np.array([2.0])
    numpy_ops.sgd_update(param, np.array([1.0]), np.zeros(1), 0.1, 0.0, False, 0.5)
    np.testing.assert_allclose(param, [2.0 - 0.1 * (1.0 + 0.5 * 2.0)], rtol=1e-15)


def test_reference_rmsprop_one_step_by_hand():
    param, grad, sq_avg = np.array([1.0, -1.0]), np.array([0.2, -4.0]), np.zeros(2)
    numpy_ops.rmsprop_update(param, grad, sq_avg, 0.01, 0.9, 1e-8, 0.0)
    np.testing.assert_allclose(sq_avg, 0.1 * grad**2, rtol=1e-15)
    np.testing.assert_allclose(param, [1.0, -1.0] - 0.01 * grad / (np.sqrt(0.1) * np.abs(grad)))


@pytest.mark.parametrize(("weight_decay", "decoupled"), [(0.0, False), (0.1, False), (0.1, True)])
def test_reference_adam_first_step_is_a_signed_step(weight_decay, decoupled):
    # From zero state the bias-corrected moments are g and g**2, so the step is lr * g / |g|.
    lr = 1e-3
    param = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.3, -5.0, 2.0])
    m, v = np.zeros(3), np.zeros(3)
    numpy_ops.adam_update(param, grad, m, v, lr, 0.9, 0.999, 1e-8, 1, weight_decay, decoupled)
    start = np.array([1.0, -2.0, 0.5])
    if decoupled:
        want = start * (1 - lr * weight_decay) - lr * np.sign(grad)
    else:
        want = start - lr * np.sign(grad + weight_decay * start)
    np.testing.assert_allclose(param, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(m, 0.1 * (grad + (0 if decoupled else weight_decay) * start))


def test_reference_adam_float32_stays_float32():
    # Every intermediate of a float32 step should be float32. The expected value is computed
    # with float32 scalars in the reference's order; IEEE rounding makes the match exact, and a
    # float64 intermediate (one rounding instead of several) breaks it on some elements.
    rng = np.random.default_rng(5)
    f = np.float32
    param = rng.standard_normal(2000).astype(f)
    grad = rng.standard_normal(2000).astype(f)
    m = rng.standard_normal(2000).astype(f) * f(0.1)
    v = rng.random(2000).astype(f) * f(0.01)
    lr, b1, b2, eps, step = 1e-3, 0.9, 0.999, 1e-8, 4
    m_want = m * f(b1) + f(1 - b1) * grad
    v_want = v * f(b2) + f(1 - b2) * grad * grad
    denom = np.sqrt(v_want) / f(math.sqrt(1 - b2**step)) + f(eps)
    p_want = param - f(lr / (1 - b1**step)) * m_want / denom
    numpy_ops.adam_update(param, grad, m, v, lr, b1, b2, eps, step, 0.0, False)
    np.testing.assert_array_equal(m, m_want)
    np.testing.assert_array_equal(v, v_want)
    np.testing.assert_array_equal(param, p_want)


# --------------------------------------------------------------------------- torch as an oracle


def _torch_optimizer(torch, kind, hyper, tensor):
    if kind == "sgd":
        return torch.optim.SGD([tensor], **hyper)
    if kind == "rmsprop":
        lr, rho, eps, wd = hyper["lr"], hyper["rho"], hyper["eps"], hyper["weight_decay"]
        return torch.optim.RMSprop([tensor], lr=lr, alpha=rho, eps=eps, weight_decay=wd)
    cls = torch.optim.AdamW if hyper["decoupled"] else torch.optim.Adam
    betas = (hyper["beta1"], hyper["beta2"])
    lr, eps, wd = hyper["lr"], hyper["eps"], hyper["weight_decay"]
    return cls([tensor], lr=lr, betas=betas, eps=eps, weight_decay=wd)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS, ids=_config_id)
def test_optimizers_match_torch(config, module):
    torch = pytest.importorskip("torch")
    kind, hyper = config
    rng = np.random.default_rng(11)
    param = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(3)]

    tensor = torch.tensor(param.copy(), dtype=torch.float64, requires_grad=True)
    optimizer = _torch_optimizer(torch, kind, hyper, tensor)
    for grad in grads:
        tensor.grad = torch.tensor(grad)
        optimizer.step()

    got = _run_optimizer(module, kind, hyper, param, grads)[0]
    np.testing.assert_allclose(got, tensor.detach().numpy(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- wrapper safety


def _written_arrays():
    return [(name, arg) for name, case in sorted(CASES.items()) for arg in case.written]


def _input_arrays():
    return [(name, arg) for name, case in sorted(CASES.items()) for arg in case.inputs]


@pytest.mark.parametrize(("name", "arg"), _written_arrays())
def test_misshaped_output_raises(name, arg):
    kwargs = _build(name, np.float64, 3, 4, 5, seed=2)
    good = kwargs[arg]
    kwargs[arg] = np.zeros(good.shape[:-1] + (good.shape[-1] + 1,), good.dtype)
    with pytest.raises(ValueError, match=name):
        getattr(numba_ops, name)(**kwargs)


@pytest.mark.parametrize(("name", "arg"), _written_arrays())
def test_non_contiguous_output_raises(name, arg):
    kwargs = _build(name, np.float64, 3, 4, 5, seed=2)
    kwargs[arg] = _relayout(kwargs[arg], "strided")
    assert not kwargs[arg].flags.c_contiguous
    with pytest.raises(ValueError, match=f"{name}.*{arg}.*C-contiguous"):
        getattr(numba_ops, name)(**kwargs)


@pytest.mark.parametrize(("name", "arg"), _input_arrays())
def test_misshaped_input_raises(name, arg):
    kwargs = _build(name, np.float64, 3, 4, 5, seed=2)
    good = kwargs[arg]
    kwargs[arg] = np.zeros(good.shape[:-1] + (good.shape[-1] + 1,), good.dtype)
    with pytest.raises(ValueError, match=name):
        getattr(numba_ops, name)(**kwargs)


@pytest.mark.parametrize("name", ["softmax_xent", "softmax_xent_backward"])
@pytest.mark.parametrize("label", [-1, 5, 1000])
def test_labels_outside_the_classes_raise(name, label):
    kwargs = _build(name, np.float64, 3, 4, 5, seed=2)
    kwargs["y"][1] = label
    with pytest.raises(ValueError, match=rf"{name}: label y\[1\] = {label}"):
        getattr(numba_ops, name)(**kwargs)
