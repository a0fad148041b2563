"""fastmlp.model: how Sequential and MLP assemble layers, what they refuse, and their structure,
copy, config and backend switching."""

import json
import re

import numpy as np
import pytest

from fastmlp import (
    MLP,
    Dense,
    Dropout,
    LeakyReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)

N, D, K = 20, 4, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    y = np.arange(N) % K
    return X, y


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    X, y = data.data / 16.0, data.target
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return (X[:1347], y[:1347]), (X[1347:], y[1347:])


def classifier(backend, **kwargs):
    return MLP([D, 8, K], backend=backend, seed=0, **kwargs)


def regressor(backend, n_out=2, **kwargs):
    return MLP([D, 8, n_out], loss="mse", backend=backend, seed=0, **kwargs)


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize(("activation", "cls"), [("relu", ReLU), ("sigmoid", Sigmoid),
                                                 ("tanh", Tanh), ("leaky_relu", LeakyReLU)])
def test_mlp_puts_the_activation_and_dropout_between_dense_layers(activation, cls):
    model = MLP([5, 7, 6, 2], activation=activation, dropout=0.25, alpha=0.2, backend="numpy")
    assert [type(layer) for layer in model.layers] == [Dense, cls, Dropout, Dense, cls, Dropout,
                                                       Dense]
    assert [(d.n_in, d.n_out) for d in model.layers[::3]] == [(5, 7), (7, 6), (6, 2)]
    assert all(layer.p == 0.25 for layer in model.layers[2::3])
    if cls is LeakyReLU:
        assert model.layers[1].alpha == 0.2
    init = "he" if activation in ("relu", "leaky_relu") else "xavier"
    assert all(d.init == init for d in model.layers[::3])
    assert (model.n_inputs, model.n_outputs) == (5, 2)


def test_parameters_are_the_live_arrays(backend):
    model = Sequential([Dense(3, 4), Tanh(), Dense(4, 2, bias=False)], backend=backend, seed=0)
    params = model.parameters()
    assert [p.shape for p in params] == [(3, 4), (4,), (4, 2)]
    assert model.count_params() == 12 + 4 + 8
    params[0][...] = 0
    assert not model.layers[0].W.any()


def test_dtype_is_the_dtype_of_every_parameter(backend):
    for dtype in ("float32", "float64"):
        model = MLP([3, 4, 2], backend=backend, dtype=dtype, seed=0)
        assert {p.dtype for p in model.parameters()} == {np.dtype(dtype)}


def test_the_seed_fixes_the_initial_weights():
    a, b, c = (MLP([6, 5, 3], backend="numpy", seed=s).parameters() for s in (4, 4, 5))
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_summary_lists_every_layer_and_the_total(backend):
    model = MLP([4, 8, 3], dropout=0.5, backend=backend, dtype="float64")
    lines = model.summary().splitlines()
    assert lines[0].split() == ["layer", "output", "params"]
    assert [line.split()[0] for line in lines[2:6]] == [
        "Dense(n_in=4,", "ReLU()", "Dropout(p=0.5)", "Dense(n_in=8,"]
    assert [line.split()[-2:] for line in lines[2:6]] == [["8", "40"], ["8", "0"], ["8", "0"],
                                                         ["3", "27"]]
    assert lines[-1] == (f"total params: 67  loss: cross_entropy  backend: {backend}  "
                         "dtype: float64")


def test_predictions_agree_with_the_probabilities(backend, data):
    X, _ = data
    model = classifier(backend)
    probs = model.predict_proba(X)
    assert probs.shape == (N, K)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), probs.argmax(axis=1))
    assert model.is_classifier and not regressor(backend).is_classifier
    assert regressor(backend).predict(X).shape == (N, 2)


# --------------------------------------------------------------------------- copy and config


def test_config_round_trips_through_json(backend):
    model = Sequential([Dense(3, 5, init="xavier_uniform"), LeakyReLU(0.3), Dropout(0.1),
                        Dense(5, 2, bias=False)], loss="mse", backend=backend,
                       dtype="float64", seed=3)
    config = json.loads(json.dumps(model.config()))
    assert config == model.config()
    twin = Sequential.from_config(config)
    assert twin.config() == model.config() and repr(twin) == repr(model)
    # Same seed in the config: the rebuilt model starts from the same weights.
    assert all(np.array_equal(p, q) for p, q in zip(twin.parameters(), model.parameters()))


def test_copy_is_equal_and_independent(backend, data):
    X, y = data
    model = classifier(backend, dtype="float64")
    model.fit(X, y, epochs=2, verbose=0)
    twin = model.copy()
    np.testing.assert_array_equal(twin.predict_proba(X), model.predict_proba(X))
    twin.parameters()[0][...] = 0
    assert model.parameters()[0].any()


def test_copy_can_change_dtype_and_backend(backend, data):
    X, _ = data
    model = classifier(backend, dtype="float64")
    other = "numpy" if backend == "numba" else "numba"
    twin = model.copy(dtype="float32", backend=other)
    assert twin.backend == other and model.backend == backend
    assert {p.dtype for p in twin.parameters()} == {np.dtype(np.float32)}
    for p, q in zip(twin.parameters(), model.parameters()):
        np.testing.assert_array_equal(p, q.astype(np.float32))
    np.testing.assert_allclose(twin.predict_proba(X), model.predict_proba(X), rtol=1e-5)


