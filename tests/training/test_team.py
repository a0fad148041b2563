"""fastmlp.training.team: how many threads train, and running the fused kernel on them."""

import threading

import numba
import numpy as np
import pytest

import fastmlp
import fastmlp.training.fused as fused_module
import fastmlp.training.team as team_module
from fastmlp import MLP, Adam
from fastmlp.backends import _blas
from fastmlp.backends import _team as T
from fastmlp.training.fused import FusedTrainer


def test_a_small_step_trains_on_one_thread(monkeypatch):
    monkeypatch.setattr(_blas, "blas_threads", lambda: 8)
    monkeypatch.setattr(team_module, "_cores", lambda: 8)
    assert team_module.team_size(team_module.MIN_TEAM_WORK - 1) == 1
    assert team_module.team_size(team_module.MIN_TEAM_WORK) == 8


def test_the_team_takes_blas_threads_up_to_the_usable_cores(monkeypatch):
    monkeypatch.setattr(team_module, "_cores", lambda: 2)
    for blas, expected in ((1, 1), (2, 2), (6, 2)):
        monkeypatch.setattr(_blas, "blas_threads", lambda blas=blas: blas)
        assert team_module.team_size(10 ** 9) == expected
    monkeypatch.setattr(_blas, "blas_threads", lambda: None)  # a BLAS that cannot tell
    assert team_module.team_size(10 ** 9) == 1


def test_fastmlp_threads_sets_the_team_of_a_large_network():
    model = MLP([784, 512, 512, 10], seed=0)
    trainer = FusedTrainer(model, np.zeros((256, 784), np.float32), np.zeros(256, np.int64), 128)
    assert trainer._step_work >= team_module.MIN_TEAM_WORK
    if _blas.blas_threads() is None:
        pytest.skip("the kernels' BLAS cannot tell its thread count")
    with fastmlp.threads(1):
        assert trainer.team_size == 1
    with fastmlp.threads(2):
        assert trainer.team_size == min(2, team_module._cores())


def _members_alive():
    return [t for t in threading.enumerate() if t.name.startswith("fastmlp-member-")]


def test_members_are_joined_and_blas_gets_its_threads_back():
    seen = []

    def kernel(value, team):
        seen.append((team.member, team.size, value))
        return team.member

    before = _blas.blas_threads()
    assert team_module.run_as_team(kernel, ("x",), 3) == 0  # member 0's result
    assert sorted(seen) == [(0, 3, "x"), (1, 3, "x"), (2, 3, "x")]
    assert _blas.blas_threads() == before and not _members_alive()


def test_a_fit_on_a_team_evaluates_on_one_blas_thread():
    before = _blas.blas_threads()
    if before is None:
        pytest.skip("the kernels' BLAS cannot tell its thread count")

    class OnATeam:
        team_size = 2

    with team_module.evaluating_beside(OnATeam()):
        assert _blas.blas_threads() == 1
    assert _blas.blas_threads() == before
    for serial in (object(), type("Serial", (), {"team_size": 1})()):
        with team_module.evaluating_beside(serial):
            assert _blas.blas_threads() == before


def test_callbacks_of_a_fit_on_a_team_see_the_callers_blas_threads():
    # The team holds BLAS to one thread only while it trains: a callback's own products
    # (the roofline times the epoch's GEMMs alone in one) run as the caller set them.
    if _blas.blas_threads() is None:
        pytest.skip("the kernels' BLAS cannot tell its thread count")
    X = np.random.default_rng(0).random((512, 784), dtype=np.float32)
    y = np.arange(512) % 10

    class Seen(fastmlp.callbacks.Callback):
        counts = []

        def on_epoch_end(self, model, epoch, logs):
            self.counts.append(_blas.blas_threads())

    for threads in (1, 2):
        with fastmlp.threads(threads):
            model = MLP([784, 512, 512, 10], seed=0)
            assert FusedTrainer(model, X, y, 128).team_size == min(threads, team_module._cores())
            Seen.counts = []
            model.fit(X, y, epochs=2, batch_size=128, optimizer=Adam(1e-3), verbose=0,
                      callbacks=[Seen()])
            assert Seen.counts == [threads] * 2
            assert _blas.blas_threads() == threads


@numba.njit(nogil=True)
def _fail_or_wait(fail_member, team):
    if team.member == fail_member:
        raise ValueError("member failed")
    T.barrier(team.sync, team.size, 1)  # the failed member never arrives
    return 0


@pytest.mark.parametrize("fail_member", [0, 1])
def test_a_failing_member_releases_the_others_and_its_error_is_raised(fail_member):
    outcome = []

    def run():
        try:
            team_module.run_as_team(_fail_or_wait, (fail_member,), 2)
        except ValueError as err:
            outcome.append(str(err))

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=60)  # a barrier left waiting would hang here
    assert not runner.is_alive(), "the team hung after a member failed"
    assert outcome == ["member failed"] and not _members_alive()


def test_a_layer_is_shared_by_columns_where_its_packing_saved_outweighs_the_barriers():
    assert list(team_module.shared_by_columns([784, 512, 512, 10], 128)) == [1, 0, 0]
    assert list(team_module.shared_by_columns([784, 256, 128, 10], 128)) == [0, 0, 0]
    assert list(team_module.shared_by_columns([784, 128, 10], 128)) == [0, 0]
    # Narrower than the batch: sharing columns would pack more, not less.
    assert list(team_module.shared_by_columns([4096, 100, 4096, 10], 128)) == [0, 1, 0]
    # The output layer stays shared by rows, however wide: the loss is per row.
    assert list(team_module.shared_by_columns([784, 4096], 128)) == [0]


