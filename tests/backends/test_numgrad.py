"""Central-difference gradients of a whole MLP: the NumPy reference loop and the Numba path.

Three engines compute the same quantity here: the reference (full forward pass per evaluation),
the Numba path (recomputes only what a perturbation moves) and, for small nets, an
extended-precision copy of the reference (``np.longdouble``) that stands in for the exact
central difference. A plain-NumPy backprop below gives the analytic gradient.

Why the Numba-vs-reference comparison has a rounding floor: both paths take the difference of
two losses of size ``L`` computed in float64, so each carries an absolute error of about
``ε·L/h`` (ε = 2.2e-16) however it is organised; measured against the long-double copy the
reference's error is ~0.6·ε·L/h, the Numba path's smaller. Coordinate-wise agreement to 1e-9
is therefore only meaningful for coordinates larger than that floor / 1e-9; below it the two
must agree to within the floor. ``h = 1e-2`` keeps the floor at ~1e-14: the finite difference
being compared is the same in both paths whatever h is, so a large h costs nothing here.
"""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlp.backends import _numgrad_numba, _numgrad_spec, numpy_ops

PATHS = {"numpy": numpy_ops.numerical_gradient, "numba": _numgrad_numba.numerical_gradient}
EPS64 = np.finfo(np.float64).eps

# (sizes, activations, loss, batch, zero-bias layers): every activation, every loss,
# 1-3 hidden layers, batch 1, a single output unit, layers without bias.
CASES = {
    "relu-ce": ([6, 9, 4], ["relu", "identity"], "cross_entropy", 12, ()),
    "leaky-ce": ([5, 8, 3], ["leaky_relu", "identity"], "cross_entropy", 10, ()),
    "sigmoid-ce-2h": ([5, 7, 6, 3], ["sigmoid", "tanh", "identity"], "cross_entropy", 9, ()),
    "tanh-mse": ([4, 8, 2], ["tanh", "identity"], "mse", 11, ()),
    "identity-mse-1out": ([4, 6, 1], ["identity", "identity"], "mse", 7, ()),
    "relu-3h-mse": ([5, 7, 6, 5, 2], ["relu", "leaky_relu", "relu", "identity"], "mse", 8, ()),
    "relu-3h-ce-nobias": ([6, 8, 7, 5, 3], ["relu", "relu", "tanh", "identity"],
                          "cross_entropy", 10, (0, 2)),
    "batch1-ce": ([5, 6, 3], ["relu", "identity"], "cross_entropy", 1, ()),
    "batch1-mse-1out": ([3, 5, 1], ["sigmoid", "identity"], "mse", 1, (1,)),
    "sigmoid-out-mse": ([4, 6, 3], ["leaky_relu", "sigmoid"], "mse", 6, ()),
    "relu-out-mse": ([4, 6, 3], ["tanh", "relu"], "mse", 8, ()),
    "tanh-bce": ([5, 7, 4], ["tanh", "identity"], "binary_cross_entropy", 10, ()),
    "relu-2h-bce-1out": ([4, 6, 5, 1], ["relu", "sigmoid", "identity"],
                         "binary_cross_entropy", 7, (1,)),
}


def make_case(name, seed=0):
    """Spec of a CASES entry: He-scaled weights, inputs with ~30% exact zeros."""
    sizes, activations, loss, n, no_bias = CASES[name]
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(a, b)) * np.sqrt(2 / a) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b) if i in no_bias else rng.normal(size=b) * 0.1
              for i, b in enumerate(sizes[1:])]
    X = rng.random((n, sizes[0]))
    X[X < 0.3] = 0.0
    if loss == "cross_entropy":
        target = rng.integers(0, sizes[-1], size=n)
    elif loss == "binary_cross_entropy":
        target = (rng.random((n, sizes[-1])) < 0.5).astype(float)
        target[0] = rng.random(sizes[-1])  # a row of probabilities
    else:
        target = rng.normal(size=(n, sizes[-1]))
    alphas = [0.1 if a == "leaky_relu" else 0.0 for a in activations]
    return X, target, weights, biases, activations, alphas, loss


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def rel_err(a, b):
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


def _activate(z, name, alpha):
    if name == "relu":
        return np.where(z > 0, z, 0.0), (z > 0).astype(float)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z), np.where(z > 0, 1.0, alpha)
    if name == "sigmoid":
        a = 1 / (1 + np.exp(-z))
        return a, a * (1 - a)
    if name == "tanh":
        a = np.tanh(z)
        return a, 1 - a * a
    return z, np.ones_like(z)


