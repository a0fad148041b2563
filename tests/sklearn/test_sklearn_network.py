"""The network behind an estimator: scikit-learn's layers and its initial weights."""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as reference
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from fastmlp import Dense, Dropout, ReLU, Sigmoid, Tanh
from fastmlp.sklearn import MLPClassifier, MLPRegressor


def initial(cls, X, y, **params):
    # One epoch whose updates underflow to zero: the fitted weights are the initial ones.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(solver="sgd", momentum=0.0, learning_rate_init=1e-300, alpha=0.0,
                   max_iter=1, **params).fit(X, y)


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
@pytest.mark.parametrize("problem", ["multiclass", "binary", "regression"])
def test_initial_weights_are_scikit_learns(activation, problem):
    X, y = load_iris(return_X_y=True)
    if problem == "binary":
        y = (y == 2).astype(int)
    ours, theirs = ((MLPRegressor, reference.MLPRegressor) if problem == "regression"
                    else (MLPClassifier, reference.MLPClassifier))
    params = dict(hidden_layer_sizes=(5, 3), activation=activation, random_state=7)
    a, b = initial(ours, X, y, **params), initial(theirs, X, y, **params)
    for mine, expected in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, expected, rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("activation, layer", [("relu", ReLU), ("logistic", Sigmoid),
                                               ("tanh", Tanh), ("identity", None)])
def test_layers(activation, layer):
    X, y = load_iris(return_X_y=True)
    clf = initial(MLPClassifier, X, y, hidden_layer_sizes=(5, 3), activation=activation,
                  random_state=0)
    kinds = [type(lay) for lay in clf.model_.layers]
    between = [] if layer is None else [layer]
    assert kinds == [Dense, *between, Dense, *between, Dense]


def test_dropout_follows_each_hidden_activation():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(5, 3), dropout=0.25, max_iter=1,
                            random_state=0).fit(X, y)
    kinds = [type(lay) for lay in clf.model_.layers]
    assert kinds == [Dense, ReLU, Dropout, Dense, ReLU, Dropout, Dense]
    assert all(lay.p == 0.25 for lay in clf.model_.layers if isinstance(lay, Dropout))


def test_the_model_can_be_saved_without_pickle(tmp_path):
    import fastmlp

    X, y = load_iris(return_X_y=True)
    clf = initial(MLPClassifier, X, y, hidden_layer_sizes=(5,), random_state=0)
    clf.model_.save(tmp_path / "iris.npz")
    loaded = fastmlp.load(tmp_path / "iris.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
