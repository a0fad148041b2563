"""Every bad input gets a clear error: what was wrong, what was expected, how to fix it."""

import re

import numpy as np
import pytest

import fastmlp
from fastmlp import (
    MLP,
    SGD,
    Adam,
    Dense,
    Dropout,
    EarlyStopping,
    LeakyReLU,
    ReLU,
    RMSprop,
    Sequential,
    Sigmoid,
    Softmax,
)

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


# --------------------------------------------------------------------------- names


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"unknown backend 'cuda'; valid backends are: "
                                         r"'numba', 'numpy'"):
        MLP([D, K], backend="cuda")


def test_unknown_backend_in_to_backend(backend):
    with pytest.raises(ValueError, match=r"unknown backend 'gpu'; valid backends are"):
        classifier(backend).to_backend("gpu")


def test_unknown_loss(backend):
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; valid losses are: "
                                         r"'cross_entropy', 'mse'"):
        MLP([D, K], loss="hinge", backend=backend)


def test_unknown_activation(backend):
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'; valid activations are: "
                                         r"'relu', 'leaky_relu', 'sigmoid', 'tanh'"):
        MLP([D, 8, K], activation="gelu", backend=backend)


@pytest.mark.parametrize("init", ["glorot", True, None])
def test_unknown_initialiser(init):
    with pytest.raises(ValueError, match=rf"unknown initialiser {init!r}; valid initialisers are: "
                                         r"'he', .*'xavier_uniform', or a float giving the "
                                         r"standard deviation"):
        Dense(D, K, init=init)


@pytest.mark.parametrize("std", [0.0, -1.0, float("inf")])
def test_initial_standard_deviation_must_be_positive(std):
    with pytest.raises(ValueError, match=rf"init as a standard deviation must be a finite number "
                                         rf"> 0, got {std}"):
        Dense(D, K, init=std)


def test_unknown_optimizer_name(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"unknown optimizer 'adagrad'; valid optimizers are: "
                                         r"'sgd', 'rmsprop', 'adam', 'adamw'"):
        classifier(backend).fit(X, y, optimizer="adagrad", verbose=0)


@pytest.mark.parametrize("dtype", ["float16", "int32", int, "floaty", None])
def test_unknown_dtype(backend, dtype):
    with pytest.raises(ValueError, match=rf"unknown dtype {re.escape(repr(dtype))}; valid dtypes "
                                         r"are: 'float32', 'float64'"):
        MLP([D, K], dtype=dtype, backend=backend)


# --------------------------------------------------------------------------- hyperparameters


@pytest.mark.parametrize("optimizer", [SGD, Adam, RMSprop])
@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
def test_learning_rate_must_be_positive(optimizer, lr):
    with pytest.raises(ValueError, match=rf"learning rate \(lr\) must be > 0, got {lr!r}"):
        optimizer(lr)


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


@pytest.mark.parametrize("make, what", [
    (lambda: SGD(True), r"learning rate \(lr\) must be a number"),
    (lambda: Adam(lr=False), r"learning rate \(lr\) must be a number"),
    (lambda: SGD(0.1, momentum=True), r"momentum must be a number"),
    (lambda: Dropout(True), r"Dropout p must be a number"),
])
def test_bool_is_not_a_number_for_hyperparameters(make, what):
    with pytest.raises(TypeError, match=rf"{what}, got bool"):
        make()


def test_shuffle_must_be_a_bool(backend, data):
    X, y = data
    with pytest.raises(TypeError, match=r"shuffle must be True or False, got str 'no'"):
        classifier(backend).fit(X, y, shuffle="no", verbose=0)


@pytest.mark.parametrize("momentum", [1, 1.5, -0.1])
def test_momentum_outside_unit_interval(momentum):
    with pytest.raises(ValueError, match=rf"momentum must lie in \[0, 1\), got {momentum}"):
        SGD(0.1, momentum=momentum)


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match=r"nesterov=True needs momentum > 0, e\.g\. "
                                         r"SGD\(lr, momentum=0\.9, nesterov=True\)"):
        SGD(0.1, nesterov=True)


@pytest.mark.parametrize("p", [1, 1.0, -0.1, float("nan"), 2])
def test_dropout_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match=rf"Dropout p must lie in \[0, 1\), got {p}"):
        Dropout(p)


def test_mlp_dropout_outside_unit_interval():
    with pytest.raises(ValueError, match=r"dropout must lie in \[0, 1\), got 1\.0"):
        MLP([D, 8, K], dropout=1.0)


@pytest.mark.parametrize("alpha", [float("nan"), float("inf")])
def test_leaky_relu_alpha_must_be_finite(alpha):
    with pytest.raises(ValueError, match=rf"LeakyReLU alpha must be a finite number, got {alpha}"):
        LeakyReLU(alpha)


