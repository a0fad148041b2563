"""fastmlp.training.epochs: the same behaviour whichever trainer and way of running the
epochs ``fit`` picks, Ctrl-C, edge cases, the progress bar."""

import signal
import threading

import numpy as np
import pytest

import fastmlp.training.epochs as epochs
import fastmlp.training.loop as loop
from fastmlp import MLP, SGD, Adam, StepDecay
from fastmlp.callbacks import History

TRAINERS = ["fused-whole-run", "fused-by-epoch", "layerwise-numba", "layerwise-numpy"]


def _fit(trainer, model, X, y, monkeypatch, **kwargs):
    """``model.fit`` through the trainer and loop named by ``trainer``."""
    if trainer.endswith("numpy"):
        model.to_backend("numpy")
    with monkeypatch.context() as m:
        if trainer.startswith("layerwise"):
            m.setattr(loop, "supports", lambda *args: False)
        # verbose=2 takes the epoch loop; 0 lets the fused trainer run whole epochs per call.
        verbose = 0 if trainer == "fused-whole-run" else 2
        return model.fit(X, y, verbose=verbose, **kwargs)


def _digits(n=300):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 16)).astype(np.float32), rng.integers(0, 4, n)


@pytest.mark.parametrize("trainer", TRAINERS)
def test_zero_epochs_train_nothing_and_log_the_same_keys(trainer, monkeypatch, capsys):
    X, y = _digits()
    model = MLP([16, 8, 4], seed=0)
    before = model.flat_params.copy()
    history = _fit(trainer, model, X, y, monkeypatch, epochs=0)
    assert history.history == {"loss": [], "accuracy": [], "seconds": []}
    assert history.epoch == [] and model.history is history
    np.testing.assert_array_equal(model.flat_params, before)


@pytest.mark.parametrize("trainer", TRAINERS)
def test_a_steep_schedule_stops_every_path_the_same_way(trainer, monkeypatch, capsys):
    """StepDecay(0.1, 1, gamma=1e10) used to overflow on one path before training and stop with
    a non-finite loss at epoch 5 on another."""
    X, y = _digits()
    model = MLP([16, 8, 4], seed=0)
    with pytest.raises(FloatingPointError, match=r"the loss became (nan|inf) at epoch 2, step 4;"):
        _fit(trainer, model, X, y, monkeypatch, epochs=40, batch_size=50,
             optimizer=SGD(StepDecay(0.1, step_size=1, gamma=1e10)))
    assert model.history.epoch == [0]
    assert np.isfinite(model.flat_params).all()
    # The schedule stands at the epoch that failed, with its learning rate, on every path.
    assert model.optimizer.epochs == 2
    assert model.optimizer.current_lr == pytest.approx(0.1 * 1e10)


def test_a_schedule_that_overflows_python_floats_says_which_epoch():
    X, y = _digits()
    model = MLP([16, 8, 4], seed=0)
    # 1e-300 * 1e10**31 overflows a float only at epoch 31, long after any loss would.
    with pytest.raises(ValueError, match="returned inf for epoch 31"):
        model.fit(X, y, epochs=40, verbose=0,
                  optimizer=SGD(StepDecay(1e-300, step_size=1, gamma=1e10)))
    assert model.history.epoch == list(range(31))


def _interrupt_after(seconds):
    """Send SIGINT (what Ctrl-C sends) to the main thread after ``seconds``, from a thread.

    To the main thread by name, where a terminal's Ctrl-C lands and where Python handles
    signals: ``raise_signal`` from the timer's thread delivered it to that thread."""
    timer = threading.Timer(seconds, signal.pthread_kill,
                            args=(threading.main_thread().ident, signal.SIGINT))
    timer.start()
    return timer


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl-C handler for the test, as at a terminal: a process started in the
    background by a non-interactive shell inherits SIGINT ignored, and Python then installs
    no handler (the Ctrl-C test failed, and hung before its epochs were finite, under such a
    launcher)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_ctrl_c_leaves_the_weights_and_state_of_the_last_completed_step(backend, monkeypatch,
                                                                         ctrl_c_raises):
    """Interrupted mid-run, the model holds exactly the weights that many steps give, with the
    optimizer's state and step count of that step, and the History so far."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 64)).astype(np.float32)
    y = rng.integers(0, 10, len(X))

    def build():
        return MLP([64, 64, 10], backend=backend, seed=0)

    build().fit(X[:256], y[:256], epochs=1, batch_size=32, verbose=0)  # compile first
    model, batch = build(), 32
    n_batches = len(X) // batch
    timer = _interrupt_after(0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            # Far more epochs than 0.5 s allows, yet finite: a lost interrupt fails the test
            # (no KeyboardInterrupt) after minutes instead of hanging the suite.
            model.fit(X, y, epochs=2_000, batch_size=batch, optimizer=Adam(1e-3),
                      shuffle=False, verbose=0)
    finally:
        timer.cancel()
    steps = model.optimizer.iterations
    assert steps > 0
    # The schedule counts the epochs begun, not those a kernel call had set up ahead.
    assert -(-steps // n_batches) <= model.optimizer.epochs <= steps // n_batches + 1
    assert isinstance(model.history, History)
    # Every epoch logged so far; the epoch whose last step had just run when Ctrl-C came may
    # be in the weights without having been logged yet.
    logged = len(model.history.epoch)
    assert model.history.epoch == list(range(logged))
    assert steps // n_batches - 1 <= logged <= steps // n_batches
    # Replay exactly that many steps, uninterrupted.
    twin = build()
    twin.optimizer = Adam(1e-3)
    replayed = None
    if steps // n_batches:
        replayed = twin.fit(X, y, epochs=steps // n_batches, batch_size=batch, shuffle=False,
                            verbose=0)
    if steps % n_batches:
        rows = (steps % n_batches) * batch
        twin.fit(X[:rows], y[:rows], epochs=1, batch_size=batch, shuffle=False, verbose=0)
    assert twin.optimizer.iterations == steps
    np.testing.assert_array_equal(model.flat_params, twin.flat_params)
    for name in model.optimizer.state_names:
        np.testing.assert_array_equal(model.optimizer.flat_state[name],
                                      twin.optimizer.flat_state[name])
    if logged:
        np.testing.assert_array_equal(model.history.history["loss"],
                                      replayed.history["loss"][:logged])


def test_the_progress_bar_shows_the_weighted_running_loss(backend, monkeypatch):
    shown = []

    class Bar:
        n = 0

        def update(self, k):
            self.n += k

        def set_postfix(self, loss, refresh):
            shown.append(float(loss))

        def close(self):
            pass

    monkeypatch.setattr(epochs, "_progress", lambda *args: Bar())
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = rng.integers(0, 2, 200)
    weights = rng.random(200) * 4
    model = MLP([5, 4, 2], backend=backend, seed=0)
    history = model.fit(X, y, epochs=1, batch_size=20, verbose=1, sample_weight=weights)
    # The last running value is the epoch's weighted mean loss (printed to 4 decimals).
    assert shown[-1] == pytest.approx(history.history["loss"][0], abs=5e-5)
