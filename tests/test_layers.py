"""fastmlp.layers: each layer's forward and backward by hand on both backends, its arguments
checked, its config a constructor call."""

import numpy as np
import pytest

from fastmlp import Dense, Dropout, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh
from fastmlp.layers import ACTIVATIONS, LAYERS

D, K = 4, 3


def built(layers, backend):
    """``layers`` built and bound by a float64 model on ``backend``."""
    return Sequential(layers, backend=backend, dtype="float64", seed=0).layers


# --------------------------------------------------------------------------- Dense


def test_dense_forward_and_backward_by_hand(backend):
    dense = built([Dense(2, 3)], backend)[0]
    dense.W[...] = [[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]]
    dense.b[...] = [0.5, -0.5, 0.0]
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_array_equal(dense.forward(x), [[-0.5, 1.5, 3.0], [4.5, -1.5, 5.5]])

    dz = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    dx = dense.backward(dz)
    # dx = dz @ W.T, dW = x.T @ dz, db = column sums of dz.
    np.testing.assert_array_equal(dx, [[-1.0, -1.5], [2.0, -1.0]])
    np.testing.assert_array_equal(dense.dW, [[7.0, 3.0, -1.0], [0.0, -1.0, -2.0]])
    np.testing.assert_array_equal(dense.db, [3.0, 1.0, -1.0])
    assert dense.backward(dz, need_dx=False) is None
    np.testing.assert_array_equal(dense.dW, [[7.0, 3.0, -1.0], [0.0, -1.0, -2.0]])


def test_dense_without_bias_has_only_a_weight(backend):
    dense = built([Dense(2, 2, bias=False)], backend)[0]
    assert dense.b is None and len(dense.params()) == 1 and dense.params()[0] is dense.W
    dense.W[...] = [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(dense.forward(np.array([[1.0, 1.0]])), [[4.0, 6.0]])


@pytest.mark.parametrize(("init", "std"), [
    ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
    ("xavier", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
    ("he_uniform", lambda n_in, n_out: np.sqrt(6 / n_in) / np.sqrt(3)),
    ("xavier_uniform", lambda n_in, n_out: np.sqrt(6 / (n_in + n_out)) / np.sqrt(3)),
    (0.3, lambda n_in, n_out: 0.3),
])
def test_dense_initialisers_draw_the_documented_spread(init, std):
    # 60,000 draws: the sample standard deviation is within 2% of the true one and the mean
    # within 2% of it from zero (both are about 0.4% for a sample this size).
    dense = Sequential([Dense(200, 300, init=init)], backend="numpy", dtype="float64",
                       seed=1).layers[0]
    assert dense.W.std() == pytest.approx(std(200, 300), rel=0.02)
    assert abs(dense.W.mean()) < 0.02 * std(200, 300)
    np.testing.assert_array_equal(dense.b, 0)
    if isinstance(init, str) and init.endswith("uniform"):
        assert np.abs(dense.W).max() <= std(200, 300) * np.sqrt(3)


@pytest.mark.parametrize("init", ["glorot", True, None])
def test_unknown_initialiser(init):
    with pytest.raises(ValueError, match=rf"unknown initialiser {init!r}; valid initialisers are: "
                                         r"'he', .*'xavier_uniform', or a float giving the "
                                         r"standard deviation"):
        Dense(D, K, init=init)


@pytest.mark.parametrize("std", [0.0, -1.0, float("inf")])
def test_initial_standard_deviation_must_be_positive(std):
    with pytest.raises(ValueError, match=rf"init as a standard deviation must be a finite number "
                                         rf"> 0, got {std}"):
        Dense(D, K, init=std)


@pytest.mark.parametrize("n_in, n_out, name, value", [
    (0, 3, "n_in", "0"), (3, 0, "n_out", "0"), (-2, 3, "n_in", "-2"), (2.0, 3, "n_in", "2.0"),
])
def test_dense_sizes_must_be_positive_integers(n_in, n_out, name, value):
    with pytest.raises(ValueError, match=rf"Dense {name} must be a positive integer, got {value}"):
        Dense(n_in, n_out)


# --------------------------------------------------------------------------- activations

Z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
DOUT = np.array([[1.0, -2.0, 3.0, 0.5, -1.0]])
SIGMOID = 1 / (1 + np.exp(-Z))
ACTIVATION_CASES = {  # layer, forward(Z), backward(Z, DOUT)
    "relu": (ReLU, np.maximum(Z, 0), DOUT * (Z > 0)),
    "leaky_relu": (lambda: LeakyReLU(0.1), np.where(Z > 0, Z, 0.1 * Z),
                   DOUT * np.where(Z > 0, 1.0, 0.1)),
    "sigmoid": (Sigmoid, SIGMOID, DOUT * SIGMOID * (1 - SIGMOID)),
    "tanh": (Tanh, np.tanh(Z), DOUT * (1 - np.tanh(Z) ** 2)),
}


@pytest.mark.parametrize("name", ACTIVATION_CASES)
def test_activation_forward_and_backward_by_hand(backend, name):
    make, forward, backward = ACTIVATION_CASES[name]
    layer = built([Dense(5, 5), make()], backend)[1]
    # The numba backend's own exp/tanh are within 3 ulp of exact; 1 - a**2 magnifies that
    # by up to ~100 at z = 3, hence 1e-13 rather than a few ulp.
    np.testing.assert_allclose(layer.forward(Z), forward, rtol=1e-15, atol=0)
    np.testing.assert_allclose(layer.backward(DOUT), backward, rtol=1e-13, atol=0)


def test_activation_names_map_to_their_layers():
    assert {name: cls().op for name, cls in ACTIVATIONS.items()} == {
        "relu": "relu", "leaky_relu": "leaky_relu", "sigmoid": "sigmoid", "tanh": "tanh"}


@pytest.mark.parametrize("alpha", [float("nan"), float("inf")])
def test_leaky_relu_alpha_must_be_finite(alpha):
    with pytest.raises(ValueError, match=rf"LeakyReLU alpha must be a finite number, got {alpha}"):
        LeakyReLU(alpha)


def test_softmax_layer_forward_is_the_row_softmax(backend):
    layer = built([Dense(3, 3), Softmax()], backend)[1]
    x = np.array([[1.0, 2.0, 3.0], [-1000.0, 0.0, 1000.0]])
    want = np.exp(x[0]) / np.exp(x[0]).sum()
    out = layer.forward(x)
    np.testing.assert_allclose(out[0], want, rtol=1e-15)
    np.testing.assert_array_equal(out[1], [0.0, 0.0, 1.0])


# --------------------------------------------------------------------------- Dropout


def test_dropout_is_inverted_and_only_active_in_training(backend):
    model = Sequential([Dense(4, 2000, init=0.5), Dropout(0.5), Dense(2000, 2)],
                       backend=backend, seed=0, dtype="float64")
    dropout = model.layers[1]
    x = np.ones((8, 2000))
    kept = dropout.forward(x, training=True)
    assert 0.45 < np.mean(kept == 0) < 0.55
    np.testing.assert_array_equal(np.unique(kept), [0.0, 2.0])
    assert dropout.forward(x, training=False) is x
    X = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))


