"""The "lbfgs" solver: scipy's L-BFGS-B on fastmlp's loss and analytic gradient."""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
import sklearn.neural_network as reference
import threadpoolctl
from sklearn.datasets import load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning

from fastmlp.backends._blas import LIBRARY_PATH
from fastmlp.sklearn import MLPClassifier, MLPRegressor
from fastmlp.sklearn._lbfgs import run_lbfgs


def test_regression_reaches_scikit_learns_fit(backend):
    X, y = make_friedman1(300, n_features=6, random_state=0)
    kwargs = dict(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0, max_iter=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPRegressor(backend=backend, **kwargs).fit(X, y)
        theirs = reference.MLPRegressor(**kwargs).fit(X, y)
    assert abs(ours.score(X, y) - theirs.score(X, y)) < 0.01
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=0.2)
    assert 0 < ours.n_iter_ <= 150
    assert not hasattr(ours, "loss_curve_") and not hasattr(ours, "best_loss_")


def test_classifier_fits_iris():
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0,
                        max_iter=500).fit(X, y)
    assert clf.score(X, y) > 0.97


def test_objective_and_gradient_agree_with_finite_differences(monkeypatch):
    # The vector L-BFGS-B sees: its gradient must be the derivative of its value, penalty
    # on the weights (not the biases) included.
    X, y = make_friedman1(60, n_features=5, random_state=1)
    Y = np.column_stack([y, X[:, 0]])
    est = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", alpha=0.7, dtype="float64",
                       random_state=0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y)
    captured = {}
    original = scipy.optimize.minimize

    def spy(fun, x0, **kwargs):
        captured["fun"], captured["x0"] = fun, x0
        return original(fun, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run_lbfgs(est, X, Y)
    fun, theta = captured["fun"], captured["x0"] + 0.1
    _, grad = fun(theta)
    h = 1e-6
    for i in range(0, theta.size, 3):
        step = np.zeros_like(theta)
        step[i] = h
        numeric = (fun(theta + step)[0] - fun(theta - step)[0]) / (2 * h)
        assert numeric == pytest.approx(grad[i], rel=1e-5, abs=1e-8)


def test_max_iter_and_max_fun_are_honoured_with_a_warning():
    X, y = make_friedman1(200, n_features=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est = MLPRegressor(solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    assert est.n_iter_ == 5
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est = MLPRegressor(solver="lbfgs", max_fun=4, random_state=0).fit(X, y)
    assert est.n_iter_ <= 4


def test_sparse_input_gives_the_dense_result():
    X, y = make_friedman1(150, n_features=8, random_state=0)
    X[X < 0.5] = 0.0
    kwargs = dict(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = MLPRegressor(**kwargs).fit(X, y)
        sparse = MLPRegressor(**kwargs).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict(X), dense.predict(X), rtol=1e-9)


def test_lbfgs_has_no_partial_fit_and_no_dropout():
    est = MLPClassifier(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        est.partial_fit  # noqa: B018
    assert "only available for stochastic optimizers" in str(info.value.__cause__)
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="dropout needs a stochastic solver"):
        MLPClassifier(solver="lbfgs", dropout=0.2).fit(X, y)


def _blas_threads():
    return {pool.filepath: pool.num_threads
            for pool in threadpoolctl.ThreadpoolController().lib_controllers
            if pool.user_api == "blas"}


def test_lbfgs_runs_with_the_network_s_blas_the_only_pool_of_threads(monkeypatch):
    # L-BFGS-B multiplies with SciPy's BLAS, the network with NumPy's: while it runs, every
    # other library is held to one thread, and every count comes back after.
    import scipy.linalg  # noqa: F401 - SciPy's BLAS loaded, as L-BFGS-B loads it
    X, y = make_friedman1(100, n_features=5, random_state=0)
    captured = {}
    original = scipy.optimize.minimize

    def spy(fun, x0, **kwargs):
        captured["threads"] = _blas_threads()
        return original(fun, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with pytest.warns(ConvergenceWarning):  # five iterations: not converged
            MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0,
                         max_iter=5).fit(X, y)
        assert _blas_threads() == before
    expected = {path: (n if path == LIBRARY_PATH else 1) for path, n in before.items()}
    assert captured["threads"] == expected
    if LIBRARY_PATH is not None and len(before) > 1:
        assert expected != before  # the check above held another library to one thread
