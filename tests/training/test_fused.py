"""The fused trainer against the layer-by-layer trainer on the Numba path: the same numbers.

Both trainers run the formulas of ``fastmlp.backends._formulas``, so a network must train to
bit-identical weights, optimizer state and history whichever trainer runs it, and stop at
the same step, with the same message and the same restored state, when inputs are not finite.
"""

import itertools

import numpy as np
import pytest

import fastmlp.training.fused as fused_module
import fastmlp.training.loop as loop
import fastmlp.training.team as team_module
from fastmlp import MLP, SGD, Adam, AdamW, RMSprop, Sequential
from fastmlp.backends._train_steps import update_blocks
from fastmlp.callbacks import Callback
from fastmlp.layers import Dense, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh"]
OPTIMIZERS = {
    "sgd": lambda: SGD(0.05),
    "sgd-nesterov-wd": lambda: SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "rmsprop": lambda: RMSprop(1e-3, weight_decay=1e-3),
    "adam-l2": lambda: Adam(1e-3, weight_decay=1e-3),
    "adamw": lambda: AdamW(1e-3),
    # Weight decay on the weights only (the kernel skips the biases by a mask).
    "sgd-wd-weights-only": lambda: SGD(0.05, momentum=0.5, weight_decay=1e-2,
                                       decay_biases=False),
    "adam-l2-weights-only": lambda: Adam(1e-3, weight_decay=1e-2, decay_biases=False),
    "adamw-weights-only": lambda: AdamW(1e-3, weight_decay=0.05, decay_biases=False),
}
#: (activation, loss, optimizer, dropout, dtype): every activation with every optimizer, the
#: pairs taking the losses, dtypes and dropout in turn.
CASES = [(act, loss, opt, dropout, dtype)
         for (act, opt), (loss, dtype, dropout) in zip(
             itertools.product(ACTIVATIONS, OPTIMIZERS),
             itertools.cycle([("cross_entropy", "float32", 0.0), ("mse", "float64", 0.25),
                              ("binary_cross_entropy", "float32", 0.25),
                              ("cross_entropy", "float64", 0.25), ("mse", "float32", 0.0),
                              ("binary_cross_entropy", "float64", 0.0)]))]


def _data(loss, n=37, n_in=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in)).astype(np.float32)
    if loss == "binary_cross_entropy":
        return X, (rng.random((n, k)) < 0.5).astype(np.float64)
    y = rng.integers(0, k, n) if loss == "cross_entropy" else rng.normal(size=(n, k))
    return X, y


def _train(monkeypatch, fused, build, X, y, optimizer, **fit_args):
    """Train a fresh model from ``build()``; force the layer-by-layer trainer unless ``fused``.

    Returns the model, its History (or the error raised) and the optimizer."""
    model = build()
    with monkeypatch.context() as m:
        if not fused:
            m.setattr(loop, "supports", lambda *args: False)
        else:
            assert loop.supports(model, optimizer)
        try:
            outcome = model.fit(X, y, optimizer=optimizer, verbose=0, **fit_args)
        except FloatingPointError as err:
            outcome = err
    return model, outcome, optimizer


def _assert_same(a, b):
    (model_a, out_a, opt_a), (model_b, out_b, opt_b) = a, b
    np.testing.assert_array_equal(model_a.flat_params, model_b.flat_params)
    assert opt_a.iterations == opt_b.iterations
    for name in opt_a.state_names:
        np.testing.assert_array_equal(opt_a.flat_state[name], opt_b.flat_state[name])
    if isinstance(out_a, Exception) or isinstance(out_b, Exception):
        assert type(out_a) is type(out_b) and str(out_a) == str(out_b)
    else:
        assert out_a.history.keys() == out_b.history.keys()
        for key in out_a.history:
            if key != "seconds":
                assert out_a.history[key] == out_b.history[key], key