def test_dropout_backward_uses_the_forward_mask(backend):
    dropout = built([Dense(3, 50), Dropout(0.2)], backend)[1]
    x = np.arange(1.0, 151.0).reshape(3, 50)
    kept = dropout.forward(x, training=True) / x  # the mask: 0 or 1 / 0.8
    assert set(np.unique(kept)) == {0.0, 1.25}
    dout = np.full_like(x, 2.0)
    np.testing.assert_allclose(dropout.backward(dout), dout * kept, rtol=1e-15)
    dropout.forward(x, training=False)
    assert dropout.backward(dout) is dout


def test_dropout_with_p_zero_is_the_identity_in_training(backend):
    dropout = built([Dense(3, 3), Dropout(0.0)], backend)[1]
    x = np.ones((2, 3))
    assert dropout.forward(x, training=True) is x


@pytest.mark.parametrize("p", [1, 1.0, -0.1, float("nan"), 2])
def test_dropout_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match=rf"Dropout p must lie in \[0, 1\), got {p}"):
        Dropout(p)


def test_dropout_p_must_not_be_a_bool():
    with pytest.raises(TypeError, match=r"Dropout p must be a number, got bool"):
        Dropout(True)


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize("layer", [
    Dense(3, 4), Dense(3, 4, init="xavier_uniform", bias=False), Dense(3, 4, init=0.25),
    ReLU(), LeakyReLU(0.2), Sigmoid(), Tanh(), Softmax(), Dropout(0.3),
], ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    twin = LAYERS[type(layer).__name__](**layer.config())
    assert type(twin) is type(layer) and twin.config() == layer.config()
    assert repr(twin) == repr(layer)
