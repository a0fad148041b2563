"""sample_weight in the drop-ins: honoured by every solver, as scikit-learn defines it."""

import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk_nn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from fastmlp.sklearn import MLPClassifier, MLPRegressor

SOLVERS = ["lbfgs", "sgd", "adam"]


def _quiet(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _classification():
    X, y = make_classification(n_samples=120, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    w = np.random.default_rng(0).uniform(0, 3, len(y))
    w[:15] = 0
    return X, y, w


def _regression(n_targets=2):
    X, y = make_regression(n_samples=120, n_features=6, n_targets=n_targets, random_state=0)
    w = np.random.default_rng(1).uniform(0, 3, len(X))
    w[:15] = 0
    return X, y / 100, w


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_lbfgs_minimises_scikit_learns_weighted_objective(kind):
    # One output: for several, scikit-learn's lbfgs pairs the loss averaged over the outputs
    # with the gradient of their sum, which fastmlp does not copy.
    X, y, w = _classification() if kind == "classifier" else _regression(n_targets=1)
    settings = dict(hidden_layer_sizes=(12,), solver="lbfgs", max_iter=25, alpha=0.01,
                    random_state=0)
    ours_cls, theirs_cls = ((MLPClassifier, sk_nn.MLPClassifier) if kind == "classifier"
                            else (MLPRegressor, sk_nn.MLPRegressor))
    ours = _quiet(ours_cls(**settings), X, y, sample_weight=w)
    theirs = _quiet(theirs_cls(**settings), X, y, sample_weight=w)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    method = "predict_proba" if kind == "classifier" else "predict"
    np.testing.assert_allclose(getattr(ours, method)(X), getattr(theirs, method)(X),
                               rtol=1e-7, atol=1e-9)
    unweighted = _quiet(ours_cls(**settings), X, y)
    assert not np.allclose(getattr(unweighted, method)(X), getattr(ours, method)(X))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_full_batch_stochastic_steps_follow_scikit_learn(solver):
    X, y, w = _regression()
    # alpha=0: fastmlp adds the penalty of the weights after an epoch to loss_, scikit-learn
    # that of the weights each batch starts from.
    settings = dict(hidden_layer_sizes=(12,), solver=solver, max_iter=5, alpha=0.0,
                    batch_size=len(X), learning_rate_init=0.01, shuffle=False, random_state=0)
    ours = _quiet(MLPRegressor(**settings), X, y, sample_weight=w)
    theirs = _quiet(sk_nn.MLPRegressor(**settings), X, y, sample_weight=w)
    # Adam adds epsilon after the bias correction (PyTorch's convention): a few 1e-8 apart.
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_integer_weights_fit_as_repeated_rows(kind, solver):
    X, y, _ = _classification() if kind == "classifier" else _regression()
    w = np.random.default_rng(2).integers(0, 4, len(X))
    cls = MLPClassifier if kind == "classifier" else MLPRegressor
    # One full batch: the weighted mean loss is the repeated rows' mean loss.
    settings = dict(hidden_layer_sizes=(10,), solver=solver, max_iter=20, random_state=0,
                    batch_size=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped to n_samples
        weighted = _quiet(cls(**settings), X, y, sample_weight=w)
        repeated = _quiet(cls(**settings), np.repeat(X, w, axis=0), np.repeat(y, w, axis=0))
    method = "predict_proba" if kind == "classifier" else "predict"
    np.testing.assert_allclose(getattr(weighted, method)(X), getattr(repeated, method)(X),
                               rtol=1e-7, atol=1e-10)
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_unit_weights_change_nothing(solver):
    X, y, _ = _classification()
    settings = dict(hidden_layer_sizes=(10,), solver=solver, max_iter=15, random_state=0)
    plain = _quiet(MLPClassifier(**settings), X, y)
    ones = _quiet(MLPClassifier(**settings), X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(ones.predict_proba(X), plain.predict_proba(X), rtol=1e-10,
                               atol=1e-12)


def test_partial_fit_honours_sample_weight():
    X, y, _ = _classification()
    w = np.ones(len(y))
    w[::3] = 0
    kept = w > 0
    settings = dict(hidden_layer_sizes=(10,), random_state=0, batch_size=200)
    with_zeros, without = MLPClassifier(**settings), MLPClassifier(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped to n_samples
        for _ in range(3):
            with_zeros.partial_fit(X, y, sample_weight=w, classes=[0, 1, 2])
            without.partial_fit(X[kept], y[kept], classes=[0, 1, 2])
    np.testing.assert_allclose(with_zeros.predict_proba(X), without.predict_proba(X),
                               rtol=1e-10, atol=1e-12)


def test_early_stopping_splits_the_weights():
    X, y, w = _classification()
    clf = _quiet(MLPClassifier(hidden_layer_sizes=(10,), early_stopping=True, max_iter=30,
                               random_state=0), X, y, sample_weight=w)
    assert len(clf.validation_scores_) == clf.n_iter_


@pytest.mark.parametrize(("weights", "error"), [
    (-np.ones(120), "Negative values in data passed to `sample_weight`"),
    (np.zeros(120), "Sample weights must contain at least one non-zero number"),
    (np.ones(7), r"sample_weight.shape == \(7,\), expected \(120,\)"),
])
def test_bad_weights_get_scikit_learns_errors(weights, error):
    X, y, _ = _classification()
    clf = MLPClassifier(max_iter=2)
    with pytest.raises(ValueError, match=error):
        clf.fit(X, y, sample_weight=weights)
    assert not hasattr(clf, "model_")
