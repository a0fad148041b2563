"""fastmlp.training.loop: how ``fit`` chooses to run the epochs, and its call pacing."""

import numpy as np
import pytest

import fastmlp.training.loop as loop
from fastmlp import MLP, SGD
from fastmlp.training.health import DivergenceWarning


def test_an_epoch_too_long_for_one_call_is_split_even_when_silent(monkeypatch):
    """verbose=0 runs whole epochs per call only when an epoch is surely short; a large
    epoch goes in paced calls of a few batches, so Ctrl-C is not left waiting for it."""
    X = np.zeros((3000, 784), dtype=np.float32)
    y = np.arange(3000) % 10
    model = MLP([784, 128, 10], seed=0)
    assert len(X) * model.flat_params.size > loop._WHOLE_RUN_WORK
    calls = []
    run = loop.FusedTrainer.run

    def recorded(self, lrs, orders, begin, end, *sums):
        calls.append((len(lrs), begin, end))
        return run(self, lrs, orders, begin, end, *sums)

    monkeypatch.setattr(loop.FusedTrainer, "run", recorded)
    with pytest.warns(DivergenceWarning):  # constant inputs: nothing to learn
        model.fit(X, y, epochs=2, batch_size=32, verbose=0, optimizer=SGD(1e-3))
    assert calls[0] == (1, 0, 8)  # the first call: one epoch's first 8 of its 94 batches
    assert all(n_epochs == 1 for n_epochs, _, _ in calls)
    assert sum(end - begin for _, begin, end in calls) == 2 * 94


def test_call_seconds_set_on_the_loop_paces_the_next_fit(monkeypatch):
    """benchmarks/call_pacing.py sets ``loop.CALL_SECONDS``: fit reads it on every call."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 16)).astype(np.float32), rng.integers(0, 4, 300)
    model = MLP([16, 8, 4], seed=0)
    calls = []
    run = loop.FusedTrainer.run

    def recorded(self, lrs, orders, begin, end, *sums):
        calls.append(end - begin)
        return run(self, lrs, orders, begin, end, *sums)

    monkeypatch.setattr(loop.FusedTrainer, "run", recorded)
    monkeypatch.setattr(loop, "CALL_SECONDS", 0.0)
    model.fit(X, y, epochs=1, batch_size=10, verbose=2)
    assert calls == [8] + [1] * 22  # after the first call, one batch: as short as can be
