"""fastmlp.training.health: warnings for runs that stay finite but do not learn."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

from fastmlp import MLP, SGD, Adam
from fastmlp.training import health
from fastmlp.training.health import DivergenceWarning


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def test_an_exploding_loss_warns(backend, digits):
    """The issue's example: SGD(1e6) on digits stays finite and learns nothing."""
    X, y = digits
    model = MLP([64, 32, 10], backend=backend, seed=0)
    with pytest.warns(DivergenceWarning, match="the training loss exploded"):
        history = model.fit(X, y, epochs=3, optimizer=SGD(1e6), verbose=0)
    assert "lower the learning rate" in history.warning


def test_no_better_than_chance_warns(backend):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)).astype(np.float32)
    y = np.where(rng.random(400) < 0.9, 0, 1)  # 90 % of one class, unrelated to X
    model = MLP([5, 4, 2], backend=backend, seed=0)
    with pytest.warns(DivergenceWarning, match="no better than chance"):
        model.fit(X, y, epochs=1, optimizer=SGD(1e-6), verbose=0)


def test_a_healthy_run_is_silent(backend, digits):
    X, y = digits
    model = MLP([64, 32, 10], backend=backend, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        history = model.fit(X, y, epochs=8, verbose=0)
    assert history.warning is None
    assert history.history["accuracy"][-1] > 0.9


def test_inputs_that_overflow_float32_warn_before_training(backend):
    X = np.full((8, 4), 1e30, dtype=np.float32)
    y = np.arange(8) % 2
    model = MLP([4, 3, 2], backend=backend, seed=0)
    with pytest.warns(RuntimeWarning, match="values as large as 1e\\+30.*float32 arithmetic"):
        try:
            model.fit(X, y, epochs=2, verbose=0)
        except FloatingPointError:
            pass  # stopping is fine; silence is not


def test_wide_integer_inputs_that_overflow_float32_warn_at_the_callers_line(backend):
    X = np.full((8, 4), 2 ** 62, dtype=np.int64)  # converted to float32: 4.6e18
    y = np.arange(8) % 2
    model = MLP([4, 3, 2], backend=backend, seed=0)
    with pytest.warns(RuntimeWarning, match="values as large as 4.61e\\+18.*float32") as caught:
        try:
            model.fit(X, y, epochs=1, verbose=0)
        except FloatingPointError:
            pass
    assert [w.filename for w in caught if "as large as" in str(w.message)] == [__file__]


def test_adam_whose_second_moment_overflows_stops_with_a_clear_error(backend):
    """Adam in float32 on inputs near 1e30: v overflows to inf and every update becomes 0."""
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(64, 4)) * 1e30).astype(np.float32)
    y = rng.integers(0, 2, 64)
    model = MLP([4, 3, 2], backend=backend, seed=0)
    with pytest.warns(RuntimeWarning, match="values as large as"):
        with pytest.raises(FloatingPointError, match="non-finite|overflowed"):
            model.fit(X, y, epochs=3, optimizer=Adam(1e-3), verbose=0)
    assert np.isfinite(model.flat_params).all()


def test_inference_on_overflowing_input_warns_instead_of_returning_nan_silently(backend):
    model = MLP([4, 3, 2], backend=backend, seed=0)
    W1, _, W2, _ = model.parameters()
    W1[...] = 1.0  # each hidden unit sums four inputs of 3e38: inf in float32
    W2[...] = [[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]]  # inf - inf: NaN logits
    X = np.full((4, 4), 3e38, dtype=np.float32)
    with pytest.warns(RuntimeWarning, match="not finite for 4 of 4 rows"):
        probs = model.predict_proba(X)
    assert not np.isfinite(probs).all()  # the warning is about exactly this
    with pytest.warns(RuntimeWarning, match="not finite"):
        model.predict(X)
    with pytest.warns(RuntimeWarning, match="the loss on these inputs is nan"):
        model.evaluate(X, np.zeros(4, dtype=np.int64))


def test_with_sample_weights_the_start_is_weighted_and_chance_is_not_judged(backend):
    """A heavily weighted minority class: training may rightly trade the unweighted accuracy
    for the weighted loss. The first 1,024 rows weigh nothing: the start is still measured."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5)).astype(np.float32)
    y = np.where(rng.random(1500) < 0.9, 0, 1)
    weights = np.where(y == 1, 50.0, 1.0)
    weights[:1024] = 0.0
    model = MLP([5, 4, 2], backend=backend, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        history = model.fit(X, y, epochs=1, optimizer=SGD(1e-6), verbose=0,
                            sample_weight=weights)
    assert history.warning is None


def test_the_starting_loss_is_the_reference_ops_loss_and_the_backend_is_kept(backend, digits):
    """The baseline runs on the NumPy reference ops (no inference kernel compiled for it) and
    leaves the model on its own backend, also when evaluating fails."""
    X, y = digits
    model = MLP([64, 32, 10], backend=backend, seed=0)
    loss, chance = health.baseline(model, X, y)
    reference = MLP([64, 32, 10], backend="numpy", seed=0).evaluate(X[:1024], y[:1024])
    assert loss == reference["loss"]
    assert chance == np.bincount(y).max() / len(y)
    assert model.backend == backend and all(layer.ops is model.ops for layer in model.layers)
    with pytest.raises(ValueError):
        health.baseline(model, X, y[:10])  # fewer labels than rows: the evaluation fails
    assert model.backend == backend and all(layer.ops is model.ops for layer in model.layers)
