"""Every bad input gets a clear error: what was wrong, what was expected, how to fix it.

Here: the data and arguments given to fit, predict, evaluate, score and gradients, and a run
that diverges. Bad constructor arguments are tested with their modules (``test_layers.py``,
``test_losses.py``, ``test_optim.py``, ``test_model.py``).
"""

import re

import numpy as np
import pytest

import fastmlp
from fastmlp import MLP, SGD, EarlyStopping

N, D, K = 20, 4, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    y = np.arange(N) % K
    return X, y


def classifier(backend, **kwargs):
    return MLP([D, 8, K], backend=backend, seed=0, **kwargs)


def regressor(backend, n_out=2, **kwargs):
    return MLP([D, 8, n_out], loss="mse", backend=backend, seed=0, **kwargs)


def call(model, method, X, y):
    """Call one public method that takes X (and y where it needs targets)."""
    fn = getattr(model, method)
    if method in ("predict", "predict_proba"):
        return fn(X)
    if method == "fit":
        return fn(X, y, epochs=1, verbose=0)
    return fn(X, y)


ALL_METHODS = ["fit", "predict", "predict_proba", "evaluate", "score", "gradients"]
XY_METHODS = ["fit", "evaluate", "score", "gradients"]


# --------------------------------------------------------------------------- feature count


@pytest.mark.parametrize("method", ALL_METHODS)
def test_wrong_feature_count_names_first_layer_and_both_shapes(backend, method):
    model = MLP([784, 128, 10], backend=backend, seed=0)
    X, y = np.zeros((32, 785)), np.zeros(32, dtype=np.int64)
    message = "Dense(784→128) expected x with 784 features, got shape (32, 785)"
    with pytest.raises(ValueError, match=re.escape(message)):
        call(model, method, X, y)


def test_wrong_feature_count_in_validation_data_says_so(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"validation_data: Dense\(4→8\) expected x with 4 "
                                         r"features, got shape \(20, 3\)"):
        classifier(backend).fit(X, y, validation_data=(X[:, :3], y), verbose=0)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ALL_METHODS)
def test_non_finite_X(backend, data, method, bad):
    X, y = data
    X = X.copy()
    X[2, 1] = bad
    with pytest.raises(ValueError, match=rf"X contains {bad} at index \(2, 1\); remove or "
                                         r"impute non-finite values"):
        call(classifier(backend), method, X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("method", XY_METHODS)
def test_non_finite_regression_targets(backend, data, method, bad):
    X, _ = data
    y = np.zeros((N, 2))
    y[3, 1] = bad
    with pytest.raises(ValueError, match=rf"y contains {bad} at index \(3, 1\)"):
        call(regressor(backend), method, X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("method", XY_METHODS)
def test_non_finite_labels(backend, data, method, bad):
    X, y = data
    y = y.astype(float)
    y[5] = bad
    with pytest.raises(ValueError, match=rf"y contains {bad} at index \(5\)"):
        call(classifier(backend), method, X, y)


@pytest.mark.parametrize("bad", [-1, K, 1000])
@pytest.mark.parametrize("method", XY_METHODS)
def test_labels_out_of_range(backend, data, method, bad):
    X, y = data
    y = y.copy()
    y[7] = bad
    message = (rf"y has labels outside \[0, 3\): found {bad} at index 7; .*labels must be "
               r"0\.\.2")
    with pytest.raises(ValueError, match=message):
        call(classifier(backend), method, X, y)


def test_non_integer_float_labels(backend, data):
    X, y = data
    y = y.astype(float)
    y[4] = 1.5
    with pytest.raises(ValueError, match=r"non-integer label 1\.5; classification needs "
                                         r"integer class labels \(use loss='mse'"):
        classifier(backend).fit(X, y, verbose=0)


def test_integral_float_labels_are_accepted(backend, data):
    X, y = data
    model = classifier(backend)
    assert model.evaluate(X, y.astype(float)) == model.evaluate(X, y)


def test_one_hot_row_with_two_ones(backend, data):
    X, y = data
    onehot = np.eye(K)[y]
    onehot[6, (y[6] + 1) % K] = 1
    with pytest.raises(ValueError, match=r"2-D y must be one-hot \(each row all zeros but a "
                                         r"single 1\)"):
        classifier(backend).fit(X, onehot, verbose=0)


def test_one_hot_of_wrong_width(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"one-hot y has 4 columns but the model has 3 "
                                         r"outputs; .*one-hot rows of width 3"):
        classifier(backend).fit(X, np.eye(4)[y], verbose=0)


def test_regression_targets_of_wrong_width(backend, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples, 2\) to match the "
                                         r"model's 2 outputs, got shape \(20, 3\)"):
        regressor(backend).fit(X, np.zeros((N, 3)), verbose=0)


@pytest.mark.parametrize("method", ["fit", "predict"])
def test_values_too_large_for_float32(backend, data, method):
    X, y = data
    X = X.copy()
    X[1, 2] = 1e300
    with pytest.raises(ValueError, match=r"X holds 1e\+300 at index \(1, 2\), too large for "
                                         r"float32 .*use dtype='float64'"):
        call(classifier(backend, dtype="float32"), method, X, y)


def test_regression_targets_too_large_for_float32(backend, data):
    X, _ = data
    y = np.zeros((N, 2))
    y[0, 1] = -1e300
    with pytest.raises(ValueError, match=r"y holds -1e\+300 at index \(0, 1\), too large for "
                                         r"float32"):
        regressor(backend, dtype="float32").fit(X, y, verbose=0)


# --------------------------------------------------------------------------- types and shapes


@pytest.mark.parametrize("X, dtype", [
    (np.full((N, D), "a"), "<U1"),
    (np.ones((N, D)).astype(object), "object"),
    (np.ones((N, D), dtype=complex), "complex128"),
])
def test_non_numeric_X(backend, data, X, dtype):
    _, y = data
    with pytest.raises(TypeError, match=rf"X must be numeric \(integers or floats\), got an "
                                        rf"array of dtype {dtype}"):
        classifier(backend).fit(X, y, verbose=0)


def test_non_numeric_labels(backend, data):
    X, _ = data
    with pytest.raises(TypeError, match=r"y must be numeric .*dtype <U3"):
        classifier(backend).fit(X, np.array(["cat"] * N), verbose=0)


def test_ragged_lists(backend):
    with pytest.raises(ValueError, match=r"X must be a rectangular numeric array"):
        classifier(backend).predict([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]])


