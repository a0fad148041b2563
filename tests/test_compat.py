"""fastmlp.compat: each replaced project's README example runs and learns, and each adapter
keeps its project's conventions (layouts, file format, gradient methods) on top of the core."""

import json
import math
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp import Adam, LeakyReLU, RMSprop, Sequential, StepDecay
from fastmlp.compat import (
    CustomLayerNet,
    Dense,
    Layer,
    Model,
    Network,
    NeuralNetwork,
    Relu,
    Softmax,
    jsonnetwork,
)
from fastmlp.data import load_digits, load_iris

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_LABELS = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_every_adapter_exposes_its_core_model():
    net = CustomLayerNet(2, 3, 2, net_layer=3, print_output=False)
    model = Model(2, 2)
    model.add_layer(2, 2, 0, activation=Layer.softmax)
    network = Network([Dense(2, 2), Softmax()])
    neural = NeuralNetwork([2, 3, 2])
    for adapter in (net, model, network, neural):
        assert isinstance(adapter.model, Sequential)


# ============================================================================ CustomLayerNet


def test_customlayernet_quick_start_runs_as_written(backend, capsys):
    # The README's data came from the global np.random; a seeded generator keeps it fixed.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    y = np.eye(3)[rng.integers(0, 3, 100)]
    net = CustomLayerNet(input_size=5, hidden_size=10, output_size=3,
                         net_layer=3, learning_time=500, learning_rate=0.1,
                         seed=0, backend=backend)
    net.t = y
    untrained = net.loss(net.forward(X))
    output = net.train(X, y)
    pred_class = np.argmax(output, axis=1)
    assert output.shape == (100, 3) and pred_class.shape == (100,)
    np.testing.assert_allclose(output.sum(axis=1), 1.0)
    assert net.loss(output) < untrained
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"iteration {i}" for i in range(0, 500, 100)]


def test_customlayernet_xor_readme_example(backend):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[1, 0], [0, 1], [0, 1], [1, 0]])
    net = CustomLayerNet(input_size=2, hidden_size=4, output_size=2,
                         net_layer=3, learning_time=2000, learning_rate=0.1,
                         print_output=False, seed=0, backend=backend)
    out = net.train(X, y)
    np.testing.assert_array_equal(np.argmax(out, axis=1), XOR_LABELS)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_customlayernet_xor_reaches_100_percent_for_every_seed(backend, activation, seed):
    # Eight hidden units with Xavier/He initialisation: XOR is learnt from any start we tried.
    net = CustomLayerNet(2, 8, 2, net_layer=3, learning_time=2000, learning_rate=0.5,
                         init_weights=None, method={"activation": activation},
                         print_output=False, seed=seed, backend=backend)
    out = net.train(XOR_X, XOR_LABELS)
    assert net.accuracy(out) == 1.0


def test_customlayernet_iris_readme_example(backend):
    datasets = pytest.importorskip("sklearn.datasets")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    iris = datasets.load_iris()
    X = iris.data
    # The README wrote OneHotEncoder(sparse=False); scikit-learn renamed it sparse_output.
    y = preprocessing.OneHotEncoder(sparse_output=False).fit_transform(
        iris.target.reshape(-1, 1))
    net = CustomLayerNet(input_size=4, hidden_size=8, output_size=3,
                         net_layer=3, learning_time=800, learning_rate=1,
                         print_output=False, seed=0, backend=backend)
    pred = net.train(X, y)
    accuracy = np.mean(np.argmax(pred, axis=1) == iris.target)
    assert accuracy >= 0.9, accuracy


def test_customlayernet_iris_with_integer_labels(backend):
    X, y = load_iris(split=False)
    net = CustomLayerNet(4, 8, 3, net_layer=4, learning_time=300, learning_rate=0.5,
                         init_weights=None, method={"activation": "sigmoid"},
                         print_output=False, seed=0, backend=backend)
    out = net.train(X, y)
    assert net.accuracy(out) >= 0.9
    assert net.accuracy(out, np.eye(3)[y]) == net.accuracy(out)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_numerical_differentiation_follows_the_errorback_trajectory(backend, activation):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), np.array([0, 1, 2, 0, 1, 2])
    nets = [CustomLayerNet(3, 4, 3, net_layer=4, learning_time=30, learning_rate=0.5,
                           init_weights=0.5, print_output=False, seed=1, backend=backend,
                           method={"activation": activation, "backpropagation": how})
            for how in ("errorback", "numerical_differentiation")]
    start = [p.copy() for p in nets[0].model.parameters()]
    outs = [net.train(X, y) for net in nets]
    analytic, numerical = nets[0].model.parameters(), nets[1].model.parameters()
    # The run goes somewhere: the weights move far more than the tolerance below.
    assert max(np.abs(a - s).max() for a, s in zip(analytic, start)) > 0.1
    for a, n in zip(analytic, numerical):
        np.testing.assert_allclose(n, a, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-7, atol=1e-9)


