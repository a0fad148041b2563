"""fastmlp.compat.jsonnetwork: NeuralNetwork's README flow, its JSON save/load (damaged files
refused), mini-batches, modes and plots."""

import json
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp.compat import NeuralNetwork, jsonnetwork
from fastmlp.data import load_digits

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_LABELS = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def digits():
    return load_digits()


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
