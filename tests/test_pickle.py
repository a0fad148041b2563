"""pickle and copy.deepcopy of models: fitted or not, both backends, exact round trips.

Pickling is for processes the user controls (joblib, Dask); files on disk use ``save``.
"""

import copy
import pickle

import numpy as np
import pytest

from fastmlp import MLP, SGD, Adam, Dense, Dropout, LeakyReLU, Sequential, Sigmoid, Softmax

D = 5


def build(kind, backend, dtype="float32"):
    if kind == "classifier":
        return MLP([D, 16, 3], backend=backend, dtype=dtype, seed=3)
    if kind == "regressor":
        return MLP([D, 16, 2], activation="tanh", loss="mse", backend=backend, dtype=dtype,
                   seed=3)
    return Sequential([Dense(D, 12), LeakyReLU(0.1), Dropout(0.2), Dense(12, 8), Sigmoid(),
                       Dense(8, 3), Softmax()], backend=backend, dtype=dtype, seed=4)


def problem(model, n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, D))
    if model.is_classifier:
        return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
    return X, np.stack([X[:, 0] - X[:, 2], X[:, 1] * X[:, 3]], axis=1)


def outputs(model, X):
    if model.is_classifier:
        return model.predict_proba(X)
    return model.predict(X)


def round_trips():
    return {"pickle": lambda m: pickle.loads(pickle.dumps(m)), "deepcopy": copy.deepcopy}


KINDS = ["classifier", "regressor", "sequential-dropout"]


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
def test_round_trip_predicts_bit_identically(backend, kind, fitted, how):
    model = build(kind, backend)
    X, y = problem(model)
    if fitted:
        model.fit(X, y, epochs=3, batch_size=16, verbose=0)
    twin = round_trips()[how](model)
    assert twin is not model
    assert twin.backend == backend and twin.dtype == model.dtype
    np.testing.assert_array_equal(outputs(twin, X), outputs(model, X))
    for mine, theirs in zip(model.parameters(), twin.parameters()):
        assert not np.shares_memory(mine, theirs)
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("make_optimizer", [lambda: Adam(3e-3),
                                            lambda: SGD(0.05, momentum=0.9, nesterov=True)],
                         ids=["adam", "sgd-nesterov"])
@pytest.mark.parametrize("kind", KINDS)
def test_training_resumes_exactly_after_a_round_trip(backend, kind, make_optimizer, how):
    # The copy must carry the optimizer's state, its step count and the random generator:
    # then two more epochs on the copy and on the original give the same weights bit for bit.
    model = build(kind, backend)
    X, y = problem(model)
    model.fit(X, y, epochs=2, batch_size=16, optimizer=make_optimizer(), verbose=0)
    twin = round_trips()[how](model)
    assert twin.optimizer.iterations == model.optimizer.iterations > 0
    model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    twin.fit(X, y, epochs=2, batch_size=16, verbose=0)
    for mine, theirs in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(mine, theirs)


def test_copy_is_independent_of_the_original(backend):
    model = build("classifier", backend)
    X, y = problem(model)
    twin = pickle.loads(pickle.dumps(model))
    before = [np.copy(p) for p in model.parameters()]
    twin.fit(X, y, epochs=2, batch_size=16, verbose=0)
    for original, unchanged in zip(model.parameters(), before):
        np.testing.assert_array_equal(original, unchanged)
    assert any(not np.array_equal(a, b) for a, b in zip(twin.parameters(), before))


def test_round_trip_then_switch_backend(backend):
    model = build("classifier", backend, dtype="float64")
    X, _ = problem(model)
    other = "numpy" if backend == "numba" else "numba"
    twin = pickle.loads(pickle.dumps(model)).to_backend(other)
    np.testing.assert_allclose(twin.predict_proba(X), model.predict_proba(X), rtol=1e-12,
                               atol=1e-15)