def test_numerical_differentiation_prints_the_same_losses(capsys):
    # Sigmoid: with ReLU, the input row (0, 0) and the zero initial biases put every hidden
    # pre-activation exactly on the kink, where central differences average the two slopes.
    X, y = XOR_X, XOR_LABELS
    printed = []
    for how in ("errorback", "numerical_differentiation"):
        net = CustomLayerNet(2, 3, 2, net_layer=3, learning_time=9, learning_rate=0.5,
                             print_every=4, seed=0,
                             method={"activation": "sigmoid", "backpropagation": how})
        net.train(X, y)
        printed.append(capsys.readouterr().out.splitlines())
    assert [line.split(":")[0] for line in printed[0]] == ["iteration 0", "iteration 4",
                                                           "iteration 8"]
    assert printed[0] == printed[1]


def test_relu_trains_with_slope_0_1_in_both_passes():
    net = CustomLayerNet(2, 3, 2, net_layer=4, print_output=False)
    acts = [layer for layer in net.model.layers if isinstance(layer, LeakyReLU)]
    assert len(acts) == 2 and all(layer.alpha == 0.1 for layer in acts)
    np.testing.assert_array_equal(net.relu([-2.0, 3.0]), [0.0, 3.0])


@pytest.mark.parametrize("activation, expected", [("sigmoid", "xavier"), ("relu", "he")])
def test_init_weights_none_picks_xavier_or_he(activation, expected):
    net = CustomLayerNet(3, 4, 2, net_layer=3, init_weights=None,
                         method={"activation": activation}, print_output=False)
    dense = [layer for layer in net.model.layers if isinstance(layer, fastmlp.Dense)]
    assert [layer.init for layer in dense] == [expected, expected]
    fixed = CustomLayerNet(3, 4, 2, net_layer=3, init_weights=0.25, print_output=False)
    assert all(layer.init == 0.25 for layer in fixed.model.layers
               if isinstance(layer, fastmlp.Dense))


def test_train_method_override_applies_to_that_call_only():
    X, y = XOR_X, XOR_LABELS
    sigmoid_net = CustomLayerNet(2, 4, 2, net_layer=3, learning_time=50, learning_rate=0.5,
                                 method={"activation": "sigmoid"}, print_output=False, seed=3)
    relu_net = CustomLayerNet(2, 4, 2, net_layer=3, learning_time=50, learning_rate=0.5,
                              print_output=False, seed=3)
    out_sigmoid = sigmoid_net.train(X, y)
    out_override = relu_net.train(X, y, method={"activation": "sigmoid"})
    np.testing.assert_array_equal(out_override, out_sigmoid)
    for a, b in zip(relu_net.model.parameters(), sigmoid_net.model.parameters()):
        np.testing.assert_array_equal(a, b)
    assert relu_net.method["activation"] == "relu"
    assert any(isinstance(layer, LeakyReLU) for layer in relu_net.model.layers)


def test_customlayernet_helpers_agree_with_the_core():
    X, y = XOR_X.astype(float), XOR_LABELS
    net = CustomLayerNet(2, 3, 2, net_layer=3, learning_time=5, print_output=False, seed=0)
    out = net.train(X, y)
    assert len(net.activations) == 3
    assert [a.shape for a in net.activations] == [(4, 2), (4, 3), (4, 2)]
    np.testing.assert_allclose(out, net.model.predict_proba(X))
    assert net.loss(out) == pytest.approx(net.model.evaluate(X, y)["loss"], rel=1e-12)
    (W1, b1), (W2, b2) = net.fact
    np.testing.assert_allclose(net.affine(X, (W1, b1)), X @ W1 + b1)
    grads = net.backword(X)
    for (dW, db), (W, b) in zip(grads, net.fact):
        assert dW.shape == W.shape and db.shape == b.shape
    before = [p.copy() for p in net.model.parameters()]
    net.update(grads)
    flat = [g for pair in grads for g in pair]
    for p, b, g in zip(net.model.parameters(), before, flat):
        np.testing.assert_allclose(p, b - net.learning_rate * g)
    np.testing.assert_allclose(net.softmax([[0.0, 0.0], [1.0, 1.0]]), 0.5)
    np.testing.assert_allclose(net.softmax([0.0, math.log(3.0)]), [0.25, 0.75])
    assert net.sigmoid(0.0) == 0.5