@pytest.mark.parametrize("method", ALL_METHODS)
def test_empty_X(backend, method):
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 4\)\); pass at least one "
                                         r"sample"):
        call(classifier(backend), method, np.empty((0, D)), np.empty(0, dtype=np.int64))


def test_empty_y(backend, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"y is empty"):
        classifier(backend).fit(X, [], verbose=0)


@pytest.mark.parametrize("method", XY_METHODS)
def test_length_mismatch(backend, data, method):
    X, y = data
    with pytest.raises(ValueError, match=r"X has 20 samples but y has 19; pass one label"):
        call(classifier(backend), method, X, y[:-1])


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_one_dimensional_X_hints_at_reshape(backend, data, method):
    X, y = data
    with pytest.raises(ValueError, match=r"Dense\(4→8\) expected X of shape \(n_samples, 4\), "
                                         r"got a 1-D array of shape \(4,\); for a single sample "
                                         r"use X\.reshape\(1, -1\)"):
        call(classifier(backend), method, X[0], y)


def test_three_dimensional_X(backend):
    with pytest.raises(ValueError, match=r"expected X of shape \(n_samples, 4\), got shape "
                                         r"\(2, 2, 2\)"):
        classifier(backend).predict(np.zeros((2, 2, 2)))


# --------------------------------------------------------------------------- fit arguments


