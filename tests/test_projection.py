"""Principal components as a fixed first layer (fastmlp.projection)."""

import numpy as np
import pytest

import fastmlp
from fastmlp.projection import MAX_FEATURES, PrincipalComponents


def _correlated(n=400, features=12, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.1, features)  # distinct variances: well-separated directions
    mixing = np.linalg.qr(rng.normal(size=(features, features)))[0]
    return ((rng.normal(size=(n, features)) * scales) @ mixing + 5.0).astype(np.float32)


def test_the_directions_are_the_leading_right_singular_vectors():
    X = _correlated()
    pca = PrincipalComponents(4).fit(X)
    centred = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)
    _, singular, right = np.linalg.svd(centred, full_matrices=False)
    # Up to sign, which the class fixes by its own rule (next test).
    np.testing.assert_allclose(np.abs(pca.components_), np.abs(right[:4]), atol=1e-6)
    np.testing.assert_allclose(pca.explained_variance_ratio_,
                               singular[:4] ** 2 / np.sum(singular ** 2), rtol=1e-6)
    np.testing.assert_allclose(pca.mean_, X.mean(axis=0, dtype=np.float64), rtol=1e-6)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(4), atol=1e-9)


def test_each_direction_s_largest_entry_is_positive():
    pca = PrincipalComponents(6).fit(_correlated())
    rows = np.arange(6)
    assert np.all(pca.components_[rows, np.abs(pca.components_).argmax(axis=1)] > 0)
    # The same directions for the negated data (whose eigenvectors are the same up to sign).
    flipped = PrincipalComponents(6).fit(-_correlated())
    np.testing.assert_allclose(flipped.components_, pca.components_, atol=1e-9)


def test_more_rows_than_max_rows_are_sampled_with_a_fixed_stride():
    X = _correlated(n=10)
    pca = PrincipalComponents(2, max_rows=3).fit(X)  # every 4th row: 0, 4, 8
    np.testing.assert_allclose(pca.mean_, X[::4].mean(axis=0, dtype=np.float64), rtol=1e-6)
    again = PrincipalComponents(2, max_rows=3).fit(X)
    np.testing.assert_array_equal(again.components_, pca.components_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_centres_and_projects(dtype):
    X = _correlated()
    pca = PrincipalComponents(3).fit(X)
    Z = pca.transform(X, dtype=dtype)
    assert Z.dtype == dtype and Z.shape == (len(X), 3)
    expected = (X.astype(np.float64) - pca.mean_) @ pca.components_.T
    np.testing.assert_allclose(Z, expected, rtol=1e-4, atol=1e-4)
    # Projected training data has mean zero and falling variances.
    assert np.all(np.abs(Z.mean(axis=0)) < 1e-3)
    assert np.all(np.diff(Z.var(axis=0)) < 0)


def test_the_prepended_model_takes_raw_features_and_predicts_as_the_head_did(tmp_path):
    X = _correlated(n=300)
    y = np.digitize(X[:, 0], np.quantile(X[:, 0], [1 / 3, 2 / 3]))  # learnable classes
    pca = PrincipalComponents(5).fit(X)
    head = fastmlp.MLP([5, 16, 3], seed=0)
    head.fit(pca.transform(X), y, epochs=20, batch_size=32, optimizer=fastmlp.Adam(1e-2),
             verbose=0)
    model = pca.prepend_to(head)
    assert isinstance(model.layers[0], fastmlp.Dense)
    assert (model.n_inputs, model.layers[0].n_out, model.n_outputs) == (12, 5, 3)
    assert model.count_params() == 12 * 5 + 5 + head.count_params()
    np.testing.assert_allclose(model.predict_proba(X), head.predict_proba(pca.transform(X)),
                               rtol=1e-5, atol=1e-6)
    # An ordinary model: it saves, loads and predicts the same.
    model.save(tmp_path / "projected.npz")
    loaded = fastmlp.load(tmp_path / "projected.npz")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # The head is left as it was.
    assert head.n_inputs == 5


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: PrincipalComponents(0), ValueError, "n_components must be a positive integer"),
    (lambda: PrincipalComponents(2.5), ValueError, "n_components must be a positive integer"),
    (lambda: PrincipalComponents(2, max_rows=0), ValueError, "max_rows must be a positive"),
    (lambda: PrincipalComponents(13).fit(_correlated()), ValueError,
     "X has only 12 features; keep at most 12 components"),
    (lambda: PrincipalComponents(2).fit(_correlated()[:1]), ValueError, "at least 2 rows"),
    (lambda: PrincipalComponents(2).fit(_correlated()[0]), ValueError, "got shape \\(12,\\)"),
    (lambda: PrincipalComponents(2).fit(np.array([["a", "b"], ["c", "d"]])), TypeError,
     "must be numeric"),
    (lambda: PrincipalComponents(2).transform(_correlated()), RuntimeError,
     "needs a fitted projection; call fit"),
    (lambda: PrincipalComponents(2).fit(_correlated()).transform(np.ones((3, 7))), ValueError,
     "expected x with 12 features"),
    (lambda: PrincipalComponents(2).fit(_correlated()).prepend_to(fastmlp.MLP([3, 2])),
     ValueError, "the model takes 3 inputs, but the projection gives 2"),
    (lambda: PrincipalComponents(2).fit(_correlated()).prepend_to("model"), TypeError,
     "takes a fastmlp model"),
])
def test_bad_use_gets_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_too_many_features_are_refused_before_the_covariance_is_formed():
    # 10,001 features: the covariance would be 0.8 GB; the check comes first (a broadcast
    # view, so the test itself allocates nothing of that size).
    X = np.broadcast_to(np.float32(0), (3, MAX_FEATURES + 1))
    with pytest.raises(ValueError, match="X has 10,001 features; PrincipalComponents takes at "
                                         "most 10,000"):
        PrincipalComponents(2).fit(X)


def test_non_finite_rows_are_refused():
    X = _correlated()
    X[8, 3] = np.nan
    with pytest.raises(ValueError, match=r"X contains nan at index \(8, 3\)"):
        PrincipalComponents(2).fit(X)