def backprop(X, target, weights, biases, activations, alphas, loss):
    """Analytic gradients of the same loss, by the chain rule layer by layer."""
    inputs, slopes, a = [], [], X
    for W, b, name, alpha in zip(weights, biases, activations, alphas):
        inputs.append(a)
        a, slope = _activate(a @ W + b, name, alpha)
        slopes.append(slope)
    n = X.shape[0]
    if loss == "cross_entropy":
        p = np.exp(a - a.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(n), target] -= 1
        d = p / n
    elif loss == "binary_cross_entropy":
        d = (1 / (1 + np.exp(-a)) - target) / a.size
    else:
        d = 2 * (a - target) / a.size
    grads_W, grads_b = [None] * len(weights), [None] * len(weights)
    for layer in reversed(range(len(weights))):
        d = d * slopes[layer]
        grads_W[layer] = inputs[layer].T @ d
        grads_b[layer] = d.sum(axis=0)
        d = d @ weights[layer].T
    return grads_W, grads_b


def loss_longdouble(X, target, weights, biases, activations, alphas, loss):
    """The reference's loss with every operation in extended precision."""
    a = X.astype(np.longdouble)
    for W, b, name, alpha in zip(weights, biases, activations, alphas):
        z = a @ W.astype(np.longdouble) + b.astype(np.longdouble)
        a = _activate(z, name, np.longdouble(alpha))[0]
    if loss == "cross_entropy":
        shifted = a - a.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(a)), target])
    if loss == "binary_cross_entropy":
        return np.mean(np.maximum(a, 0) - a * target + np.log1p(np.exp(-np.abs(a))))
    return np.mean((a - target) ** 2)


def rounding_floor(spec, eps):
    """``2·ε·max(L, 1)/h``: what subtracting two float64 losses may lose (measured ~0.6·ε·L/h)."""
    loss, _ = numpy_ops.network_loss(*spec[:7])
    return 2 * EPS64 * max(loss, 1.0) / eps


# --------------------------------------------------------------------------- contract


def test_both_paths_have_the_same_signature():
    numpy_sig = inspect.signature(numpy_ops.numerical_gradient)
    assert inspect.signature(_numgrad_numba.numerical_gradient) == numpy_sig
    assert list(numpy_sig.parameters) == [
        "X", "target", "weights", "biases", "activations", "alphas", "loss", "eps"]


@pytest.mark.parametrize("path", PATHS)
def test_returns_float64_gradients_and_bool_kink_masks_shaped_like_the_parameters(path):
    spec = make_case("relu-3h-ce-nobias")
    result = PATHS[path](*spec, 1e-5)
    grads_W, grads_b, kinks_W, kinks_b = result
    for got, params in ((grads_W, spec[2]), (grads_b, spec[3])):
        assert [g.shape for g in got] == [p.shape for p in params]
        assert all(g.dtype == np.float64 for g in got)
    for got, params in ((kinks_W, spec[2]), (kinks_b, spec[3])):
        assert [k.shape for k in got] == [p.shape for p in params]
        assert all(k.dtype == bool for k in got)
    assert result.kink_counts_W == [int(k.sum()) for k in kinks_W]
    assert all(isinstance(c, int) for c in result.kink_counts_b)


@pytest.mark.parametrize("path", PATHS)
def test_inputs_are_not_modified(path):
    spec = make_case("relu-3h-mse")
    X, target, weights, biases = spec[:4]
    before = [a.copy() for a in (X, target, *weights, *biases)]
    PATHS[path](*spec, 1e-3)
    after = (X, target, *weights, *biases)
    assert all(np.array_equal(b, a) for b, a in zip(before, after))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.__setitem__(4, ["relu", "softplus"]), "activation"),
        (lambda s: s.__setitem__(6, "hinge"), "loss"),
        (lambda s: s.__setitem__(5, [0.0]), "alphas"),
        (lambda s: s.__setitem__(3, [np.zeros(9), np.zeros(5)]), "layer 1"),
        (lambda s: s.__setitem__(1, np.zeros(3, dtype=np.int64)), "target"),
        (lambda s: s.__setitem__(1, np.full(12, 4)), "labels"),
        (lambda s: s.__setitem__(0, np.zeros((0, 6))), "non-empty"),
    ],
)
def test_inconsistent_specs_are_rejected(path, change, message):
    spec = list(make_case("relu-ce"))
    change(spec)
    with pytest.raises(ValueError, match=message):
        PATHS[path](*spec, 1e-5)