@pytest.fixture(params=[1, 2, 3], ids=["serial", "team-of-2", "team-of-3"])
def team(request, monkeypatch):
    """The fused kernel on 1, 2 or 3 threads, whatever the network's size, sharing columns,
    rows and parameters element by element (a grain of 1: these layers are narrower than the
    kernel's 16). These networks' products are small enough for the kernels' own loop, which
    adds each element's terms in the same order however the columns are shared out: every
    team gives the serial bits."""
    monkeypatch.setattr(fused_module, "team_size", lambda step_work: request.param)
    monkeypatch.setattr(team_module, "GRAIN", 1)
    return request.param


@pytest.mark.parametrize(("activation", "loss", "optimizer", "dropout", "dtype"), CASES)
def test_fused_and_layerwise_train_to_the_same_bits(monkeypatch, team, activation, loss,
                                                    optimizer, dropout, dtype):
    X, y = _data(loss)

    def build():
        return MLP([6, 8, 5, 3], activation=activation, dropout=dropout, loss=loss,
                   dtype=dtype, seed=3)

    runs = [_train(monkeypatch, fused, build, X, y, OPTIMIZERS[optimizer](), epochs=3,
                   batch_size=8) for fused in (True, False)]
    _assert_same(*runs)
    assert runs[0][2].iterations == 3 * 5  # 37 rows in batches of 8: 5 steps per epoch


#: Networks mixing activations: the kernel compiles exactly the set a network has, and
#: each layer must still take its own.
MIXED = {
    "relu-leaky-identity": lambda: [Dense(6, 8), ReLU(), Dense(8, 7), LeakyReLU(0.2),
                                    Dense(7, 5), Dense(5, 3)],
    "leaky-sigmoid-tanh": lambda: [Dense(6, 8), LeakyReLU(0.1), Dense(8, 7), Sigmoid(),
                                   Dense(7, 5), Tanh(), Dense(5, 3)],
    "tanh-relu": lambda: [Dense(6, 8), Tanh(), Dense(8, 5), ReLU(), Dense(5, 3)],
}


@pytest.mark.parametrize("layers", list(MIXED))
def test_networks_mixing_activations_train_to_the_same_bits(monkeypatch, team, layers):
    X, y = _data("cross_entropy")

    def build():
        return Sequential(MIXED[layers](), seed=5)

    runs = [_train(monkeypatch, fused, build, X, y, Adam(1e-2), epochs=2, batch_size=8)
            for fused in (True, False)]
    _assert_same(*runs)
    assert runs[0][2].iterations == 2 * 5


@pytest.mark.parametrize("optimizer", ["sgd-nesterov-wd", "rmsprop", "adam-l2-weights-only",
                                       "adamw"])
def test_updates_in_blocks_of_rows_train_to_the_same_bits(monkeypatch, team, optimizer):
    """A layer wide enough for the kernel to update it a block of ``dW``'s rows at a time:
    100 rows of 64 float64s go in 4 blocks of 25 on one thread (in blocks of 32 and a
    remainder of 4, BLAS added up the last 4 rows' products in another order), 2 of 25 on
    each of two members, 2 of 17 or 16 on each of three; the last block takes the bias."""
    assert [update_blocks.py_func(64, 8, share) for share in (100, 50, 34, 33)] == [4, 2, 2, 2]
    X, y = _data("cross_entropy", n_in=100)

    def build():
        return MLP([100, 64, 3], dtype="float64", seed=2)

    runs = [_train(monkeypatch, fused, build, X, y, OPTIMIZERS[optimizer](), epochs=2,
                   batch_size=8) for fused in (True, False)]
    _assert_same(*runs)
    assert runs[0][2].iterations == 2 * 5


