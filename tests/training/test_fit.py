"""Training end to end through `fit`: learning, reproducibility, histories, callbacks, backends."""

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
    ReLU,
    Sequential,
    Softmax,
)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    X, y = data.data / 16.0, data.target
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return (X[:1347], y[:1347]), (X[1347:], y[1347:])


@pytest.mark.parametrize("seed", range(5))
def test_xor_2_4_2_reaches_100_percent(backend, seed):
    model = MLP([2, 4, 2], activation="tanh", backend=backend, seed=seed)
    model.fit(XOR_X, XOR_Y, epochs=500, batch_size=None, optimizer=Adam(0.05), verbose=0)
    assert model.score(XOR_X, XOR_Y) == 1.0
    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)


def test_xor_with_one_hot_labels_and_sigmoid_sgd(backend):
    # The first seed's own example: sigmoid hidden layer, one-hot targets, plain SGD.
    one_hot = np.eye(2)[XOR_Y]
    model = MLP([2, 4, 2], activation="sigmoid", backend=backend, seed=3)
    model.fit(XOR_X, one_hot, epochs=2000, batch_size=None, optimizer=SGD(0.5, momentum=0.9),
              verbose=0)
    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)


def test_digits_64_32_10_reaches_95_percent(backend, digits):
    (X_train, y_train), (X_test, y_test) = digits
    model = MLP([64, 32, 10], backend=backend, seed=0)
    history = model.fit(X_train, y_train, epochs=30, batch_size=32, optimizer=Adam(1e-3),
                        validation_data=(X_test, y_test), verbose=0)
    accuracy = model.evaluate(X_test, y_test)["accuracy"]
    assert accuracy >= 0.95, accuracy
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_same_seed_same_backend_gives_bit_identical_weights(backend, digits):
    (X, y), _ = digits

    def train():
        model = MLP([64, 16, 10], dropout=0.2, backend=backend, seed=7)
        model.fit(X[:300], y[:300], epochs=3, batch_size=32, verbose=0)
        return model.parameters()

    for a, b in zip(train(), train()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 2e-4)])
def test_backends_follow_the_same_path(dtype, rtol, digits):
    (X, y), _ = digits
    models = [MLP([64, 20, 12, 10], activation="tanh", backend=b, dtype=dtype, seed=1)
              for b in ("numpy", "numba")]
    for model in models:
        model.fit(X[:200], y[:200], epochs=25, batch_size=None,
                  optimizer=SGD(0.1, momentum=0.9), verbose=0)
    for a, b in zip(*(m.parameters() for m in models)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(a).max())


def test_last_partial_batch_is_used(backend):
    X = np.random.default_rng(0).normal(size=(10, 3))
    y = np.arange(10) % 2
    model = MLP([3, 4, 2], backend=backend, seed=0)
    optimizer = SGD(0.1)
    model.fit(X, y, epochs=2, batch_size=4, optimizer=optimizer, verbose=0)
    assert optimizer.iterations == 6  # 4 + 4 + 2 samples per epoch


def test_history_holds_per_epoch_metrics(backend, digits):
    (X, y), (X_val, y_val) = digits
    model = MLP([64, 8, 10], backend=backend, seed=0)
    history = model.fit(X[:200], y[:200], epochs=4, validation_data=(X_val, y_val), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert all(len(values) == 4 for values in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert all(s > 0 for s in history.history["seconds"])
    assert all(0 <= a <= 1 for a in history.history["accuracy"])


def test_regression_with_mse_fits_a_smooth_function(backend):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 2))
    y = np.sin(2 * X[:, :1]) + X[:, 1:] ** 2
    model = MLP([2, 32, 1], activation="tanh", loss="mse", backend=backend, seed=0)
    model.fit(X, y, epochs=300, batch_size=64, optimizer=Adam(0.01), verbose=0)
    assert model.score(X, y) > 0.98
    assert model.predict(X).shape == (256, 1)
    assert "accuracy" not in model.evaluate(X, y)


def test_trailing_softmax_trains_exactly_like_logits(backend):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)

    def build(with_softmax):
        layers = [Dense(5, 6), ReLU(), Dense(6, 3)] + ([Softmax()] if with_softmax else [])
        model = Sequential(layers, backend=backend, seed=4)
        model.fit(X, y, epochs=5, batch_size=8, verbose=0)
        return model

    a, b = build(True), build(False)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    probs = a.predict_proba(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(probs.argmax(axis=1), a.predict(X))


def test_early_stopping_stops_and_restores_best(backend, digits):
    (X, y), (X_val, y_val) = digits
    model = MLP([64, 32, 10], backend=backend, seed=0)
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best=True)
    # A learning rate this large makes validation loss worsen quickly after the first epochs.
    history = model.fit(X, y, epochs=100, batch_size=16, optimizer=SGD(2.0), verbose=0,
                        validation_data=(X_val, y_val), callbacks=[stopper])
    epochs_run = len(history.epoch)
    assert epochs_run < 100
    assert stopper.stopped_epoch == epochs_run - 1
    best = min(history.history["val_loss"])
    assert history.history["val_loss"][stopper.best_epoch] == best
    assert model.evaluate(X_val, y_val)["loss"] == pytest.approx(best, rel=1e-5)