# --------------------------------------------------------------------------- G3: numba == reference


@pytest.mark.parametrize("name", CASES)
def test_numba_matches_the_reference(name):
    spec = make_case(name)
    eps = 1e-2
    ref = PATHS["numpy"](*spec, eps)
    fast = PATHS["numba"](*spec, eps)
    a, b = flat(ref.grads_W + ref.grads_b), flat(fast.grads_W + fast.grads_b)
    floor = rounding_floor(spec, eps)
    # Every coordinate within the reference's own rounding ...
    assert np.abs(a - b).max() <= floor + 1e-9 * (np.abs(a) + np.abs(b)).max()
    # ... and 1e-9 relative wherever the coordinate is large enough to resolve that.
    resolvable = np.abs(a) + np.abs(b) >= floor / 1e-9
    nonzero = (a != 0) | (b != 0)
    assert resolvable[nonzero].mean() > 0.6, "too few coordinates above the floor to test"
    assert rel_err(a, b)[resolvable].max() <= 1e-9
    # Exact zeros (e.g. weights fed by an all-zero input column) are exact in both.
    np.testing.assert_array_equal(a == 0, b == 0)
    np.testing.assert_array_equal(flat(ref.kinks_W + ref.kinks_b),
                                  flat(fast.kinks_W + fast.kinks_b))


@settings(max_examples=30, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=3, max_size=5),
    hidden=st.sampled_from(list(_numgrad_spec.ACTIVATIONS)),
    out_act=st.sampled_from(["identity", "sigmoid", "relu"]),
    loss=st.sampled_from(_numgrad_spec.LOSSES),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_numba_matches_the_reference_on_random_shapes(widths, hidden, out_act, loss, n, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(a, b)) for a, b in zip(widths[:-1], widths[1:])]
    biases = [rng.normal(size=b) * 0.1 for b in widths[1:]]
    X = np.where(rng.random((n, widths[0])) < 0.3, 0.0, rng.random((n, widths[0])))
    target = (rng.integers(0, widths[-1], size=n) if loss == "cross_entropy"
              else rng.random((n, widths[-1])) if loss == "binary_cross_entropy"
              else rng.normal(size=(n, widths[-1])))
    activations = [hidden] * (len(weights) - 1) + [out_act]
    spec = (X, target, weights, biases, activations, [0.2] * len(weights), loss)
    eps = 1e-2
    ref, fast = PATHS["numpy"](*spec, eps), PATHS["numba"](*spec, eps)
    a, b = flat(ref.grads_W + ref.grads_b), flat(fast.grads_W + fast.grads_b)
    floor = rounding_floor(spec, eps)
    assert np.abs(a - b).max() <= floor + 1e-9 * (np.abs(a) + np.abs(b)).max()
    resolvable = np.abs(a) + np.abs(b) >= floor / 1e-9
    assert np.all(rel_err(a, b)[resolvable] <= 1e-9)


@pytest.mark.skipif(np.finfo(np.longdouble).eps > 1e-18, reason="needs 80-bit long double")
@pytest.mark.parametrize("name", ["sigmoid-ce-2h", "relu-3h-mse", "leaky-ce"])
def test_rounding_matches_the_analysis_and_numba_is_no_worse(name):
    """Against extended precision: the reference loses ~ε·L/h, the Numba path no more."""
    spec = make_case(name)
    eps = 1e-5
    params = [W.copy() for W in spec[2]] + [b.copy() for b in spec[3]]
    n_w = len(spec[2])
    exact = []
    for P in params:
        for idx in np.ndindex(P.shape):
            saved = P[idx]
            P[idx] = saved + eps  # the same float64 θ ± h the two paths evaluate at
            plus = loss_longdouble(spec[0], spec[1], params[:n_w], params[n_w:], *spec[4:])
            P[idx] = saved - eps
            minus = loss_longdouble(spec[0], spec[1], params[:n_w], params[n_w:], *spec[4:])
            P[idx] = saved
            exact.append(float((plus - minus) / (2 * np.longdouble(eps))))
    exact = np.array(exact)
    ref_err = np.abs(flat(sum(PATHS["numpy"](*spec, eps)[:2], [])) - exact).max()
    fast_err = np.abs(flat(sum(PATHS["numba"](*spec, eps)[:2], [])) - exact).max()
    assert ref_err <= rounding_floor(spec, eps)
    assert fast_err <= ref_err