@pytest.mark.parametrize("sizes", [[300, 128, 10], [129, 64, 33, 5], [50, 120, 120, 3]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layers_in_blocks_of_every_size_train_to_the_same_bits(monkeypatch, sizes, dtype):
    """One thread; layers in one block, or in 2 to 10 blocks of 25 to 43 rows
    (``update_blocks``); products large enough for BLAS, and a short last batch."""
    rng = np.random.default_rng(sizes[0])
    X = rng.normal(size=(300, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], len(X))
    monkeypatch.setattr(fused_module, "team_size", lambda step_work: 1)

    def build():
        return MLP(sizes, dtype=dtype, seed=1)

    runs = [_train(monkeypatch, fused, build, X, y, Adam(1e-3), epochs=2, batch_size=37)
            for fused in (True, False)]
    _assert_same(*runs)


#: Ways a non-finite value enters training (fit refuses non-finite inputs): a NaN or inf
#: weight, or finite inputs so large that the first layer overflows, in the first step or a
#: later one.
NON_FINITE = {"nan-weight": ("weight", np.nan), "inf-weight": ("weight", np.inf),
              "huge-row0": (0, 3e38), "huge-row13": (13, 3e38), "minus-huge-row9": (9, -3e38)}


@pytest.mark.parametrize("case", list(NON_FINITE))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_non_finite_values_stop_both_trainers_at_the_same_step(monkeypatch, team, case,
                                                               activation):
    where, value = NON_FINITE[case]
    X = np.random.default_rng(1).normal(size=(24, 6)).astype(np.float32)
    if where != "weight":
        X[where, 2] = value
    y = np.arange(len(X)) % 3

    def build():
        model = MLP([6, 8, 3], activation=activation, seed=0)
        if where == "weight":
            model.flat_params[5] = value
        return model

    runs = [_train(monkeypatch, fused, build, X, y, Adam(1e-2), epochs=2, batch_size=4,
                   shuffle=False) for fused in (True, False)]
    _assert_same(*runs)
    reference = _train(monkeypatch, False, lambda: build().to_backend("numpy"), X, y,
                       Adam(1e-2), epochs=2, batch_size=4, shuffle=False)
    # The reference path (NumPy) ends the same way: a stop at the same step, or no stop.
    assert type(runs[0][1]) is type(reference[1])
    if where == "weight":  # a non-finite weight poisons the first loss
        assert isinstance(reference[1], FloatingPointError)
    for model, outcome, _ in runs:
        if isinstance(outcome, FloatingPointError):
            assert str(outcome) == str(reference[1])
            if where != "weight":
                assert np.isfinite(model.flat_params).all()


def test_the_issue_example_stops_at_the_same_step_with_finite_weights(monkeypatch):
    """A NaN reaching a ReLU used to become 0 in the fused kernel only: numpy stopped at step 1,
    numba at step 4, and numba's weights were left non-finite."""
    rng = np.random.default_rng(0)
    X = np.clip(rng.normal(size=(40, 6)) * 3, -100, 100).astype(np.uint8)
    y = rng.normal(size=(40, 1))

    def build(backend="numba"):
        return MLP([6, 16, 10, 1], dropout=0.3, loss="mse", backend=backend, seed=2)

    runs = [_train(monkeypatch, fused, build, X, y, SGD(0.01), epochs=5, batch_size=1,
                   shuffle=False) for fused in (True, False)]
    _assert_same(*runs)
    reference = _train(monkeypatch, False, lambda: build("numpy"), X, y, SGD(0.01), epochs=5,
                       batch_size=1, shuffle=False)
    for model, outcome, _ in (*runs, reference):
        assert isinstance(outcome, FloatingPointError)
        assert np.isfinite(model.flat_params).all()
    assert str(runs[0][1]) == str(reference[1])


@pytest.mark.parametrize("bad_row", [20, 16, 8])
@pytest.mark.parametrize("optimizer", ["adam-l2", "sgd-nesterov-wd", "rmsprop"])
def test_a_stop_restores_the_optimizer_state_of_that_step(monkeypatch, bad_row, optimizer):
    """After a stop, the weights and the optimizer state are those of one and the same step:
    training on the data before the bad batch gives both, for stops after an odd (rows 20, 8)
    and an even (row 16) number of updates in the call and for each rule's state."""
    X, y = _data("mse", n=32)
    y[bad_row, 0] = 1e200  # its squared error overflows float64
    bad_step = bad_row // 4 + 1  # 1-based, batches of 4 in storage order

    def build():
        return MLP([6, 8, 3], loss="mse", dtype="float64", seed=0)

    for fused in (True, False):
        model, outcome, opt = _train(monkeypatch, fused, build, X, y,
                                     OPTIMIZERS[optimizer](), epochs=1, batch_size=4,
                                     shuffle=False)
        assert f"the loss became inf at epoch 1, step {bad_step}" in str(outcome)
        # The last finite loss, the step before's, was taken at the weights of the update
        # before it: those come back, with the optimizer state and step count of that moment.
        clean, _, clean_opt = _train(monkeypatch, fused, build, X[:4 * (bad_step - 2)],
                                     y[:4 * (bad_step - 2)], OPTIMIZERS[optimizer](),
                                     epochs=1, batch_size=4, shuffle=False)
        np.testing.assert_array_equal(model.flat_params, clean.flat_params)
        assert opt.iterations == clean_opt.iterations == bad_step - 2
        for name in opt.state_names:
            np.testing.assert_array_equal(opt.flat_state[name], clean_opt.flat_state[name])


def test_layer_stacks_without_a_plan_train_layer_by_layer():
    odd = Sequential([Dense(4, 6), Dropout(0.2), ReLU(), Dense(6, 2)], seed=0)
    assert odd.plan is None and not loop.supports(odd, Adam())
    planned = Sequential([Dense(4, 6), LeakyReLU(0.1), Dropout(0.2), Dense(6, 5), Sigmoid(),
                          Dense(5, 3), Tanh(), Dense(3, 2)], seed=0)
    assert [layer.activation for layer in planned.plan] == ["leaky_relu", "sigmoid", "tanh",
                                                           "identity"]
    assert loop.supports(planned, Adam()) and not loop.supports(planned.to_backend("numpy"),
                                                                 Adam())


def test_the_kernel_trains_layers_whose_bias_follows_their_weights():
    """The kernel updates a member's rows of ``W`` and the bias as one run of parameters:
    every model lays them out so (with and without biases); a plan laid out otherwise would
    train layer by layer."""
    model = Sequential([Dense(4, 6), ReLU(), Dense(6, 5, bias=False), Dense(5, 3)], seed=0)
    assert [layer.b_offset for layer in model.plan] == [24, -1, 75]
    assert loop.supports(model, Adam())
    model.plan = [model.plan[0]._replace(b_offset=0), *model.plan[1:]]
    assert not loop.supports(model, Adam())


class _EveryEpoch(Callback):
    """Any callback: the loop then calls the kernel once per epoch."""


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_a_stop_at_a_calls_first_step_undoes_the_call_before(monkeypatch, team, momentum,
                                                             dropout):
    """The fused kernel keeps the weights and state from before each call's first update and
    replays the call to undo its last update: here the last update of epoch 1's call (a huge
    target in its last batch) makes the loss of epoch 2's first step infinite, so the call that
    stops made no update and the undo replays the one before, dropout masks included. The
    result is epoch 1's first two updates, as a run on their rows alone gives. (SGD: Adam's
    normalised steps would not blow the weights up.)"""
    X, y = _data("mse", n=12)
    y[9, 0] = 1e100  # finite loss at epoch 1, step 3; its update blows the weights up

    def build():
        return MLP([6, 8, 3], loss="mse", dtype="float64", dropout=dropout, seed=0)

    for fused in (True, False):
        model, outcome, opt = _train(monkeypatch, fused, build, X, y,
                                     SGD(0.01, momentum=momentum), epochs=3, batch_size=4,
                                     shuffle=False, callbacks=[_EveryEpoch()])
        assert "the loss became inf at epoch 2, step 1" in str(outcome)
        clean, _, clean_opt = _train(monkeypatch, fused, build, X[:8], y[:8],
                                     SGD(0.01, momentum=momentum), epochs=1, batch_size=4,
                                     shuffle=False)
        np.testing.assert_array_equal(model.flat_params, clean.flat_params)
        assert opt.iterations == clean_opt.iterations == 2
        for name in opt.state_names:
            np.testing.assert_array_equal(opt.flat_state[name], clean_opt.flat_state[name])
