"""fastmlp.directional_gradient_check: backprop against central differences along random
directions."""

import numpy as np
import pytest

import fastmlp
import fastmlp.directional_gradient_check
from fastmlp import MLP, Dense, ReLU, Sequential


def _data(n, n_in, n_out, loss, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    y = rng.integers(0, n_out, size=n) if loss == "cross_entropy" else rng.normal(size=(n, n_out))
    return X, y


def test_directional_check_agrees_on_a_smooth_net(backend):
    model = MLP([4, 6, 5, 3], activation="tanh", backend=backend, dtype="float32", seed=0)
    X, y = _data(9, 4, 3, "cross_entropy")
    before = [p.copy() for p in model.parameters()]
    report = fastmlp.directional_check(model, X, y, n_directions=5, seed=1)
    assert len(report.rows) == 5
    assert 0 < report.floor < 1e-9
    for row in report.rows:
        assert not row["kinked"]
        assert abs(row["analytic"]) > 100 * report.floor  # a derivative, not rounding noise
    assert report.max_error <= 1e-6, str(report)
    for a, b in zip(before, model.parameters()):  # taken on a float64 copy
        np.testing.assert_array_equal(a, b)
    assert "rounding" in str(report)


def test_directional_check_draws_new_directions_per_seed(backend):
    model = MLP([3, 5, 2], activation="tanh", backend=backend, dtype="float64", seed=0)
    X, y = _data(6, 3, 2, "cross_entropy")
    first = fastmlp.directional_check(model, X, y, n_directions=2, seed=7)
    again = fastmlp.directional_check(model, X, y, n_directions=2, seed=7)
    other = fastmlp.directional_check(model, X, y, n_directions=2, seed=8)
    assert [r["analytic"] for r in first.rows] == [r["analytic"] for r in again.rows]
    assert first.rows[0]["analytic"] != other.rows[0]["analytic"]


@pytest.mark.parametrize("bug", ["scaled by 1.001", "last bias gradient dropped"])
def test_directional_check_flags_a_wrong_gradient(backend, monkeypatch, bug):
    model = MLP([4, 6, 3], activation="tanh", backend=backend, dtype="float64", seed=0)
    X, y = _data(9, 4, 3, "cross_entropy")
    assert fastmlp.directional_check(model, X, y, seed=0).max_error_resolved <= 1e-6
    original = fastmlp.directional_gradient_check.analytic_gradients

    def wrong(*args):
        grads = original(*args)
        if bug == "scaled by 1.001":
            return [g * 1.001 for g in grads]
        return grads[:-1] + [np.zeros_like(grads[-1])]

    monkeypatch.setattr(fastmlp.directional_gradient_check, "analytic_gradients", wrong)
    report = fastmlp.directional_check(model, X, y, seed=0)
    assert report.max_error_resolved > 4e-4, str(report)


def test_directional_check_marks_directions_across_a_relu_kink(backend):
    model = Sequential([Dense(2, 3), ReLU(), Dense(3, 2)], backend=backend, dtype="float64",
                       seed=0)
    W1, b1 = model.parameters()[:2]
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    b1[0] = -(X[0] @ W1[:, 0]) + 1e-12  # unit 0 of sample 0 sits on the kink
    report = fastmlp.directional_check(model, X, np.array([0, 1]), n_directions=3, seed=0)
    assert all(row["kinked"] for row in report.rows)
    assert report.max_error_resolved == 0.0  # kinked directions are not held to the bound
    assert "yes" in str(report)


def test_directional_check_validates_its_arguments():
    model = MLP([3, 4, 2], seed=0)
    X, y = _data(5, 3, 2, "cross_entropy")
    with pytest.raises(ValueError, match="n_directions"):
        fastmlp.directional_check(model, X, y, n_directions=0)
    with pytest.raises(ValueError, match="eps"):
        fastmlp.directional_check(model, X, y, eps=0.0)
