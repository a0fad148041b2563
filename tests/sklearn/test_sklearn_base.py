"""What both estimators share: all-or-nothing fit, sparse input, pickling, and the ecosystem
(clone, Pipeline, GridSearchCV, cross_val_score, joblib processes)."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp.sklearn import MLPClassifier, MLPRegressor


def iris():
    return load_iris(return_X_y=True)


def quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def fitted_state(est):
    return {k: (copy.deepcopy(v) if k != "model_" else None) for k, v in vars(est).items()}


@pytest.mark.parametrize("bad", ["nan", "features"])
def test_a_failed_fit_leaves_a_fitted_estimator_as_it_was(bad):
    X, y = iris()
    clf = quiet_fit(MLPClassifier(max_iter=5, random_state=0, warm_start=True), X, y)
    before = clf.predict_proba(X)
    names = set(vars(clf))
    X_bad = X.copy()
    if bad == "nan":
        X_bad[3, 1] = np.nan
        error = "NaN"
    else:
        X_bad = X[:, :3]
        error = "features"
    with pytest.raises(ValueError, match=error):
        clf.fit(X_bad, y)
    assert set(vars(clf)) == names and clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_diverging_fit_raises_and_changes_nothing():
    X, y = make_friedman1(200, n_features=5, random_state=0)
    params = dict(solver="sgd", learning_rate_init=1e6, momentum=0.0, dtype="float32",
                  n_iter_no_change=100, random_state=0, max_iter=50)
    reg = MLPRegressor(**params)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        reg.fit(X, y * 1e6)
    assert vars(reg) == vars(MLPRegressor(**params))


def test_a_failed_first_fit_leaves_the_estimator_unfitted():
    X, y = iris()
    clf = MLPClassifier()
    with pytest.raises(ValueError):
        clf.fit(X, np.zeros(150))  # one class
    assert vars(clf) == vars(MLPClassifier())


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_trains_like_dense_input(fmt):
    X, y = iris()
    X = X - X.mean(axis=0)
    X[np.abs(X) < 0.5] = 0.0
    kwargs = dict(hidden_layer_sizes=(8,), shuffle=False, max_iter=20, random_state=0)
    dense = quiet_fit(MLPClassifier(**kwargs), X, y)
    sparse = quiet_fit(MLPClassifier(**kwargs), sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X),
                               rtol=1e-12)


def test_sparse_input_is_shuffled_reproducibly():
    X, y = iris()
    X = sp.csr_matrix(X)
    kwargs = dict(hidden_layer_sizes=(8,), batch_size=16, max_iter=40, random_state=0,
                  learning_rate_init=0.01)
    first = quiet_fit(MLPClassifier(**kwargs), X, y)
    again = quiet_fit(MLPClassifier(**kwargs), X, y)
    in_order = quiet_fit(MLPClassifier(shuffle=False, **kwargs), X, y)
    assert first.loss_curve_ == again.loss_curve_
    assert first.loss_curve_ != in_order.loss_curve_
    assert first.score(X, y) > 0.9


def test_backends_agree(backend):
    X, y = iris()
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0, dtype="float64")
    fitted = quiet_fit(MLPClassifier(backend=backend, **kwargs), X, y)
    numba = quiet_fit(MLPClassifier(backend="numba", **kwargs), X, y)
    np.testing.assert_allclose(fitted.loss_curve_, numba.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(fitted.predict_proba(X), numba.predict_proba(X), rtol=1e-9)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_pickle_round_trip_predicts_bit_identically(backend, cls, how):
    X, y = iris()
    est = quiet_fit(cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0, backend=backend),
                    X, y)
    twin = pickle.loads(pickle.dumps(est)) if how == "pickle" else copy.deepcopy(est)
    np.testing.assert_array_equal(twin.predict(X), est.predict(X))
    # and it trains on exactly as the original does (optimizer state and generator included)
    est.partial_fit(X, y)
    twin.partial_fit(X, y)
    for a, b in zip(est.coefs_, twin.coefs_):
        np.testing.assert_array_equal(a, b)


def test_unfitted_estimators_pickle_and_clone():
    for est in (MLPClassifier(hidden_layer_sizes=(3,), alpha=0.5), MLPRegressor(dropout=0.1)):
        assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()
        assert clone(est).get_params() == est.get_params()


def test_clone_of_a_fitted_estimator_is_unfitted():
    X, y = iris()
    est = quiet_fit(MLPClassifier(max_iter=3, random_state=0), X, y)
    twin = clone(est)
    assert not hasattr(twin, "model_") and twin.get_params() == est.get_params()


def test_pipeline_grid_search_and_cross_validation():
    X, y = iris()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(learning_rate_init=0.01, max_iter=300,
                                                         random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
                                 "mlpclassifier__alpha": [1e-4, 1e-1]}, cv=3)
    quiet_fit(search, X, y)
    assert search.best_score_ > 0.9
    assert len(search.cv_results_["mean_test_score"]) == 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs",
                                              max_iter=200, random_state=0),
                                 *make_friedman1(240, n_features=5, random_state=0), cv=3)
    assert scores.shape == (3,) and scores.min() > 0.7


def test_cross_validation_in_joblib_worker_processes():
    # n_jobs=2 ships the estimator to two worker processes by pickle, and the fitted ones back.
    X, y = iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        parallel = cross_val_score(MLPClassifier(max_iter=50, random_state=0), X, y, cv=3,
                                   n_jobs=2)
        serial = cross_val_score(MLPClassifier(max_iter=50, random_state=0), X, y, cv=3)
    np.testing.assert_array_equal(parallel, serial)


def test_coefs_are_the_networks_arrays():
    X, y = iris()
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0), X, y)
    assert clf.coefs_[0].shape == (4, 5) and clf.intercepts_[1].shape == (3,)
    # Editing coefs_ in place changes the network, as editing scikit-learn's does.
    clf.coefs_[1][...] = 0.0
    clf.intercepts_[1][...] = np.array([0.0, 5.0, 0.0])
    np.testing.assert_array_equal(clf.predict(X), np.ones(150))


def test_exports_through_the_fastmlp_model_protocol():
    from sklearn.exceptions import NotFittedError

    torch = pytest.importorskip("torch")
    from fastmlp.export import to_torch

    with pytest.raises(NotFittedError):
        MLPClassifier().__fastmlp_model__()
    X, y = iris()
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
    assert clf.__fastmlp_model__() is clf.model_
    with torch.no_grad():
        probabilities = to_torch(clf, softmax=True)(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(probabilities, clf.predict_proba(X), rtol=1e-6, atol=1e-12)