def test_a_wide_network_is_fitted_with_its_first_layer_shared_by_columns():
    model = MLP([784, 512, 512, 10], seed=0)
    trainer = FusedTrainer(model, np.zeros((256, 784), np.float32), np.zeros(256, np.int64), 128)
    assert list(trainer.layers.cols) == [1, 0, 0]


def _fit(team, monkeypatch, dropout=0.0, seed=0, cols=None):
    """One epoch of a network whose products go through BLAS, on a team of ``team``, its
    layers shared by columns where ``cols`` says (else as the rule chooses)."""
    monkeypatch.setattr(fused_module, "team_size", lambda step_work: team)
    if cols is not None:
        monkeypatch.setattr(fused_module, "shared_by_columns",
                            lambda sizes, batch_size: np.array(cols, dtype=np.int64))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(640, 96)).astype(np.float32)
    y = rng.integers(0, 10, len(X))
    model = MLP([96, 160, 70, 10], dropout=dropout, seed=seed)
    history = model.fit(X, y, epochs=2, batch_size=64, optimizer=Adam(1e-3), verbose=0)
    return model, history.history


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_team_trains_as_one_thread_does_up_to_rounding(monkeypatch, dropout):
    """BLAS may round a product of some columns differently from the whole product, so a
    team's bits can differ from one thread's (as BLAS's own thread count changes them); the
    training must not: same masks, same steps, the same weights up to float32 rounding."""
    serial, serial_history = _fit(1, monkeypatch, dropout)
    for team in (2, 3):
        model, history = _fit(team, monkeypatch, dropout)
        np.testing.assert_allclose(model.flat_params, serial.flat_params, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(history["loss"], serial_history["loss"], rtol=1e-5)
        assert history["accuracy"] == pytest.approx(serial_history["accuracy"], abs=2 / 640)
        assert model.optimizer.iterations == serial.optimizer.iterations == 20


# Every way of sharing a layer: the first or the middle hidden layer by columns (the
# products' splits and barriers on either side differ), every layer (the 10-wide output
# layer then goes to one member: narrower than a grain), and two layers in a row.
@pytest.mark.parametrize("cols", [(1, 0, 0), (0, 1, 0), (1, 1, 0), (1, 1, 1)])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_team_sharing_columns_trains_as_one_thread_does_up_to_rounding(monkeypatch, cols,
                                                                        dropout):
    serial, serial_history = _fit(1, monkeypatch, dropout)
    for team in (2, 3):
        model, history = _fit(team, monkeypatch, dropout, cols=cols)
        np.testing.assert_allclose(model.flat_params, serial.flat_params, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(history["loss"], serial_history["loss"], rtol=1e-5)
        assert history["accuracy"] == pytest.approx(serial_history["accuracy"], abs=2 / 640)


def test_a_team_sharing_columns_repeats_its_bits(monkeypatch):
    first, _ = _fit(2, monkeypatch, dropout=0.3, cols=(1, 1, 0))
    again, _ = _fit(2, monkeypatch, dropout=0.3, cols=(1, 1, 0))
    np.testing.assert_array_equal(first.flat_params, again.flat_params)


def test_a_team_repeats_its_bits(monkeypatch):
    first, first_history = _fit(2, monkeypatch, dropout=0.3)
    again, again_history = _fit(2, monkeypatch, dropout=0.3)
    np.testing.assert_array_equal(first.flat_params, again.flat_params)
    assert {k: v for k, v in first_history.items() if k != "seconds"} == \
        {k: v for k, v in again_history.items() if k != "seconds"}


@pytest.mark.parametrize("cols", [None, (1, 1, 0)])
def test_a_teams_stop_puts_back_the_last_finite_step(monkeypatch, cols):
    """The undo replays the call on the same team: its bits are those of a run that stopped
    short of the bad update (a huge target in epoch 1's last batch blows the weights up);
    also with layers shared by columns (float64, MSE, dropout: another compiled kernel)."""
    monkeypatch.setattr(fused_module, "team_size", lambda step_work: 2)
    if cols is not None:
        monkeypatch.setattr(fused_module, "shared_by_columns",
                            lambda sizes, batch_size: np.array(cols, dtype=np.int64))
    rng = np.random.default_rng(4)
    X = rng.normal(size=(192, 96)).astype(np.float32)
    y = rng.normal(size=(192, 12))
    y[150, 0] = 1e100

    class EveryEpoch(fastmlp.callbacks.Callback):
        pass

    def fit(rows, epochs, callbacks=()):
        model = MLP([96, 160, 70, 12], loss="mse", dtype="float64", dropout=0.2, seed=1)
        try:
            model.fit(X[:rows], y[:rows], epochs=epochs, batch_size=64, shuffle=False,
                      optimizer=fastmlp.SGD(0.01, momentum=0.9), verbose=0,
                      callbacks=list(callbacks))
        except FloatingPointError as err:
            return model, str(err)
        return model, None

    stopped, message = fit(192, 3, [EveryEpoch()])
    assert "the loss became inf at epoch 2, step 1" in message
    clean, _ = fit(128, 1)
    np.testing.assert_array_equal(stopped.flat_params, clean.flat_params)
    np.testing.assert_array_equal(stopped.optimizer.flat_state["velocity"],
                                  clean.optimizer.flat_state["velocity"])
