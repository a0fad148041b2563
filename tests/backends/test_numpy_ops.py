"""The reference backend against the maths: values by hand, definitions and finite differences."""

import math

import numpy as np
import pytest

from fastmlp.backends import numpy_ops

# --------------------------------------------------------------------------- the reference vs maths


def test_reference_dense_by_hand():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    W = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]])
    b = np.array([0.5, -0.5, 0.0])
    out = np.empty((2, 3))
    numpy_ops.dense_forward(x, W, b, out)
    np.testing.assert_array_equal(out, [[-0.5, 1.5, 3.0], [4.5, -1.5, 5.5]])

    dz = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    dx, dW, db = np.empty((2, 2)), np.empty((2, 3)), np.empty(3)
    numpy_ops.dense_backward(x, W, dz, dx, dW, db)
    # dx[i, a] = sum_j dz[i, j] W[a, j];  dW[a, j] = sum_i x[i, a] dz[i, j];  db = column sums.
    np.testing.assert_array_equal(dx, [[-1.0, -1.5], [2.0, -1.0]])
    np.testing.assert_array_equal(dW, [[7.0, 3.0, -1.0], [0.0, -1.0, -2.0]])
    np.testing.assert_array_equal(db, [3.0, 1.0, -1.0])


def test_reference_softmax_xent_matches_the_definition():
    rng = np.random.default_rng(0)
    logits = rng.uniform(-3, 3, size=(5, 4))
    y = np.array([0, 3, 1, 1, 2])
    probs = np.empty_like(logits)
    loss = numpy_ops.softmax_xent(logits, y, probs)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, softmax, rtol=1e-14)
    assert loss == pytest.approx(-np.mean(np.log(softmax[np.arange(5), y])), rel=1e-14)

    dlogits = np.empty_like(logits)
    numpy_ops.softmax_xent_backward(probs, y, dlogits)
    np.testing.assert_allclose(dlogits, (softmax - np.eye(4)[y]) / 5, rtol=1e-14, atol=1e-16)

    out = np.empty_like(logits)
    numpy_ops.softmax_forward(logits, out)
    np.testing.assert_allclose(out, softmax, rtol=1e-14)


def _central_difference(f, z, h=1e-6):
    """Elementwise derivative of an elementwise function by central differences (float64)."""
    return (f(z + h) - f(z - h)) / (2 * h)


def _apply(op, *args):
    out = np.empty_like(args[-1])
    op(*args, out)
    return out


@pytest.mark.parametrize(
    ("forward", "backward", "takes_output"),
    [
        (numpy_ops.relu_forward, numpy_ops.relu_backward, False),
        (numpy_ops.sigmoid_forward, numpy_ops.sigmoid_backward, True),
        (numpy_ops.tanh_forward, numpy_ops.tanh_backward, True),
    ],
    ids=["relu", "sigmoid", "tanh"],
)
def test_reference_activation_gradients_match_finite_differences(forward, backward, takes_output):
    rng = np.random.default_rng(1)
    z = rng.uniform(-3, 3, size=(4, 6))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the ReLU kink
    da = rng.uniform(-1, 1, size=z.shape)
    got = np.empty_like(z)
    backward(_apply(forward, z) if takes_output else z, da, got)
    want = da * _central_difference(lambda t: _apply(forward, t), z)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_reference_leaky_relu_by_hand():
    z = np.array([[-2.0, 0.0, 3.0]])
    out = np.empty_like(z)
    numpy_ops.leaky_relu_forward(z, 0.1, out)
    np.testing.assert_allclose(out, [[-0.2, 0.0, 3.0]], rtol=1e-15)
    numpy_ops.leaky_relu_backward(z, 0.1, np.array([[1.0, 1.0, 2.0]]), out)
    np.testing.assert_allclose(out, [[0.1, 0.1, 2.0]], rtol=1e-15)


def test_reference_mse_and_its_gradient():
    pred = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    target = np.array([[1.5, 2.0, 1.0], [0.0, 1.0, 4.0]])
    assert numpy_ops.mse(pred, target) == pytest.approx((0.25 + 4.0 + 4.0) / 6, rel=1e-15)
    dpred = np.empty_like(pred)
    numpy_ops.mse_backward(pred, target, dpred)
    np.testing.assert_allclose(dpred, 2 * (pred - target) / 6, rtol=1e-15)
    # and the formula is the derivative: perturb one element of pred.
    h = 1e-6
    up, down = pred.copy(), pred.copy()
    up[1, 1] += h
    down[1, 1] -= h
    slope = (numpy_ops.mse(up, target) - numpy_ops.mse(down, target)) / (2 * h)
    assert dpred[1, 1] == pytest.approx(slope, rel=1e-7)