def test_to_backend_keeps_weights_and_predictions(digits):
    (X, y), _ = digits
    model = MLP([64, 16, 10], backend="numba", dtype="float64", seed=0)
    model.fit(X[:200], y[:200], epochs=2, verbose=0)
    numba_probs = model.predict_proba(X)
    weights = [p.copy() for p in model.parameters()]
    assert model.to_backend("numpy") is model and model.backend == "numpy"
    np.testing.assert_allclose(model.predict_proba(X), numba_probs, rtol=1e-10, atol=1e-14)
    for a, b in zip(weights, model.parameters()):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- names


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"unknown backend 'cuda'; valid backends are: "
                                         r"'numba', 'numpy'"):
        MLP([D, K], backend="cuda")


def test_unknown_backend_in_to_backend(backend):
    with pytest.raises(ValueError, match=r"unknown backend 'gpu'; valid backends are"):
        classifier(backend).to_backend("gpu")


def test_unknown_activation(backend):
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'; valid activations are: "
                                         r"'relu', 'leaky_relu', 'sigmoid', 'tanh'"):
        MLP([D, 8, K], activation="gelu", backend=backend)


@pytest.mark.parametrize("dtype", ["float16", "int32", int, "floaty", None])
def test_unknown_dtype(backend, dtype):
    with pytest.raises(ValueError, match=rf"unknown dtype {re.escape(repr(dtype))}; valid dtypes "
                                         r"are: 'float32', 'float64'"):
        MLP([D, K], dtype=dtype, backend=backend)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_seed_must_be_a_non_negative_integer(seed):
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer or None"):
        MLP([D, K], seed=seed)


@pytest.mark.parametrize("sizes", [[4], [], 4, "4-3"])
def test_mlp_sizes_need_two_widths(sizes):
    with pytest.raises(ValueError, match=r"sizes must list at least the input and output "
                                         r"widths, e\.g\. \[784, 128, 10\]"):
        MLP(sizes)


# --------------------------------------------------------------------------- layer lists


def test_mlp_dropout_outside_unit_interval():
    with pytest.raises(ValueError, match=r"dropout must lie in \[0, 1\), got 1\.0"):
        MLP([D, 8, K], dropout=1.0)


def test_mismatched_consecutive_dense_layers_names_both(backend):
    layers = [Dense(D, 8), ReLU(), Dropout(0.5), Dense(7, K)]
    with pytest.raises(ValueError, match=r"Dense\(7→3\) at position 3 expects 7 inputs but the "
                                         r"Dense layer before it, Dense\(4→8\), gives 8; make "
                                         r"them agree, e\.g\. Dense\(8, 3\)"):
        Sequential(layers, backend=backend)


def test_layer_class_instead_of_instance(backend):
    with pytest.raises(TypeError, match=r"layer 1 is the class ReLU, not an instance; write "
                                        r"ReLU\(\) instead"):
        Sequential([Dense(D, 8), ReLU, Dense(8, K)], backend=backend)


def test_not_a_layer(backend):
    with pytest.raises(TypeError, match=r"layer 1 is str 'relu', not a fastmlp layer"):
        Sequential([Dense(D, 8), "relu", Dense(8, K)], backend=backend)


@pytest.mark.parametrize("layers", [[], Dense(D, K), None])
def test_layers_must_be_a_non_empty_list(backend, layers):
    with pytest.raises(TypeError, match=r"layers must be a non-empty list of layers"):
        Sequential(layers, backend=backend)


def test_same_layer_object_twice(backend):
    dense, act = Dense(D, D), ReLU()
    with pytest.raises(ValueError, match=r"the same layer object appears twice; create a new "
                                         r"layer for each position"):
        Sequential([dense, act, Dense(D, D), act, Dense(D, K)], backend=backend)
    with pytest.raises(ValueError, match=r"the same layer object appears twice"):
        Sequential([dense, ReLU(), dense], backend=backend)


def test_softmax_not_last(backend):
    with pytest.raises(ValueError, match=r"Softmax may only be the last layer .*found it at "
                                         r"position 1"):
        Sequential([Dense(D, 8), Softmax(), Dense(8, K)], backend=backend)


def test_softmax_with_mse(backend):
    with pytest.raises(ValueError, match=r"a final Softmax layer only goes with "
                                         r"loss='cross_entropy', not 'mse'"):
        Sequential([Dense(D, K), Softmax()], loss="mse", backend=backend)


def test_first_layer_not_dense(backend):
    with pytest.raises(ValueError, match=r"the first layer must be Dense .*got Sigmoid\(\)"):
        Sequential([Sigmoid(), Dense(D, K)], backend=backend)


def test_cross_entropy_with_one_output(backend):
    with pytest.raises(ValueError, match=r"cross_entropy needs one output per class \(at least "
                                         r"2\), but the last layer has 1; for two classes use 2 "
                                         r"outputs"):
        MLP([D, 8, 1], backend=backend)


def test_predict_proba_on_a_regression_model(backend, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"predict_proba needs a classifier "
                                         r"\(loss='cross_entropy' or 'binary_cross_entropy'\); "
                                         r"this model has loss='mse', use predict"):
        regressor(backend).predict_proba(X)


def test_unknown_layer_type_in_a_config():
    config = MLP([D, 8, K], backend="numpy").config()
    config["layers"][1]["type"] = "GELU"
    with pytest.raises(ValueError, match=r"unknown layer type 'GELU'"):
        Sequential.from_config(config)