def test_weights_of_an_all_zero_input_column_get_exactly_zero():
    spec = make_case("relu-ce")
    spec[0][:, 2] = 0.0
    for path in PATHS.values():
        grads_W = path(*spec, 1e-5)[0]
        assert np.all(grads_W[0][2] == 0.0)
        assert np.any(grads_W[0][3] != 0.0)


# --------------------------------------------------------------------------- G4: == backprop


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", CASES)
def test_matches_backprop_away_from_kinks(path, name):
    spec = make_case(name, seed=1)
    result = PATHS[path](*spec, 1e-5)
    grads_W, grads_b = backprop(*spec)
    err = rel_err(flat(grads_W + grads_b), flat(result.grads_W + result.grads_b))
    off_kinks = ~flat(result.kinks_W + result.kinks_b)
    assert off_kinks.mean() > 0.9
    assert err[off_kinks].max() <= 1e-6


# --------------------------------------------------------------------------- kinks


def near_kink_case():
    """Relu unit 0 sits h/2 above zero for sample 0 and is well off for the other samples."""
    eps = 1e-4
    X = np.array([[1.0, 0.25, 0.75], [0.3, 0.8, 0.0], [0.0, 0.2, 0.9]])
    W0 = np.array([[0.5, 0.3], [-0.6, 0.6], [-0.4, 0.7]])
    b0 = np.array([eps / 2 - X[0] @ W0[:, 0], 0.1])
    W1 = np.array([[1.2, -0.7, 0.3], [-0.5, 0.9, 0.4]])
    spec = (X, np.array([0, 2, 1]), [W0, W1], [b0, np.zeros(3)], ["relu", "identity"],
            [0.0, 0.0], "cross_entropy")
    return spec, eps


@pytest.mark.parametrize("path", PATHS)
def test_kinks_are_flagged_where_a_pre_activation_sits_within_h_of_zero(path):
    spec, eps = near_kink_case()
    z = spec[0] @ spec[2][0] + spec[3][0]
    assert 0 < z[0, 0] < eps and np.all(np.abs(np.delete(z.ravel(), 0)) > 0.05)
    result = PATHS[path](*spec, eps)
    # W0[i, 0] moves z[0, 0] by ±h·X[0, i]: past zero for X[0, i] = 1.0 and 0.75 (> 1/2),
    # not for 0.25; b0[0] moves it by ±h. Nothing else is within h of zero.
    expected_W0 = np.array([[True, False], [False, False], [True, False]])
    np.testing.assert_array_equal(result.kinks_W[0], expected_W0)
    np.testing.assert_array_equal(result.kinks_b[0], [True, False])
    assert result.kink_counts_W == [2, 0] and result.kink_counts_b == [1, 0]
    # The flagged coordinates are the ones where central differences disagree with backprop.
    err = rel_err(flat(backprop(*spec)[0]), flat(result.grads_W))
    kinked = flat(result.kinks_W)
    assert err[kinked].min() > 1e-3 and err[~kinked].max() <= 1e-6


@pytest.mark.parametrize(
    "name", ["relu-ce", "relu-3h-mse", "leaky-ce", "relu-3h-ce-nobias", "relu-out-mse"]
)
def test_both_paths_flag_the_same_kinks_when_h_is_large(name):
    spec = make_case(name, seed=3)
    ref, fast = (PATHS[p](*spec, 5e-2) for p in ("numpy", "numba"))
    ref_masks, fast_masks = flat(ref.kinks_W + ref.kinks_b), flat(fast.kinks_W + fast.kinks_b)
    assert ref_masks.sum() > 0, "h this large should cross some kinks"
    np.testing.assert_array_equal(ref_masks, fast_masks)


@pytest.mark.parametrize("path", PATHS)
def test_smooth_networks_have_no_kinks(path):
    result = PATHS[path](*make_case("sigmoid-ce-2h"), 5e-2)
    assert sum(result.kink_counts_W) + sum(result.kink_counts_b) == 0
