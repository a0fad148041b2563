"""Pixels stay 8-bit: ``fit``, ``predict`` and ``evaluate`` convert them batch by batch."""

import tracemalloc
import warnings

import numpy as np
import pytest

from fastmlp import MLP, SGD, Adam
from fastmlp.training import loop
from fastmlp.training.health import DivergenceWarning


@pytest.fixture(scope="module")
def pixels():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(300, 20), dtype=np.uint8)
    y = (X[:, :10].sum(axis=1) > X[:, 10:].sum(axis=1)).astype(np.int64)
    return X, y


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("dropout", [0.0, 0.2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_on_pixels_gives_the_bits_of_training_on_their_floats(backend, pixels,
                                                                       shuffle, dropout, dtype):
    X, y = pixels
    trained = []
    for inputs in (X, X.astype(dtype)):
        model = MLP([20, 16, 2], dropout=dropout, backend=backend, dtype=dtype, seed=3)
        history = model.fit(inputs, y, epochs=2,
                            batch_size=32, optimizer=Adam(1e-3), shuffle=shuffle, verbose=0)
        trained.append((model.flat_params.copy(), history.history["loss"]))
    np.testing.assert_array_equal(trained[0][0], trained[1][0])
    assert trained[0][1] == trained[1][1]


def test_the_layer_by_layer_path_takes_pixels_too(pixels, monkeypatch):
    """The numba backend's layer-by-layer trainer (the fused one switched off), with
    validation data converted chunk by chunk as well."""
    monkeypatch.setattr(loop, "supports", lambda *args: False)
    X, y = pixels
    results = []
    for inputs in (X, X.astype(np.float32)):
        model = MLP([20, 8, 2], backend="numba", seed=1)
        model.fit(inputs, y, epochs=1, optimizer=SGD(0.01, momentum=0.9), verbose=0,
                  validation_data=(inputs[:50], y[:50]))
        results.append(model.flat_params.copy())
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16])
def test_inference_on_small_integers_equals_inference_on_their_floats(backend, pixels, dtype):
    X, y = pixels
    X = X.astype(dtype) if dtype != np.int8 else (X // 2).astype(dtype)
    model = MLP([20, 16, 2], backend=backend, seed=0)
    floats = X.astype(np.float32)
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(floats))
    np.testing.assert_array_equal(model.predict(X), model.predict(floats))
    assert model.evaluate(X, y) == model.evaluate(floats, y)
    assert model.score(X, y) == model.score(floats, y)


def _peak_bytes(run):
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fit_and_predict_never_hold_a_float_copy_of_the_pixels(backend):
    """Doubling the rows must not grow the peak by anything like a float copy of the added
    rows (20,000 x 784 pixels: 62.7 MB in float32); work space is per batch or chunk."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40_000, 784), dtype=np.uint8)
    y = rng.integers(0, 10, size=40_000)
    model = MLP([784, 32, 10], backend=backend, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # random labels: nothing to learn
        model.fit(X[:64], y[:64], epochs=1, verbose=0)  # compile outside the measurement
        for call in ("fit", "predict"):
            half, full = (_peak_bytes(_run(model, call, X[:rows], y[:rows]))
                          for rows in (20_000, 40_000))
            float_copy_of_the_added_rows = 20_000 * 784 * 4
            assert full - half < float_copy_of_the_added_rows / 10, (call, half, full)


def _run(model, call, X, y):
    if call == "fit":
        return lambda: model.fit(X, y, epochs=1, batch_size=256, verbose=0)
    return lambda: model.predict(X)
