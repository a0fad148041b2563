"""Sample weights in the core: each batch's loss is the weighted mean ``sum w_i l_i / sum w_i``
(scikit-learn's), on both backends and both trainers, for every loss."""

import warnings

import numpy as np
import pytest

import fastmlp.training.loop as loop
from fastmlp import MLP, SGD, Adam

LOSSES = ["cross_entropy", "mse", "binary_cross_entropy"]


def _data(loss, n=12, n_in=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    if loss == "cross_entropy":
        y = rng.integers(0, k, n)
    elif loss == "binary_cross_entropy":
        y = (rng.random((n, k)) < 0.5).astype(float)
    else:
        y = rng.normal(size=(n, k))
    weights = rng.integers(0, 4, n)
    weights[:2] = [0, 3]
    return X, y, weights


def _model(loss, backend, dtype="float64", dropout=0.0):
    return MLP([4, 6, 3], activation="tanh", loss=loss, backend=backend, dtype=dtype, seed=1,
               dropout=dropout)


def _fit(model, *args, fused=True, **kwargs):
    # Quiet: a few steps on random labels learn little, which fit rightly warns about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fused:
            return model.fit(*args, verbose=0, **kwargs)
        supports = loop.supports
        loop.supports = lambda *a: False
        try:
            return model.fit(*args, verbose=0, **kwargs)
        finally:
            loop.supports = supports


@pytest.mark.parametrize("loss", LOSSES)
def test_integer_weights_give_the_gradients_of_repeated_rows(backend, loss):
    X, y, w = _data(loss)
    model = _model(loss, backend)
    weighted = model.gradients(X, y, sample_weight=w)
    repeated = model.gradients(np.repeat(X, w, axis=0), np.repeat(y, w, axis=0))
    for a, b in zip(weighted, repeated):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert model.evaluate(X, y, sample_weight=w)["loss"] == pytest.approx(
        model.evaluate(np.repeat(X, w, axis=0), np.repeat(y, w, axis=0))["loss"], rel=1e-13)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "layerwise"])
@pytest.mark.parametrize("loss", LOSSES)
def test_integer_weights_train_as_repeated_rows_in_one_batch(backend, loss, fused):
    X, y, w = _data(loss)
    weighted, repeated = _model(loss, backend), _model(loss, backend)
    h_w = _fit(weighted, X, y, epochs=4, batch_size=None, optimizer=Adam(0.05), shuffle=False,
               sample_weight=w, fused=fused)
    h_r = _fit(repeated, np.repeat(X, w, axis=0), np.repeat(y, w, axis=0), epochs=4,
               batch_size=None, optimizer=Adam(0.05), shuffle=False, fused=fused)
    np.testing.assert_allclose(weighted.flat_params, repeated.flat_params, rtol=1e-10,
                               atol=1e-13)
    np.testing.assert_allclose(h_w.history["loss"], h_r.history["loss"], rtol=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
def test_zero_weights_ignore_rows(backend, loss):
    X, y, _ = _data(loss)
    w = np.ones(len(X))
    w[[1, 4, 5]] = 0
    kept = w > 0
    with_zeros, without = _model(loss, backend), _model(loss, backend)
    _fit(with_zeros, X, y, epochs=3, batch_size=None, optimizer=SGD(0.1, momentum=0.9),
         shuffle=False, sample_weight=w)
    _fit(without, X[kept], y[kept], epochs=3, batch_size=None,
         optimizer=SGD(0.1, momentum=0.9), shuffle=False)
    np.testing.assert_allclose(with_zeros.flat_params, without.flat_params, rtol=1e-12,
                               atol=1e-15)


def test_a_batch_of_zero_weights_makes_no_update(backend):
    X, y, _ = _data("cross_entropy", n=6)
    w = np.array([0, 0, 1, 2, 0, 0])
    model, reference = _model("cross_entropy", backend), _model("cross_entropy", backend)
    opt = Adam(0.05)
    history = _fit(model, X, y, epochs=2, batch_size=2, optimizer=opt, shuffle=False,
                   sample_weight=w)
    assert opt.iterations == 2  # one batch of three has weight, per epoch
    _fit(reference, X[2:4], y[2:4], epochs=2, batch_size=2, optimizer=Adam(0.05),
         shuffle=False, sample_weight=w[2:4])
    np.testing.assert_array_equal(model.flat_params, reference.flat_params)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("loss", LOSSES)
def test_the_logged_loss_is_the_weighted_mean(backend, loss):
    X, y, w = _data(loss)
    model = _model(loss, backend)
    expected = model.evaluate(X, y, sample_weight=w)["loss"]
    history = _fit(model, X, y, epochs=2, batch_size=5, optimizer=SGD(1e-30), sample_weight=w)
    np.testing.assert_allclose(history.history["loss"], [expected] * 2, rtol=1e-12)
    assert expected != pytest.approx(model.evaluate(X, y)["loss"], rel=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", LOSSES)
def test_fused_and_layerwise_train_weighted_to_the_same_bits(loss, dtype):
    X, y, w = _data(loss, n=37)
    w = w * 0.75
    runs = []
    for fused in (True, False):
        model, opt = _model(loss, "numba", dtype, dropout=0.25), Adam(1e-2)
        history = _fit(model, X, y, epochs=3, batch_size=8, optimizer=opt, sample_weight=w,
                       fused=fused)
        runs.append((model, opt, history))
    (a, opt_a, h_a), (b, opt_b, h_b) = runs
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    assert opt_a.iterations == opt_b.iterations
    for name in opt_a.state_names:
        np.testing.assert_array_equal(opt_a.flat_state[name], opt_b.flat_state[name])
    assert h_a.history["loss"] == h_b.history["loss"]


@pytest.mark.parametrize("loss", LOSSES)
def test_numpy_and_numba_train_weighted_alike(loss):
    X, y, w = _data(loss, n=37)
    models = []
    for backend in ("numpy", "numba"):
        model = _model(loss, backend)
        _fit(model, X, y, epochs=3, batch_size=8, optimizer=SGD(0.05, momentum=0.9),
             sample_weight=w)
        models.append(model)
    np.testing.assert_allclose(models[0].flat_params, models[1].flat_params, rtol=1e-11,
                               atol=1e-13)


@pytest.mark.parametrize(("weights", "message"), [
    (np.ones(5), r"sample_weight must have shape \(6,\), one weight per sample, got shape "
                 r"\(5,\)"),
    (np.ones((6, 1)), r"sample_weight must have shape \(6,\)"),
    ([1, 1, -2, 1, 1, 1], r"sample_weight holds the negative weight -2 at index 2; weights "
                          r"must be >= 0"),
    ([1, 1, 1, np.nan, 1, 1], r"sample_weight contains nan at index \(3\)"),
    (np.zeros(6), r"sample_weight is all zero: sample weights must contain at least one "
                  r"non-zero number"),
])
def test_bad_sample_weights_are_refused(weights, message):
    model = _model("cross_entropy", "numba")
    before = model.flat_params.copy()
    with pytest.raises(ValueError, match=message):
        model.fit(np.zeros((6, 4)), np.zeros(6, dtype=int), sample_weight=weights, verbose=0)
    np.testing.assert_array_equal(model.flat_params, before)


def test_numerical_gradients_take_no_sample_weight():
    X, y, w = _data("mse")
    with pytest.raises(ValueError, match="sample_weight is for analytic gradients only"):
        _model("mse", "numpy").gradients(X, y, method="numerical", sample_weight=w)