def test_schedule_sets_learning_rate_each_epoch(backend):
    seen = []

    class Record(fastmlp.Callback):
        def on_epoch_end(self, model, epoch, logs):
            seen.append(model.optimizer.current_lr)

    optimizer = SGD(lambda epoch: 0.1 / (epoch + 1))
    MLP([2, 3, 2], backend=backend, seed=0).fit(XOR_X, XOR_Y, epochs=3, optimizer=optimizer,
                                                verbose=0, callbacks=[Record()])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_optimizer_state_carries_over_between_fit_calls(backend):
    model = MLP([2, 4, 2], backend=backend, seed=0)
    optimizer = Adam(0.01)
    model.fit(XOR_X, XOR_Y, epochs=3, batch_size=None, optimizer=optimizer, verbose=0)
    model.fit(XOR_X, XOR_Y, epochs=2, batch_size=None, verbose=0)
    assert model.optimizer is optimizer and optimizer.iterations == 5


def test_verbose_modes_print_epoch_lines(backend, capsys):
    model = MLP([2, 3, 2], backend=backend, seed=0)
    model.fit(XOR_X, XOR_Y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "loss" in out
    model.fit(XOR_X, XOR_Y, epochs=1, verbose=1)
    assert "epoch 1/1" in capsys.readouterr().err


class Numbers(fastmlp.callbacks.Callback):
    """Records the epoch number each callback call is given."""

    def on_train_begin(self, model, logs):
        self.seen = []

    def on_epoch_end(self, model, epoch, logs):
        self.seen.append(epoch)


@pytest.mark.parametrize("verbose", [0, 2])
def test_initial_epoch_numbers_the_epochs_on_and_only_numbers_them(backend, verbose, capsys):
    runs = {}
    for initial_epoch in (0, 3):
        model = MLP([2, 4, 2], backend=backend, seed=0)
        callbacks = [Numbers()] if verbose else []  # verbose=0 without callbacks: whole runs
        history = model.fit(XOR_X, XOR_Y, epochs=initial_epoch + 3, batch_size=2,
                            initial_epoch=initial_epoch, optimizer=Adam(0.01), verbose=verbose,
                            callbacks=callbacks)
        assert history.epoch == [initial_epoch, initial_epoch + 1, initial_epoch + 2]
        assert model.optimizer.epochs == 3  # the schedule counts this call's epochs
        if verbose:
            assert callbacks[0].seen == history.epoch
        runs[initial_epoch] = (model.flat_params.copy(), history.history["loss"])
    np.testing.assert_array_equal(runs[0][0], runs[3][0])
    assert runs[0][1] == runs[3][1]
    out = capsys.readouterr().out
    if verbose:
        lines = [line.split("  ")[0] for line in out.splitlines()]
        assert lines == ["epoch 1/3", "epoch 2/3", "epoch 3/3", "epoch 4/6", "epoch 5/6",
                         "epoch 6/6"]


@pytest.mark.parametrize("initial_epoch, error, message", [
    (4, ValueError, r"initial_epoch \(4\) is past epochs \(3\).*epochs=4 \+ the epochs"),
    (-1, ValueError, "initial_epoch must be >= 0, got -1"),
    (1.5, TypeError, "initial_epoch must be an integer, got float 1.5"),
])
def test_bad_initial_epoch(initial_epoch, error, message):
    model = MLP([2, 3, 2], seed=0)
    with pytest.raises(error, match=message):
        model.fit(XOR_X, XOR_Y, epochs=3, initial_epoch=initial_epoch, verbose=0)
    assert model.optimizer is None  # refused before anything was set up


def test_initial_epoch_equal_to_epochs_trains_nothing():
    model = MLP([2, 3, 2], seed=0)
    before = model.flat_params.copy()
    assert model.fit(XOR_X, XOR_Y, epochs=2, initial_epoch=2, verbose=0).epoch == []
    np.testing.assert_array_equal(model.flat_params, before)


def test_sequential_with_every_activation_learns(backend):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    for act in ("relu", "leaky_relu", "sigmoid", "tanh"):
        model = MLP([3, 16, 16, 2], activation=act, backend=backend, seed=0)
        model.fit(X, y, epochs=150, batch_size=50, optimizer=Adam(0.01), verbose=0)
        assert model.score(X, y) > 0.9, act


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 2e-4)])
def test_dropout_runs_agree_between_backends(dtype, rtol, digits):
    # The fused Numba kernel draws its masks from the model's generator in the same order
    # as the layer-by-layer Dropout layer, so a seed gives the same run on both paths.
    (X, y), _ = digits
    models = [MLP([64, 24, 16, 10], dropout=0.3, backend=b, dtype=dtype, seed=5)
              for b in ("numpy", "numba")]
    for model in models:
        model.fit(X[:300], y[:300], epochs=3, batch_size=64, optimizer=Adam(1e-2), verbose=0)
    for a, b in zip(*(m.parameters() for m in models)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(a).max())


def test_fused_path_covers_dropout_stacks():
    from fastmlp.training.fused import supports

    model = MLP([4, 8, 3], dropout=0.5, backend="numba", seed=0)
    assert supports(model, Adam())
    odd = Sequential([Dense(4, 8), Dropout(0.2), ReLU(), Dense(8, 3)], backend="numba")
    assert not supports(odd, Adam())  # dropout before the activation: layer by layer
