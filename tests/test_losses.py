"""fastmlp.losses: each loss and its gradient by hand on both backends, and through a model."""

import numpy as np
import pytest

from fastmlp import MLP, Dense, Sequential, Sigmoid, Tanh
from fastmlp.backends import get_backend
from fastmlp.losses import LOSSES, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy

D, K = 4, 3

LOGITS = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
LABELS = np.array([0, 1])


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_losses_by_name():
    assert LOSSES == {"cross_entropy": SoftmaxCrossEntropy, "mse": MeanSquaredError,
                      "binary_cross_entropy": SigmoidBinaryCrossEntropy}
    assert all(cls.name == name for name, cls in LOSSES.items())
    assert SoftmaxCrossEntropy.is_classification and not MeanSquaredError.is_classification
    assert [name for name, cls in LOSSES.items() if cls.is_multilabel] == [
        "binary_cross_entropy"]


def test_unknown_loss(backend):
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; valid losses are: "
                                         r"'cross_entropy', 'mse', 'binary_cross_entropy'"):
        MLP([D, K], loss="hinge", backend=backend)


def test_cross_entropy_and_its_gradient_by_hand(backend):
    ops = get_backend(backend)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(ops, LOGITS, LABELS)
    probs = _softmax(LOGITS)
    assert value == pytest.approx(-(np.log(probs[0, 0]) + np.log(probs[1, 1])) / 2, rel=1e-14)
    grad = loss.backward(ops)
    np.testing.assert_allclose(grad, (probs - np.eye(K)[LABELS]) / 2, rtol=1e-13, atol=1e-16)


def test_mean_squared_error_and_its_gradient_by_hand(backend):
    ops = get_backend(backend)
    pred = np.array([[1.0, 2.0], [0.0, -1.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = MeanSquaredError()
    assert loss.forward(ops, pred, target) == pytest.approx((1 + 0 + 1 + 4) / 4, rel=1e-15)
    np.testing.assert_allclose(loss.backward(ops), 2 * (pred - target) / 4, rtol=1e-15)


def test_a_loss_reuses_its_gradient_buffer_per_shape(backend):
    ops = get_backend(backend)
    loss = SoftmaxCrossEntropy()
    loss.forward(ops, LOGITS, LABELS)
    first = loss.backward(ops)
    loss.forward(ops, LOGITS[::-1].copy(), LABELS)
    assert loss.backward(ops) is first
    loss.forward(ops, LOGITS[:1].copy(), LABELS[:1])
    assert loss.backward(ops).shape == (1, K)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_a_model_reports_the_loss_of_its_outputs(backend, loss):
    # One Dense layer with known weights: the model's loss is the loss of x @ W + b.
    model = Sequential([Dense(2, K)], loss=loss, backend=backend, dtype="float64")
    W, b = model.parameters()
    W[...] = [[1.0, -1.0, 0.5], [0.0, 2.0, -0.5]]
    b[...] = [0.1, 0.2, 0.3]
    X = np.array([[1.0, 0.5], [-1.0, 2.0], [0.0, 0.0]])
    out = X @ W + b
    if loss == "cross_entropy":
        y = np.array([2, 1, 0])
        want = -np.mean(np.log(_softmax(out)[np.arange(3), y]))
    else:
        y = np.ones((3, K))
        want = np.mean((out - y) ** 2)
    assert model.evaluate(X, y)["loss"] == pytest.approx(want, rel=1e-14)


def test_binary_cross_entropy_and_its_gradient_by_hand(backend):
    ops = get_backend(backend)
    logits = np.array([[2.0, -1.0, 0.0], [-3.0, 0.5, 4.0]])
    target = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.25]])
    p = 1 / (1 + np.exp(-logits))
    expected = -np.mean(target * np.log(p) + (1 - target) * np.log1p(-p))
    loss = SigmoidBinaryCrossEntropy()
    assert loss.forward(ops, logits, target) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(loss.backward(ops), (p - target) / 6, rtol=1e-13, atol=1e-17)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_is_stable_for_huge_logits(backend, dtype):
    # Naively, sigmoid(±1000) is exactly 0 or 1 and its log is -inf; the stable form is exact.
    ops = get_backend(backend)
    logits = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype)
    target = np.array([[1.0, 0.0], [1.0, 0.0]], dtype)
    probs = np.empty_like(logits)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = ops.sigmoid_bce(logits, target, probs)
    assert value == pytest.approx(2000.0 / 4, rel=1e-12)
    np.testing.assert_array_equal(probs, [[1, 0], [0, 1]])


@pytest.mark.parametrize("alias", ["bce", "binary_crossentropy", "binary_cross_entropy"])
def test_binary_cross_entropy_names(alias):
    assert MLP([3, 2], loss=alias).loss == "binary_cross_entropy"


def test_a_trailing_sigmoid_is_folded_into_binary_cross_entropy(backend):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 4)), (rng.random((20, 3)) < 0.5).astype(float)
    plain = Sequential([Dense(4, 5), Tanh(), Dense(5, 3)], loss="binary_cross_entropy",
                       backend=backend, dtype="float64", seed=1)
    ending = Sequential([Dense(4, 5), Tanh(), Dense(5, 3), Sigmoid()],
                        loss="binary_cross_entropy", backend=backend, dtype="float64", seed=1)
    assert ending.plan == plain.plan
    for a, b in zip(plain.gradients(X, Y), ending.gradients(X, Y)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain.predict_proba(X), ending.predict_proba(X))


def test_multi_label_predictions(backend):
    model = MLP([2, 3], loss="binary_cross_entropy", backend=backend, dtype="float64", seed=0)
    W, b = model.parameters()
    W[...] = [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]]
    b[...] = [0.0, 0.0, 1e-3]
    X = np.array([[2.0, 5.0], [-2.0, 5.0]])
    probs = model.predict_proba(X)
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-(X @ W + b))), rtol=1e-15)
    assert model.predict(X).dtype == np.int64
    np.testing.assert_array_equal(model.predict(X), [[1, 0, 1], [0, 1, 1]])
    assert model.score(X, [[1, 0, 1], [0, 1, 0]]) == 0.5
    assert set(model.evaluate(X, [[1, 0, 1], [0, 1, 0]])) == {"loss"}


@pytest.mark.parametrize("bad", [1.5, -0.25])
def test_binary_cross_entropy_refuses_targets_outside_0_1(bad):
    model = MLP([2, 3], loss="binary_cross_entropy", seed=0)
    Y = np.zeros((4, 3))
    Y[2, 1] = bad
    with pytest.raises(ValueError, match=r"index \(2, 1\); binary cross-entropy needs targets "
                                         r"in \[0, 1\]"):
        model.fit(np.zeros((4, 2)), Y, verbose=0)
