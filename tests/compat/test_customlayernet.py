"""fastmlp.compat.customlayernet: CustomLayerNet's README examples run and learn; analytic and
numerical backprop follow the same trajectory; its helpers and arguments."""

import math

import numpy as np
import pytest

import fastmlp
from fastmlp import LeakyReLU
from fastmlp.compat import CustomLayerNet
from fastmlp.data import load_iris

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_LABELS = np.array([0, 1, 1, 0])


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
