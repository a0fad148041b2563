"""The public API under random use: shapes, dtypes, losses, sample weights, hyperparameters,
both backends.

Every call either works — with outputs of the promised shape and dtype, finite weights, and a
model that saves and loads to the same predictions — or fails with one of the documented
errors (ValueError, TypeError for bad input; FloatingPointError when training diverges, with
the weights of the last finite step kept) and a message that says what to do. Anything else
(an IndexError from deep inside, a numba typing error, NaN weights, a hang) is a defect.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastmlp
from fastmlp import MLP

DOCUMENTED = (ValueError, TypeError, FloatingPointError)
INPUT_DTYPES = [np.float32, np.float64, np.uint8, np.int16, np.int64, np.bool_]


@st.composite
def problems(draw):
    n = draw(st.integers(1, 40))
    n_in = draw(st.integers(1, 6))
    hidden = draw(st.lists(st.integers(1, 6), max_size=2))
    task = draw(st.sampled_from(["classes", "labels", "regression"]))
    n_out = draw(st.integers(2, 4)) if task == "classes" else draw(st.integers(1, 3))
    input_dtype = draw(st.sampled_from(INPUT_DTYPES))
    scale = draw(st.sampled_from([1.0, 1e3, 1e20]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in)) * scale
    if np.issubdtype(input_dtype, np.integer):
        info = np.iinfo(input_dtype)
        X = np.clip(X, info.min / 2, info.max / 2)
    X = X.astype(input_dtype)
    if task == "classes":
        y = rng.integers(0, n_out, n)
    elif task == "labels":  # multi-label indicators
        y = rng.integers(0, 2, size=(n, n_out))
    else:
        y = rng.normal(size=(n, n_out))
    model = dict(
        sizes=[n_in, *hidden, n_out],
        activation=draw(st.sampled_from(["relu", "leaky_relu", "sigmoid", "tanh"])),
        dropout=draw(st.sampled_from([0.0, 0.3, 0.9])) if hidden else 0.0,
        loss={"classes": "cross_entropy", "labels": "binary_cross_entropy",
              "regression": "mse"}[task],
        backend=draw(st.sampled_from(["numba", "numpy"])),
        dtype=draw(st.sampled_from(["float32", "float64"])),
        seed=seed,
    )
    training = dict(
        epochs=draw(st.integers(0, 3)),
        batch_size=draw(st.one_of(st.none(), st.integers(1, n + 5))),
        optimizer=draw(st.sampled_from(["adam", "sgd", "rmsprop", "adamw"])),
        shuffle=draw(st.booleans()),
        verbose=0,
        sample_weight=draw(st.sampled_from([None, "random", "some zero"])),
    )
    if training["sample_weight"] is not None:
        weights = rng.random(n) * 3
        if training["sample_weight"] == "some zero":
            weights[::2] = 0.0
        training["sample_weight"] = weights
    lr = draw(st.sampled_from([None, 1e-6, 1e-2, 10.0, 1e6]))
    return X, y, model, training, lr


def _explains(err):
    """A documented error says what was wrong in a sentence, not a bare internal message."""
    text = str(err)
    return len(text) > 25 and not re.search(r"index \d+ is out of bounds|numba|Traceback",
                                             text)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_fit_predict_save_load_never_crash_unclearly(problem, tmp_path_factory):
    X, y, model_args, training, lr = problem
    model = MLP(**model_args)
    if lr is not None:
        training["optimizer"] = fastmlp.optim.get_optimizer(training["optimizer"])
        training["optimizer"].lr = lr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence and overflow warnings are allowed
        try:
            history = model.fit(X, y, **training)
        except DOCUMENTED as err:
            assert _explains(err), repr(err)
            if isinstance(err, FloatingPointError):
                assert np.isfinite(model.flat_params).all()
            return
        assert len(history.epoch) == training["epochs"]
        assert np.isfinite(model.flat_params).all()
        try:
            predictions = model.predict(X)
        except DOCUMENTED as err:  # inputs the dtype cannot hold
            assert _explains(err), repr(err)
            return
    n = len(X)
    if model.is_classifier:
        assert predictions.shape == (n,) and predictions.dtype == np.int64
        assert ((predictions >= 0) & (predictions < model.n_outputs)).all()
        probabilities = model.predict_proba(X)
        assert probabilities.shape == (n, model.n_outputs)
    elif model.loss == "binary_cross_entropy":
        assert predictions.shape == (n, model.n_outputs)
        assert set(np.unique(predictions)) <= {0, 1}
        assert model.predict_proba(X).shape == (n, model.n_outputs)
    else:
        assert predictions.shape == (n, model.n_outputs)
    path = tmp_path_factory.mktemp("fuzz") / "model.npz"
    model.save(path)
    loaded = fastmlp.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(loaded.predict(X), predictions)


@settings(max_examples=40, deadline=None, database=None)
@given(batch_size=st.one_of(st.integers(-3, 0), st.floats(allow_nan=True), st.text(max_size=3)),
       epochs=st.one_of(st.integers(-3, -1), st.floats(allow_nan=True), st.text(max_size=3)),
       backend=st.sampled_from(["numba", "numpy"]))
def test_bad_hyperparameters_get_a_clear_error(batch_size, epochs, backend):
    model = MLP([3, 2], backend=backend, seed=0)
    X, y = np.zeros((4, 3), dtype=np.float32), np.array([0, 1, 0, 1])
    with pytest.raises(DOCUMENTED) as caught:
        model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0)
    assert _explains(caught.value), repr(caught.value)