@pytest.mark.parametrize("n_in, n_out, name, value", [
    (0, 3, "n_in", "0"), (3, 0, "n_out", "0"), (-2, 3, "n_in", "-2"), (2.0, 3, "n_in", "2.0"),
])
def test_dense_sizes_must_be_positive_integers(n_in, n_out, name, value):
    with pytest.raises(ValueError, match=rf"Dense {name} must be a positive integer, got {value}"):
        Dense(n_in, n_out)


def test_mismatched_consecutive_dense_layers_names_both(backend):
    layers = [Dense(D, 8), ReLU(), Dropout(0.5), Dense(7, K)]
    with pytest.raises(ValueError, match=r"Dense\(7→3\) at position 3 expects 7 inputs but the "
                                         r"Dense layer before it, Dense\(4→8\), gives 8; make "
                                         r"them agree, e\.g\. Dense\(8, 3\)"):
        Sequential(layers, backend=backend)


def test_layer_class_instead_of_instance(backend):
    with pytest.raises(TypeError, match=r"layer 1 is the class ReLU, not an instance; write "
                                        r"ReLU\(\) instead"):
        Sequential([Dense(D, 8), ReLU, Dense(8, K)], backend=backend)


def test_not_a_layer(backend):
    with pytest.raises(TypeError, match=r"layer 1 is str 'relu', not a fastmlp layer"):
        Sequential([Dense(D, 8), "relu", Dense(8, K)], backend=backend)


@pytest.mark.parametrize("layers", [[], Dense(D, K), None])
def test_layers_must_be_a_non_empty_list(backend, layers):
    with pytest.raises(TypeError, match=r"layers must be a non-empty list of layers"):
        Sequential(layers, backend=backend)


def test_same_layer_object_twice(backend):
    dense, act = Dense(D, D), ReLU()
    with pytest.raises(ValueError, match=r"the same layer object appears twice; create a new "
                                         r"layer for each position"):
        Sequential([dense, act, Dense(D, D), act, Dense(D, K)], backend=backend)
    with pytest.raises(ValueError, match=r"the same layer object appears twice"):
        Sequential([dense, ReLU(), dense], backend=backend)


def test_softmax_not_last(backend):
    with pytest.raises(ValueError, match=r"Softmax may only be the last layer .*found it at "
                                         r"position 1"):
        Sequential([Dense(D, 8), Softmax(), Dense(8, K)], backend=backend)


def test_softmax_with_mse(backend):
    with pytest.raises(ValueError, match=r"a final Softmax layer only goes with "
                                         r"loss='cross_entropy', not 'mse'"):
        Sequential([Dense(D, K), Softmax()], loss="mse", backend=backend)


def test_first_layer_not_dense(backend):
    with pytest.raises(ValueError, match=r"the first layer must be Dense .*got Sigmoid\(\)"):
        Sequential([Sigmoid(), Dense(D, K)], backend=backend)


def test_cross_entropy_with_one_output(backend):
    with pytest.raises(ValueError, match=r"cross_entropy needs one output per class \(at least "
                                         r"2\), but the last layer has 1; for two classes use 2 "
                                         r"outputs"):
        MLP([D, 8, 1], backend=backend)


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


@pytest.mark.parametrize("value", [float("nan"), np.float64("inf"), -0.5, "fast"])
def test_learning_rate_schedule_returning_garbage(backend, data, value):
    X, y = data
    optimizer = SGD(lambda epoch: 0.1 if epoch < 1 else value)
    with pytest.raises(ValueError, match=r"the learning-rate schedule returned .* for epoch 1; "
                                         r"a schedule must return a finite number >= 0"):
        classifier(backend).fit(X, y, epochs=3, optimizer=optimizer, verbose=0)


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


def test_predict_proba_on_a_regression_model(backend, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"predict_proba needs a classifier "
                                         r"\(loss='cross_entropy'\); this model has loss='mse', "
                                         r"use predict"):
        regressor(backend).predict_proba(X)


def test_unknown_gradient_method(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"unknown gradient method 'fd'; valid gradient methods "
                                         r"are: 'analytic', 'numerical'"):
        classifier(backend).gradients(X, y, method="fd")


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_seed_must_be_a_non_negative_integer(seed):
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer or None"):
        MLP([D, K], seed=seed)


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


def test_schedule_returning_a_bool_and_optimizer_class_are_rejected():
    model = fastmlp.MLP([2, 3, 2], backend="numpy", seed=0)
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="schedule returned True"):
        model.fit(X, y, optimizer=fastmlp.SGD(lambda epoch: True), verbose=0)
    with pytest.raises(TypeError, match=r"write Adam\(\)"):
        model.fit(X, y, optimizer=fastmlp.Adam, verbose=0)


def test_load_rejects_non_finite_weights(tmp_path):
    model = fastmlp.MLP([2, 3, 2], backend="numpy", seed=0)
    model.parameters()[0][0, 0] = np.nan
    path = tmp_path / "nan.npz"
    model.save(path)
    with pytest.raises(fastmlp.ModelFileError, match="NaN or infinite"):
        fastmlp.load(path)
