"""fastmlp.losses: each loss and its gradient by hand on both backends, and through a model."""

import numpy as np
import pytest

from fastmlp import MLP, Dense, Sequential
from fastmlp.backends import get_backend
from fastmlp.losses import LOSSES, MeanSquaredError, SoftmaxCrossEntropy

D, K = 4, 3

LOGITS = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
LABELS = np.array([0, 1])


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_losses_by_name():
    assert LOSSES == {"cross_entropy": SoftmaxCrossEntropy, "mse": MeanSquaredError}
    assert all(cls.name == name for name, cls in LOSSES.items())
    assert SoftmaxCrossEntropy.is_classification and not MeanSquaredError.is_classification


def test_unknown_loss(backend):
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; valid losses are: "
                                         r"'cross_entropy', 'mse'"):
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
