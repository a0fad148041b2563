"""MLPRegressor: 1-D and multi-output targets, partial_fit, warm_start, its errors."""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as reference
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from fastmlp.sklearn import MLPRegressor


def data(n=300):
    X, y = make_friedman1(n, n_features=6, random_state=0)
    return X, y


def quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_one_output_gives_1d_predictions():
    X, y = data()
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0,
                                 max_iter=200), X, y)
    assert reg.predict(X).shape == (300,)
    assert reg.n_outputs_ == 1 and reg.out_activation_ == "identity"
    assert reg.score(X, y) > 0.9


def test_column_vector_targets_warn_and_give_1d_predictions():
    X, y = data()
    with pytest.warns(DataConversionWarning):
        reg = quiet_fit(MLPRegressor(max_iter=3, random_state=0), X, y[:, None])
    assert reg.predict(X).shape == (300,)


def test_multi_output_regression():
    X, y = data()
    Y = np.column_stack([y, 3 * X[:, 0] - X[:, 1], np.sin(3 * X[:, 2])])
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0,
                                 max_iter=300), X, Y)
    assert reg.predict(X).shape == (300, 3) and reg.n_outputs_ == 3
    assert [W.shape for W in reg.coefs_] == [(6, 32), (32, 3)]
    assert reg.score(X, Y) > 0.9


def test_partial_fit_over_blocks_learns_as_scikit_learn_does():
    X, y = data(600)
    fitted = []
    for cls in (MLPRegressor, reference.MLPRegressor):
        reg = cls(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
        for _ in range(30):
            for start in range(0, 600, 200):
                reg.partial_fit(X[start:start + 200], y[start:start + 200])
        fitted.append(reg)
    ours, theirs = fitted
    assert ours.n_iter_ == 1 and ours.t_ == 30 * 600 and len(ours.loss_curve_) == 90
    assert ours.score(X, y) > 0.5
    assert ours.score(X, y) > theirs.score(X, y) - 0.05


def test_continuing_with_another_number_of_outputs_is_refused():
    X, y = data()
    reg = MLPRegressor(random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="y has 2 output.*fitted with 1"):
        reg.partial_fit(X, np.column_stack([y, y]))


def test_poisson_loss_is_refused_clearly():
    X, y = data()
    with pytest.raises(ValueError, match="loss='poisson' is not supported"):
        MLPRegressor(loss="poisson").fit(X, y)


def test_string_targets_are_refused():
    X, _ = data(4)
    with pytest.raises(ValueError):
        MLPRegressor().fit(X, np.array(["a", "b", "c", "d"]))