@pytest.mark.parametrize("kwargs, match", [
    ({"net_layer": 1}, "net_layer"),
    ({"method": {"activation": "tanh"}}, "unknown activation"),
    ({"method": {"optimizer": "adam"}}, "unknown method key"),
    ({"method": "relu"}, "method must be a dict"),
    ({"init_weights": "xavier"}, "init_weights"),
    ({"learning_rate": -1}, "learning rate"),
])
def test_customlayernet_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        CustomLayerNet(2, 3, 2, **kwargs)


def test_customlayernet_needs_labels_for_loss_and_backword():
    net = CustomLayerNet(2, 3, 2, print_output=False)
    with pytest.raises(ValueError, match="call train"):
        net.loss(np.full((4, 2), 0.5))
    with pytest.raises(ValueError, match="call train"):
        net.backword(XOR_X)


# ============================================================================ Model / Layer


def test_model_identity_readme_example(backend, capsys):
    # As in the README, plus seed= and backend=: unseeded, a 4-unit ReLU layer can start
    # with a dead unit and then cannot separate four classes.
    model = Model(4, 4, seed=0, backend=backend)
    model.add_layer(4, 4, 0, activation=Layer.reLu)
    model.add_layer(4, 4, 1, activation=Layer.softmax)
    input_batch = np.array([[1, 0, 0, 0],
                            [0, 1, 0, 0],
                            [0, 0, 1, 0],
                            [0, 0, 0, 1]])
    true_output_batch = np.array([[1, 0, 0, 0],
                                  [0, 1, 0, 0],
                                  [0, 0, 1, 0],
                                  [0, 0, 0, 1]])
    untrained_output = model.process_raw_single_input(np.array([[1], [0], [0], [0]]))
    print(f"Untrained Model Input: \n {model.neural_network.input}")
    print(f"Untrained Model Output: \n {untrained_output}")
    model.train_model(input_batch, true_output_batch)
    trained_output = model.process_raw_single_input(np.array([[1], [0], [0], [0]]))
    print(f"Trained Model Input: \n {model.neural_network.input}")
    print(f"Trained Model Output: \n {model.training_architecture.neural_network.output}")
    assert "Trained Model Output" in capsys.readouterr().out
    assert untrained_output.shape == trained_output.shape == (4, 1)
    np.testing.assert_array_equal(model.neural_network.input, [[1], [0], [0], [0]])
    assert model.training_architecture.neural_network.output is trained_output
    assert trained_output[0, 0] > 0.9 > untrained_output[0, 0]
    columns = model.process_raw_single_input(input_batch)
    np.testing.assert_array_equal(columns.argmax(axis=0), [0, 1, 2, 3])


def test_model_layout_is_one_sample_per_column():
    # Non-square data: 3 features, 5 samples, in columns; rows are the transpose.
    rng = np.random.default_rng(1)
    inputs, labels = rng.normal(size=(3, 5)), np.array([0, 1, 0, 1, 1])
    outputs = []
    for layout, data in (("columns", inputs), ("rows", inputs.T)):
        model = Model(3, 2, layout=layout, seed=0)
        model.add_layer(3, 4, 0, activation="tanh")
        model.add_layer(4, 2, 1, activation=Layer.softmax)
        model.train_model(data, labels, epochs=20)
        outputs.append(model.process_raw_single_input(data))
    assert outputs[0].shape == (2, 5) and outputs[1].shape == (5, 2)
    np.testing.assert_allclose(outputs[0], outputs[1].T)
    model = Model(3, 2)
    model.add_layer(3, 2, 0, activation=Layer.softmax)
    with pytest.raises(ValueError, match="layout='rows'"):
        model.train_model(inputs.T, labels)