def test_reference_dropout_multiplies_by_the_mask():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    mask = np.array([[0.0, 2.0], [2.0, 0.0]])
    out = np.empty_like(x)
    numpy_ops.dropout_forward(x, mask, out)
    np.testing.assert_array_equal(out, [[0.0, 4.0], [6.0, 0.0]])
    numpy_ops.dropout_backward(x, mask, out)
    np.testing.assert_array_equal(out, [[0.0, 4.0], [6.0, 0.0]])


def test_reference_sgd_momentum_two_steps_by_hand():
    lr, mu = 0.1, 0.9
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    for nesterov in (False, True):
        param, velocity = np.array([1.0, 1.0]), np.zeros(2)
        numpy_ops.sgd_update(param, g1, velocity, lr, mu, nesterov, 0.0)
        numpy_ops.sgd_update(param, g2, velocity, lr, mu, nesterov, 0.0)
        v1 = g1
        v2 = mu * v1 + g2
        if nesterov:
            want = 1.0 - lr * (g1 + mu * v1) - lr * (g2 + mu * v2)
        else:
            want = 1.0 - lr * v1 - lr * v2
        np.testing.assert_allclose(velocity, v2, rtol=1e-15)
        np.testing.assert_allclose(param, want, rtol=1e-15)


def test_reference_sgd_weight_decay_joins_the_gradient():
    param = np.array([2.0])
    numpy_ops.sgd_update(param, np.array([1.0]), np.zeros(1), 0.1, 0.0, False, 0.5)
    np.testing.assert_allclose(param, [2.0 - 0.1 * (1.0 + 0.5 * 2.0)], rtol=1e-15)


def test_reference_rmsprop_one_step_by_hand():
    param, grad, sq_avg = np.array([1.0, -1.0]), np.array([0.2, -4.0]), np.zeros(2)
    numpy_ops.rmsprop_update(param, grad, sq_avg, 0.01, 0.9, 1e-8, 0.0)
    np.testing.assert_allclose(sq_avg, 0.1 * grad**2, rtol=1e-15)
    np.testing.assert_allclose(param, [1.0, -1.0] - 0.01 * grad / (np.sqrt(0.1) * np.abs(grad)))


@pytest.mark.parametrize(("weight_decay", "decoupled"), [(0.0, False), (0.1, False), (0.1, True)])
def test_reference_adam_first_step_is_a_signed_step(weight_decay, decoupled):
    # From zero state the bias-corrected moments are g and g**2, so the step is lr * g / |g|.
    lr = 1e-3
    param = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.3, -5.0, 2.0])
    m, v = np.zeros(3), np.zeros(3)
    numpy_ops.adam_update(param, grad, m, v, lr, 0.9, 0.999, 1e-8, 1, weight_decay, decoupled)
    start = np.array([1.0, -2.0, 0.5])
    if decoupled:
        want = start * (1 - lr * weight_decay) - lr * np.sign(grad)
    else:
        want = start - lr * np.sign(grad + weight_decay * start)
    np.testing.assert_allclose(param, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(m, 0.1 * (grad + (0 if decoupled else weight_decay) * start))


def test_reference_adam_float32_stays_float32():
    # Every intermediate of a float32 step should be float32. The expected value is computed
    # with float32 scalars in the reference's order; IEEE rounding makes the match exact, and a
    # float64 intermediate (one rounding instead of several) breaks it on some elements.
    rng = np.random.default_rng(5)
    f = np.float32
    param = rng.standard_normal(2000).astype(f)
    grad = rng.standard_normal(2000).astype(f)
    m = rng.standard_normal(2000).astype(f) * f(0.1)
    v = rng.random(2000).astype(f) * f(0.01)
    lr, b1, b2, eps, step = 1e-3, 0.9, 0.999, 1e-8, 4
    m_want = m * f(b1) + f(1 - b1) * grad
    v_want = v * f(b2) + f(1 - b2) * grad * grad
    denom = np.sqrt(v_want) / f(math.sqrt(1 - b2**step)) + f(eps)
    p_want = param - f(lr / (1 - b1**step)) * m_want / denom
    numpy_ops.adam_update(param, grad, m, v, lr, b1, b2, eps, step, 0.0, False)
    np.testing.assert_array_equal(m, m_want)
    np.testing.assert_array_equal(v, v_want)
    np.testing.assert_array_equal(param, p_want)
