"""fastmlp.network: flat parameter storage, the layer plan, layer checks, configs."""

import numpy as np
import pytest

from fastmlp import MLP, Sequential
from fastmlp.layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from fastmlp.network import DensePlan, check_layers, flatten, layer_plan, layers_from_config


def _built(layers, seed=0):
    rng = np.random.default_rng(seed)
    width = layers[0].n_in
    for layer in layers:
        width = layer.build(width, np.float32, rng)
    return layers


def test_flatten_moves_arrays_into_views_and_records_offsets():
    layers = _built([Dense(3, 4), ReLU(), Dense(4, 2, bias=False)])
    W1, b1, W2 = (np.copy(a) for a in (layers[0].W, layers[0].b, layers[2].W))
    flat, offsets = flatten(layers, "param_names", np.float32)
    assert flat.shape == (12 + 4 + 8,) and offsets == {(0, "W"): 0, (0, "b"): 12, (2, "W"): 16}
    np.testing.assert_array_equal(layers[0].W, W1)
    np.testing.assert_array_equal(layers[2].W, W2)
    np.testing.assert_array_equal(flat[12:16], b1)
    flat[0] = 42.0  # the layer's W is a view of the flat vector
    assert layers[0].W[0, 0] == 42.0


def test_the_plan_describes_each_dense_layer_and_what_follows_it():
    model = Sequential([Dense(5, 4), LeakyReLU(0.2), Dropout(0.5), Dense(4, 3, bias=False),
                        Tanh(), Dense(3, 2), Softmax()], seed=0)
    assert model.plan == (
        DensePlan(5, 4, 0, 20, "leaky_relu", 0.2, 0.5),
        DensePlan(4, 3, 24, -1, "tanh", 0.0, 0.0),
        DensePlan(3, 2, 36, 42, "identity", 0.0, 0.0),
    )
    W = model.flat_params[24:36].reshape(4, 3)
    np.testing.assert_array_equal(W, model.layers[3].W)


@pytest.mark.parametrize("layers", [
    [Dense(4, 4), Dropout(0.1), ReLU(), Dense(4, 2)],  # dropout before the activation
    [Dense(4, 4), ReLU(), Sigmoid(), Dense(4, 2)],  # two activations in a row
    [Dense(4, 4), Dropout(0.1), Dropout(0.1), Dense(4, 2)],
], ids=["dropout-first", "two-activations", "two-dropouts"])
def test_stacks_without_the_plans_form_have_none(layers):
    model = Sequential(layers, seed=0)
    assert model.plan is None
    assert layer_plan(model._network, flatten(model._network, "param_names",
                                              np.float32)[1]) is None


def test_the_plan_survives_pickling_and_copies():
    import pickle

    model = MLP([6, 5, 3], dropout=0.25, seed=1)
    for twin in (pickle.loads(pickle.dumps(model)), model.copy()):
        assert twin.plan == model.plan
        np.testing.assert_array_equal(twin.flat_params, model.flat_params)
        assert twin.flat_params is not model.flat_params


@pytest.mark.parametrize(("layers", "error", "message"), [
    ([], TypeError, "non-empty list"),
    (Dense(2, 2), TypeError, "non-empty list"),
    ([Dense], TypeError, "write Dense()"),
    ([Dense(2, 2), "relu"], TypeError, "not a fastmlp layer"),
    ([ReLU(), Dense(2, 2)], ValueError, "first layer must be Dense"),
    ([Dense(2, 2), Softmax(), Dense(2, 2)], ValueError, "Softmax may only be the last"),
    ([Dense(2, 3), Dense(4, 2)], ValueError, "expects 4 inputs"),
])
def test_check_layers_explains_what_is_wrong(layers, error, message):
    with pytest.raises(error, match=message):
        check_layers(layers)


def test_the_same_layer_twice_is_refused():
    relu = ReLU()
    with pytest.raises(ValueError, match="appears twice"):
        check_layers([Dense(2, 2), relu, Dense(2, 2), relu])


def test_layers_from_config_rebuilds_the_architecture():
    model = Sequential([Dense(3, 4, init="xavier"), LeakyReLU(0.3), Dense(4, 2)], seed=0)
    layers = layers_from_config(model.config())
    assert [repr(layer) for layer in layers] == [repr(layer) for layer in model.layers]
    with pytest.raises(ValueError, match="unknown layer type 'Conv2D'"):
        layers_from_config({"layers": [{"type": "Conv2D"}]})