def test_model_planned_features_map_onto_the_core():
    model = Model(4, 4, seed=0)
    model.add_layer(4, 16, 0, activation=Layer.leaky_reLu, init="xavier", dropout=0.2)
    model.add_layer(16, 4, 1, activation=Layer.softmax)
    schedule = StepDecay(0.05, step_size=100)
    history = model.train_model(np.eye(4), np.arange(4), epochs=300, optimizer="adam",
                                lr_schedule=schedule, l2=1e-4, batch_size=2)
    core = model.model
    assert [type(layer).__name__ for layer in core.layers] == [
        "Dense", "LeakyReLU", "Dropout", "Dense", "Softmax"]
    assert core.layers[0].init == "xavier" and core.layers[2].p == 0.2
    assert isinstance(core.optimizer, Adam)
    assert core.optimizer.lr is schedule and core.optimizer.weight_decay == 1e-4
    assert core.optimizer.iterations == 300 * 2  # batches of 2 out of 4 samples
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.train_model(np.eye(4), np.arange(4), epochs=1, optimizer="rmsprop")
    assert isinstance(core.optimizer, RMSprop) and core.optimizer.lr == 0.01
    model.train_model(np.eye(4), np.arange(4), epochs=1, momentum=0.9)
    assert core.optimizer.momentum == 0.9 and core.optimizer.lr == 0.1


def test_model_regression_output_uses_mean_squared_error(backend):
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, size=(2, 64))
    targets = (inputs.sum(axis=0, keepdims=True) > 0).astype(float)  # (1, 64), columns
    model = Model(2, 1, seed=0, backend=backend)
    model.add_layer(2, 8, 0, activation=Layer.tanh)
    model.add_layer(8, 1, 1, activation=Layer.sigmoid)
    history = model.train_model(inputs, targets, epochs=300, learning_rate=1.0)
    assert model.model.loss == "mse"
    out = model.process_raw_single_input(inputs)
    assert out.shape == (1, 64) and ((out > 0) & (out < 1)).all()
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_layer_functions_compute_their_activations():
    z = np.array([[-1.0, 2.0], [0.5, -3.0]])
    np.testing.assert_array_equal(Layer.reLu(z), np.maximum(z, 0))
    np.testing.assert_allclose(Layer.leaky_reLu(z), np.where(z > 0, z, 0.01 * z))
    np.testing.assert_allclose(Layer.sigmoid(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(Layer.tanh(z), np.tanh(z))
    np.testing.assert_allclose(Layer.softmax(z).sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(Layer.softmax(np.array([[0.0], [math.log(3.0)]])),
                               [[0.25], [0.75]])


def test_model_add_layer_inserts_at_index():
    model = Model(2, 3)
    model.add_layer(4, 3, 0, activation=Layer.softmax)
    model.add_layer(2, 4, 0, activation=Layer.sigmoid)
    assert [(spec.n_in, spec.n_out) for spec in model.layers] == [(2, 4), (4, 3)]
    assert model.model.n_inputs == 2 and model.model.n_outputs == 3


def test_convolution_and_pooling_are_not_provided():
    model = Model(784, 10)
    for method in (model.add_conv_layer, model.add_pooling_layer):
        with pytest.raises(NotImplementedError, match="multilayer-perceptron library"):
            method(3, 3)


@pytest.mark.parametrize("layers, match", [
    ([], "no layers"),
    ([(3, 4, "relu"), (4, 2, Layer.softmax)], "layer 0 takes 3 inputs"),
    ([(2, 4, "relu"), (5, 2, Layer.softmax)], "layer 1 takes 5 inputs"),
    ([(2, 4, Layer.softmax), (4, 2, Layer.softmax)], "only for the output layer"),
    ([(2, 4, "relu"), (4, 3, Layer.softmax)], "gives 3 outputs"),
])
def test_model_rejects_inconsistent_layers(layers, match):
    model = Model(2, 2)
    for i, (n_in, n_out, activation) in enumerate(layers):
        model.add_layer(n_in, n_out, i, activation=activation)
    with pytest.raises(ValueError, match=match):
        model.model  # noqa: B018 (building the core model is what raises)


def test_model_rejects_bad_add_layer_and_train_arguments():
    model = Model(2, 2)
    with pytest.raises(ValueError, match="leaves a gap"):
        model.add_layer(2, 2, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        model.add_layer(2, 2, 0, activation="swish")
    model.add_layer(2, 2, 0, activation=Layer.softmax, dropout=0.5)
    with pytest.raises(ValueError, match="output layer"):
        model.model  # noqa: B018
    model = Model(2, 2)
    model.add_layer(2, 2, 0, activation=Layer.softmax)
    data, labels = XOR_X.T, XOR_LABELS
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.train_model(data, labels, optimizer="lbfgs")
    with pytest.raises(ValueError, match="not both"):
        model.train_model(data, labels, learning_rate=0.1, lr_schedule=StepDecay(0.1, 10))
    with pytest.raises(ValueError, match="momentum"):
        model.train_model(data, labels, optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match="not both"):
        model.train_model(data, labels, optimizer=Adam(0.01), learning_rate=0.1)


# ============================================================================ Network


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


# ============================================================================ NeuralNetwork


def test_neuralnetwork_readme_flow_on_digits(backend, digits, capsys):
    (train_data, train_labels), (test_data, test_labels) = digits
    NN = NeuralNetwork([64, 30, 10], seed=0, backend=backend)
    NN.train(train_data=train_data, train_labels=train_labels, print_cost=True,
             test_data=test_data, test_labels=test_labels)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20 and all("val_accuracy" in line for line in lines)
    probabilities = NN.predict(test_data)
    assert probabilities.shape == (len(test_data), 10)
    assert np.mean(probabilities.argmax(axis=1) == test_labels) >= 0.85


def test_neuralnetwork_save_load_round_trip(backend, digits, tmp_path):
    (X, y), (X_test, _) = digits
    NN = NeuralNetwork([64, 12, 10], seed=0, backend=backend)
    NN.train(X, y, epochs=3)
    path = tmp_path / "my_saved_network.json"
    NN.save(str(path))
    data = json.loads(path.read_text())
    assert set(data) == {"shape", "weights", "biases"}
    assert data["shape"] == [64, 12, 10]
    for w, b, layer in zip(data["weights"], data["biases"], NN._dense()):
        np.testing.assert_array_equal(np.array(w), layer.W.T)  # the seed's (out, in)
        np.testing.assert_array_equal(np.array(b), layer.b[:, None])  # and (out, 1)
    loaded = NeuralNetwork(str(path), backend=backend)
    np.testing.assert_array_equal(loaded.predict(X_test), NN.predict(X_test))
    again = NeuralNetwork([2, 2], backend=backend).load(path)
    assert again.shape == [64, 12, 10]
    np.testing.assert_array_equal(again.predict(X_test), NN.predict(X_test))


def test_neuralnetwork_reads_the_seed_layout(tmp_path):
    # A regression net [2, 3, 1] written in the seed's layout; the forward pass as an oracle.
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = (rng.normal(size=s) for s in ((3, 2), (3, 1), (1, 3), (1, 1)))
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"shape": [2, 3, 1], "weights": [W1.tolist(), W2.tolist()],
                                "biases": [b1.tolist(), b2.tolist()]}))
    net = NeuralNetwork(path)
    assert not net.classification
    x = rng.normal(size=(5, 2))

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    expected = sigmoid(W2 @ sigmoid(W1 @ x.T + b1) + b2).T
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12)
    np.testing.assert_array_equal(net.weights[0], W1)
    np.testing.assert_array_equal(net.biases[1], b2)