@pytest.mark.parametrize("batch_size", [-1, 0])
def test_batch_size_must_be_positive(backend, data, batch_size):
    X, y = data
    with pytest.raises(ValueError, match=rf"batch_size must be > 0, got {batch_size}"):
        classifier(backend).fit(X, y, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize("epochs", [1.5, 2.0, "3"])
def test_epochs_must_be_an_integer(backend, data, epochs):
    X, y = data
    with pytest.raises(TypeError, match=rf"epochs must be an integer, got "
                                        rf"{type(epochs).__name__} {re.escape(repr(epochs))}"):
        classifier(backend).fit(X, y, epochs=epochs, verbose=0)


def test_negative_epochs(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"epochs must be >= 0, got -1"):
        classifier(backend).fit(X, y, epochs=-1, verbose=0)


@pytest.mark.parametrize("kwarg", ["epochs", "batch_size"])
def test_bool_is_not_a_number_for_fit(backend, data, kwarg):
    X, y = data
    with pytest.raises(TypeError, match=rf"{kwarg} must be an integer, got bool True"):
        classifier(backend).fit(X, y, verbose=0, **{kwarg: True})


def test_shuffle_must_be_a_bool(backend, data):
    X, y = data
    with pytest.raises(TypeError, match=r"shuffle must be True or False, got str 'no'"):
        classifier(backend).fit(X, y, shuffle="no", verbose=0)


@pytest.mark.parametrize("validation_data, got", [
    ("X", "str"),
    (np.zeros((2, D)), "ndarray"),
    ((np.zeros((2, D)),), "a tuple of 1 items"),
    ((np.zeros((2, D)), np.zeros(2), np.zeros(2)), "a tuple of 3 items"),
])
def test_validation_data_not_a_pair(backend, data, validation_data, got):
    X, y = data
    with pytest.raises(ValueError, match=rf"validation_data must be a pair \(X_val, y_val\), "
                                         rf"got {got}"):
        classifier(backend).fit(X, y, validation_data=validation_data, verbose=0)


def test_validation_data_with_bad_labels(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"validation_data: X has 20 samples but y has 19"):
        classifier(backend).fit(X, y, validation_data=(X, y[:-1]), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data: y has labels outside \[0, 3\)"):
        classifier(backend).fit(X, y, validation_data=(X, y + 1), verbose=0)


def test_early_stopping_on_val_loss_without_validation_data(backend, data):
    X, y = data
    model = classifier(backend)
    before = [p.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"EarlyStopping monitors 'val_loss', which fit will not "
                                         r"log \(pass validation_data to fit\); logged metrics "
                                         r"are: 'loss', 'accuracy', 'seconds'"):
        model.fit(X, y, callbacks=[EarlyStopping()], verbose=0)
    # The check happens before any training step.
    assert all(np.array_equal(a, b) for a, b in zip(before, model.parameters()))


def test_callbacks_must_be_a_list(backend, data):
    X, y = data
    with pytest.raises(TypeError, match=r"callbacks must be a list of Callback instances"):
        classifier(backend).fit(X, y, callbacks=EarlyStopping(monitor="loss"), verbose=0)
    with pytest.raises(TypeError, match=r"callbacks must be Callback instances"):
        classifier(backend).fit(X, y, callbacks=[EarlyStopping], verbose=0)


# --------------------------------------------------------------------------- divergence


def unscaled_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8)) * 100 + 50
    return X, (X[:, 0] > 50).astype(np.int64)


@pytest.mark.parametrize("trigger, dtype", [
    ("learning rate 1e6", "float32"),
    ("learning rate 1e6", "float64"),
    ("inputs near 1e30", "float32"),
])
def test_non_finite_loss_stops_training_with_finite_weights(backend, trigger, dtype):
    X, y = unscaled_problem()
    lr = 1e6
    if trigger == "inputs near 1e30":
        X, lr = X * 1e28, 0.01
    model = MLP([8, 16, 2], backend=backend, seed=0, dtype=dtype)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as info:
        model.fit(X, y, epochs=20, batch_size=32, optimizer=SGD(lr), verbose=0)
    message = str(info.value)
    assert re.search(r"the loss became (nan|inf|-inf) at epoch \d+, step \d+; training stopped "
                     r"with the weights of the last finite step", message), message
    assert f"Try a smaller learning rate (now {lr:g})" in message
    assert all(np.isfinite(p).all() for p in model.parameters())
    assert np.isfinite(model.evaluate(X, y)["loss"])
    assert np.isfinite(model.predict_proba(X)).all()


def test_non_finite_weights_after_the_last_step_are_caught(backend):
    # One full-batch step: no later loss would notice that the update overflowed.
    X, y = unscaled_problem()
    model = MLP([8, 16, 2], backend=backend, seed=0, dtype="float32")
    initial = [p.copy() for p in model.parameters()]
    with np.errstate(all="ignore"), pytest.raises(
            FloatingPointError, match=r"the weights became non-finite at epoch 1, step 1; "
                                      r".*smaller learning rate"):
        model.fit(X, y, epochs=1, batch_size=None, optimizer=SGD(1e38), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(initial, model.parameters()))
    assert np.isfinite(model.evaluate(X, y)["loss"])


# --------------------------------------------------------------------------- other


def test_unknown_gradient_method(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"unknown gradient method 'fd'; valid gradient methods "
                                         r"are: 'analytic', 'numerical'"):
        classifier(backend).gradients(X, y, method="fd")


def test_errors_are_public_types():
    assert issubclass(fastmlp.ModelFileError, ValueError)


def test_callback_and_layer_arguments_are_checked():
    with pytest.raises(TypeError, match="monitor must be a metric name"):
        fastmlp.EarlyStopping(monitor=3)
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        fastmlp.EarlyStopping(min_delta=float("nan"))
    with pytest.raises(TypeError, match="min_delta must be a number"):
        fastmlp.EarlyStopping(min_delta="x")
    with pytest.raises(TypeError, match="Dense bias must be True or False"):
        fastmlp.Dense(2, 3, bias="no")


