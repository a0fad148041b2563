"""ModelCheckpoint: when it saves, what it writes, and the errors it raises before training."""

import os

import numpy as np
import pytest

import fastmlp
from fastmlp.checkpoint import ModelCheckpoint


@pytest.fixture(scope="module")
def digits():
    (X, y), (X_test, y_test) = fastmlp.load_digits()
    return X[:300], y[:300], (X_test[:100], y_test[:100])


class Logs(fastmlp.Callback):
    """Remembers each epoch's logs and a copy of the weights."""

    def __init__(self):
        self.logs, self.weights = [], []

    def on_epoch_end(self, model, epoch, logs):
        self.logs.append(dict(logs))
        self.weights.append([np.copy(p) for p in model.parameters()])


def test_every_epoch_with_epoch_in_the_name(digits, tmp_path, backend):
    X, y, validation = digits
    model = fastmlp.MLP([64, 16, 10], backend=backend, seed=0)
    seen = Logs()
    checkpoint = ModelCheckpoint(tmp_path / "run-{epoch:02d}-{val_loss:.3f}.npz",
                                 save_best_only=False)
    model.fit(X, y, epochs=3, batch_size=32, verbose=0, validation_data=validation,
              callbacks=[seen, checkpoint])
    expected = [f"run-{i + 1:02d}-{logs['val_loss']:.3f}.npz" for i, logs in
                enumerate(seen.logs)]
    assert [os.path.basename(p) for p in checkpoint.saved] == expected
    assert sorted(os.listdir(tmp_path)) == expected
    for path, weights in zip(checkpoint.saved, seen.weights):
        for saved, kept in zip(fastmlp.load(path).parameters(), weights):
            np.testing.assert_array_equal(saved, kept)


def test_save_best_only_keeps_the_best_epoch(digits, tmp_path):
    X, y, validation = digits
    model = fastmlp.MLP([64, 16, 10], backend="numpy", seed=1)
    seen = Logs()
    path = tmp_path / "best.npz"
    # A large learning rate makes val_loss go up and down, so some epochs are not saved.
    checkpoint = ModelCheckpoint(path, monitor="val_loss")
    model.fit(X, y, epochs=8, batch_size=16, verbose=0, validation_data=validation,
              optimizer=fastmlp.SGD(0.5), callbacks=[seen, checkpoint])
    losses = [logs["val_loss"] for logs in seen.logs]
    improving = [i for i, v in enumerate(losses) if v < min(losses[:i], default=np.inf)]
    assert len(checkpoint.saved) == len(improving) < len(losses)
    best = int(np.argmin(losses))
    assert checkpoint.best == losses[best]
    for saved, kept in zip(fastmlp.load(path).parameters(), seen.weights[best]):
        np.testing.assert_array_equal(saved, kept)
    assert os.listdir(tmp_path) == ["best.npz"]


def test_every_n_epochs_and_max_mode(digits, tmp_path):
    X, y, _ = digits
    model = fastmlp.MLP([64, 8, 10], backend="numpy", seed=2)
    checkpoint = ModelCheckpoint(tmp_path / "e{epoch}.npz", monitor="accuracy",
                                 save_best_only=False, every=2)
    model.fit(X, y, epochs=5, batch_size=64, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["e2.npz", "e4.npz"]
    assert checkpoint.maximize


@pytest.mark.parametrize("kwargs, error, message", [
    ({"path": ""}, ValueError, "non-empty file name"),
    ({"path": "a{epoch"}, ValueError, "not a valid template"),
    ({"path": "a{0}.npz"}, ValueError, r"asks for the field \{0\}"),
    ({"path": "a.npz", "every": 0}, ValueError, "every must be a positive integer"),
    ({"path": "a.npz", "save_best_only": "yes"}, TypeError, "save_best_only must be"),
    ({"path": "a.npz", "monitor": 3}, TypeError, "monitor must be a metric name"),
    ({"path": "a.npz", "mode": "up"}, ValueError, "unknown mode 'up'"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        ModelCheckpoint(**kwargs)


@pytest.mark.parametrize("path, monitor, message", [
    ("best.npz", "val_loss", r"needs 'val_loss'.*pass validation_data"),
    ("m-{val_accuracy}.npz", "loss", r"needs 'val_accuracy'"),
    ("m-{loss:03d}.npz", "loss", "cannot be filled in"),
    ("missing-folder/m.npz", "loss", "missing-folder"),
])
def test_problems_are_found_before_the_first_epoch(path, monitor, message, digits, tmp_path):
    X, y, _ = digits
    model = fastmlp.MLP([64, 8, 10], backend="numpy", seed=0)
    before = np.copy(model.parameters()[0])
    with pytest.raises((ValueError, OSError), match=message):
        model.fit(X, y, epochs=2, verbose=0,
                  callbacks=[ModelCheckpoint(tmp_path / path, monitor=monitor)])
    np.testing.assert_array_equal(model.parameters()[0], before)  # no epoch was run