GOOD = {"shape": [2, 3, 2], "weights": [np.zeros((3, 2)).tolist(), np.zeros((2, 3)).tolist()],
        "biases": [np.zeros((3, 1)).tolist(), np.zeros((2, 1)).tolist()]}


@pytest.mark.parametrize("change, match", [
    ({"weights": None}, "lacks the key"),
    ({"shape": [2]}, "at least two positive integer"),
    ({"shape": [2, 3.0, 2]}, "at least two positive integer"),
    ({"weights": [np.zeros((3, 2)).tolist()]}, "holds 1 arrays"),
    ({"weights": [np.zeros((2, 3)).tolist(), np.zeros((2, 3)).tolist()]},
     r"weights\[0\] must be \(out, in\) = \(3, 2\)"),
    ({"biases": [np.zeros((3, 1)).tolist(), np.zeros((3, 1)).tolist()]},
     r"biases\[1\] must be \(2, 1\)"),
    ({"biases": [[[0.0], [0.0, 1.0], [0.0]], np.zeros((2, 1)).tolist()]}, "rectangular"),
    ({"biases": [[[0.0], [None], [0.0]], np.zeros((2, 1)).tolist()]}, "non-finite"),
    ({"weights": {"0": 1}}, "must be a list"),
])
def test_neuralnetwork_load_rejects_damaged_files(tmp_path, change, match):
    data = {key: value for key, value in {**GOOD, **change}.items() if value is not None}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    net = NeuralNetwork([4, 4])
    with pytest.raises(ValueError, match=match):
        net.load(path)
    assert net.shape == [4, 4]  # unchanged by a failed load
    with pytest.raises(ValueError, match=match):
        NeuralNetwork(str(path))


