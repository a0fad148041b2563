"""fastmlp.compat.layerlist: Network of Dense/Relu/Softmax learns, keeps the seed's weight layout
and initialisation, trains full-batch, and refuses bad layer lists."""

import numpy as np
import pytest

import fastmlp
from fastmlp.compat import Dense, Network, Relu, Softmax
from fastmlp.data import load_digits


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_network_readme_architecture_learns_digits(backend, digits):
    # The README's network on the shipped 8x8 digits: 64 inputs instead of 784, and 150
    # full-batch steps instead of 1000 to stay fast. Data goes in the seed's layout,
    # one sample per column.
    (X_train, y_train), (X_test, y_test) = digits
    net = Network([
        Dense(64, 10),
        Relu(),
        Dense(10, 10),
        Softmax()
    ],
        learning_rate=0.5,
        epochs=150, seed=0, backend=backend)
    net.train(X_train.T, y_train)
    predictions = net.predict(X_test.T)
    assert predictions.shape == y_test.shape
    assert np.mean(predictions == y_test) >= 0.9
    assert net.history.history["loss"][-1] < net.history.history["loss"][0]


def test_dense_keeps_the_seed_layout_and_initialisation():
    layer = Dense(3, 2, seed=0)
    assert layer.weights.shape == (2, 3) and layer.biases.shape == (2, 1)
    assert ((layer.weights >= -0.5) & (layer.weights < 0.5)).all()
    assert ((layer.biases >= -0.5) & (layer.biases < 0.5)).all()
    drawn = layer.weights.copy()
    second = Dense(2, 2, seed=1)
    net = Network([layer, Relu(), second, Softmax()])
    np.testing.assert_array_equal(layer.weights, drawn)
    np.testing.assert_array_equal(net.model.layers[0].W, drawn.T)
    # The seed's forward pass, weights @ input + biases, on columns, as an oracle.
    x = np.array([[0.3, -1.0], [2.0, 0.5], [-0.7, 1.5]])  # 3 features, 2 samples
    hidden = np.maximum(layer.weights @ x + layer.biases, 0)
    logits = second.weights @ hidden + second.biases
    np.testing.assert_array_equal(net.predict(x), logits.argmax(axis=0))
    # Once in a network, the attributes are views: writing them changes the network.
    layer.weights = np.zeros((2, 3))
    layer.biases[...] = 1.0
    np.testing.assert_array_equal(net.model.layers[0].W, 0.0)
    np.testing.assert_array_equal(net.model.layers[0].b, 1.0)


def test_network_train_is_full_batch_gradient_descent(backend):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 30)), rng.integers(0, 3, 30)
    net = Network([Dense(4, 5), Relu(), Dense(5, 3), Softmax()], learning_rate=0.5, epochs=1,
                  seed=2, backend=backend)
    before = [p.copy() for p in net.model.parameters()]
    grads = net.model.gradients(X.T, y)
    net.train(X, y)
    for p, b, g in zip(net.model.parameters(), before, grads):
        np.testing.assert_allclose(p, b - 0.5 * g, rtol=1e-12, atol=1e-12)


def test_network_seed_reproduces_and_rows_layout_matches_columns():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 30)), rng.integers(0, 3, 30)

    def trained(layout, data):
        net = Network([Dense(4, 5), Relu(), Dense(5, 3), Softmax()], epochs=20,
                      layout=layout, seed=7)
        net.train(data, y)
        return net

    columns, rows = trained("columns", X), trained("rows", X.T)
    for a, b in zip(columns.model.parameters(), rows.model.parameters()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(columns.predict(X), rows.predict(X.T))
    with pytest.raises(ValueError, match="layout='rows'"):
        columns.train(X.T, y)


def test_network_rejects_bad_layer_lists():
    with pytest.raises(TypeError, match="not an instance"):
        Network([Dense(2, 2), Softmax])
    with pytest.raises(TypeError, match="fastmlp.compat"):
        Network([Dense(2, 2), fastmlp.Softmax()])
    shared = Dense(2, 2)
    Network([shared, Softmax()])
    with pytest.raises(ValueError, match="already belongs to a Network"):
        Network([shared, Softmax()], seed=0)
    relu = Relu()
    with pytest.raises(ValueError, match="appears twice"):
        Network([Dense(2, 2), relu, Dense(2, 2), relu])
    with pytest.raises(ValueError, match="must have shape"):
        Dense(2, 3).weights = np.zeros((2, 3))