def test_neuralnetwork_load_rejects_non_json_and_non_objects(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON file"):
        NeuralNetwork(path)
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        NeuralNetwork(path)


def test_neuralnetwork_regression_learns_xor(backend):
    # The README's shape [2, 5, 1]: one output, so classification=False (sigmoid + MSE).
    NN = NeuralNetwork([2, 5, 1], seed=0, backend=backend)
    targets = XOR_LABELS[:, None].astype(float)
    NN.train(XOR_X, targets, epochs=2000, learning_rate=5, classification=False)
    assert NN.model.loss == "mse" and isinstance(NN.model.layers[-1], fastmlp.Sigmoid)
    np.testing.assert_array_equal(NN.predict(XOR_X).round(), targets)


def test_neuralnetwork_uses_the_last_partial_batch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, 10)
    NN = NeuralNetwork([3, 4, 2], seed=0)
    NN.train(X, y, batch_size=4, epochs=1)
    assert NN.model.optimizer.iterations == 3  # 4 + 4 + 2; the seed would drop the 2


def test_neuralnetwork_switching_mode_keeps_the_weights():
    NN = NeuralNetwork([3, 4, 2], seed=0)
    assert NN.classification
    weights = [p.copy() for p in NN.model.parameters()]
    NN.train(np.zeros((5, 3)), np.zeros((5, 2)), epochs=0, classification=False)
    assert not NN.classification and NN.model.loss == "mse"
    for a, b in zip(NN.model.parameters(), weights):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="classification=False"):
        NeuralNetwork([3, 4, 1]).train(np.zeros((5, 3)), np.zeros(5), classification=True)


def test_neuralnetwork_relu_and_dropout_options():
    NN = NeuralNetwork([3, 4, 4, 2], activation="relu", dropout=0.25)
    names = [type(layer).__name__ for layer in NN.model.layers]
    assert names == ["Dense", "ReLU", "Dropout", "Dense", "ReLU", "Dropout", "Dense", "Softmax"]
    with pytest.raises(ValueError, match="unknown activation"):
        NeuralNetwork([3, 2], activation="tanh")
    with pytest.raises(TypeError, match="list of layer widths"):
        NeuralNetwork(3)
    with pytest.raises(ValueError, match="together"):
        NeuralNetwork([3, 2]).train(np.zeros((2, 3)), [0, 1], test_data=np.zeros((2, 3)))


def test_plot_without_matplotlib_fails_before_training(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    NN = NeuralNetwork([2, 3, 2], seed=0)
    before = [p.copy() for p in NN.model.parameters()]
    with pytest.raises(ImportError, match="plot=True needs matplotlib"):
        NN.train(XOR_X, XOR_LABELS, plot=True)
    for a, b in zip(NN.model.parameters(), before):
        np.testing.assert_array_equal(a, b)


def test_plot_failure_after_training_keeps_the_history(monkeypatch):
    def missing(self, *args, **kwargs):
        raise ImportError("No module named 'fastmlp.plots'")

    monkeypatch.setattr(jsonnetwork, "_require_matplotlib", lambda: None)
    monkeypatch.setattr(fastmlp.History, "plot", missing)
    NN = NeuralNetwork([2, 3, 2], seed=0)
    with pytest.raises(ImportError, match="the network is trained"):
        NN.train(XOR_X, XOR_LABELS, epochs=2, plot=True)
    assert len(NN.history.history["loss"]) == 2


def test_plot_draws_train_and_test_curves(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("fastmlp.plots")
    import matplotlib

    matplotlib.use("Agg")
    NN = NeuralNetwork([2, 3, 2], seed=0)
    NN.train(XOR_X, XOR_LABELS, epochs=3, test_data=XOR_X, test_labels=XOR_LABELS, plot=True)
    assert NN.figure is not None
    assert "val_loss" in NN.history.history
    matplotlib.pyplot.close("all")
