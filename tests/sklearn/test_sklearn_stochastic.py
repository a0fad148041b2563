"""The stochastic solvers follow scikit-learn's rules epoch for epoch.

With the same ``random_state`` both libraries start from the same weights; without shuffling
and in float64, plain SGD then gives scikit-learn's loss curve, learning-rate schedules,
stopping epoch, early-stopping scores and weights to rounding.
"""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as reference
from sklearn.datasets import load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning

import fastmlp
from fastmlp.sklearn import MLPClassifier, MLPRegressor

EXACT = dict(rtol=1e-10, atol=1e-12)


def iris():
    return load_iris(return_X_y=True)


def friedman(n=300, seed=0):
    X, y = make_friedman1(n, n_features=6, random_state=seed)
    return X, y


def fit_both(ours, theirs, X, y, backend="numba", **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ours(backend=backend, **params).fit(X, y), theirs(**params).fit(X, y)


def assert_same_fit(a, b):
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, **EXACT)
    for mine, theirs in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, theirs, **EXACT)


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_sgd_schedules_match_scikit_learn(backend, learning_rate):
    X, y = iris()
    a, b = fit_both(MLPClassifier, reference.MLPClassifier, X, y, backend=backend,
                    hidden_layer_sizes=(7, 5), activation="tanh", solver="sgd", momentum=0.0,
                    alpha=0.0, shuffle=False, random_state=1, max_iter=40, batch_size=32,
                    learning_rate=learning_rate, learning_rate_init=0.05, n_iter_no_change=2,
                    tol=0.05)
    assert_same_fit(a, b)
    assert a.n_iter_ < 40  # the tol / n_iter_no_change rule did its work on both


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_scikit_learn(nesterov, learning_rate):
    # Also when the rate changes between epochs: the momentum buffer follows scikit-learn's
    # convention (a sum of steps), not PyTorch's (a sum of gradients).
    X, y = iris()
    a, b = fit_both(MLPClassifier, reference.MLPClassifier, X, y, hidden_layer_sizes=(6,),
                    solver="sgd", momentum=0.8, nesterovs_momentum=nesterov, alpha=0.0,
                    shuffle=False, random_state=3, max_iter=40, batch_size=40,
                    learning_rate=learning_rate, learning_rate_init=0.02,
                    n_iter_no_change=2, tol=0.02)
    assert_same_fit(a, b)
    if learning_rate == "adaptive":
        # Without a division of the rate it would stop within 2 * (n_iter_no_change + 1).
        assert a.n_iter_ > 6


@pytest.mark.parametrize("outputs", [1, 2])
def test_sgd_regression_matches_scikit_learn(backend, outputs):
    # fastmlp's loss is the mean squared error; scikit-learn's is half of it, and for several
    # outputs its gradient is that of the sum over outputs: the estimator converts, exactly.
    X, y = friedman()
    Y = y if outputs == 1 else np.column_stack([y, X[:, 0] - X[:, 1]])
    a, b = fit_both(MLPRegressor, reference.MLPRegressor, X, Y, backend=backend,
                    hidden_layer_sizes=(8,), activation="logistic", solver="sgd", alpha=0.0,
                    shuffle=False, random_state=1, max_iter=30, batch_size=50,
                    learning_rate_init=0.01)
    assert_same_fit(a, b)
    assert a.predict(X).shape == b.predict(X).shape == Y.shape


def test_early_stopping_matches_scikit_learn():
    X, y = iris()
    a, b = fit_both(MLPClassifier, reference.MLPClassifier, X, y, hidden_layer_sizes=(7, 5),
                    activation="tanh", solver="sgd", momentum=0.0, alpha=0.0, shuffle=False,
                    random_state=1, max_iter=60, batch_size=32, learning_rate_init=0.05,
                    n_iter_no_change=3, tol=1e-3, early_stopping=True)
    assert_same_fit(a, b)
    assert a.validation_scores_ == b.validation_scores_
    assert a.best_validation_score_ == b.best_validation_score_
    assert a.best_loss_ is None and b.best_loss_ is None


def test_early_stopping_regression_keeps_the_best_weights():
    X, y = friedman()
    a, b = fit_both(MLPRegressor, reference.MLPRegressor, X, y, hidden_layer_sizes=(8,),
                    activation="logistic", solver="sgd", alpha=0.0, shuffle=False,
                    random_state=1, max_iter=80, batch_size=50, learning_rate_init=0.01,
                    early_stopping=True, n_iter_no_change=3)
    assert_same_fit(a, b)
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_, **EXACT)
    assert a.best_validation_score_ == max(a.validation_scores_)


def test_adam_follows_scikit_learn_closely():
    # fastmlp's Adam adds epsilon after the bias correction (as PyTorch does), scikit-learn
    # before it: the curves agree to a few parts in a thousand, not to rounding.
    X, y = friedman(1000)
    a, b = fit_both(MLPRegressor, reference.MLPRegressor, X, y, hidden_layer_sizes=(32, 32),
                    alpha=0.0, shuffle=False, random_state=0, max_iter=60)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-2)
    assert a.n_iter_ == b.n_iter_


def test_convergence_warning_when_max_iter_runs_out():
    X, y = iris()
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached") as caught:
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MLPClassifier(max_iter=200, tol=10.0, n_iter_no_change=1, random_state=0)
        clf.fit(X, y)
    # The first epoch improves on an infinite best loss; the next two do not improve by 10:
    # more than n_iter_no_change=1 epochs without improvement stops after epoch 3.
    assert clf.n_iter_ == 3


def test_n_iter_no_change_infinite_trains_for_max_iter():
    X, y = iris()
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(max_iter=25, tol=10.0, n_iter_no_change=np.inf,
                            random_state=0).fit(X, y)
    assert clf.n_iter_ == 25 and len(clf.loss_curve_) == 25


def test_loss_includes_the_penalty_on_weights():
    X, y = iris()
    kwargs = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=1e-12,
                  shuffle=False, random_state=0, max_iter=1, batch_size=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPClassifier(alpha=0.0, **kwargs).fit(X, y)
        penalised = MLPClassifier(alpha=3.0, **kwargs).fit(X, y)
    squares = sum(float((W.astype(np.float64) ** 2).sum()) for W in penalised.coefs_)
    # One batch of 150: the penalty is alpha / (2 * 150) * sum ||W||^2 (weights, not biases).
    assert penalised.loss_ == pytest.approx(plain.loss_ + 3.0 * squares / 300, rel=1e-9)


def test_verbose_prints_every_epoch(capsys):
    X, y = iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2",
                                                      "Iteration 3"]
    assert all("loss = " in line for line in lines)


def test_batch_size_larger_than_the_data_is_clipped_with_a_warning():
    X, y = iris()
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        clf = MLPClassifier(batch_size=1000, max_iter=2, tol=1e9, n_iter_no_change=1,
                            random_state=0).fit(X, y)
    assert clf.n_iter_ == 2


def test_dropout_trains_and_is_off_at_prediction():
    X, y = iris()
    clf = MLPClassifier(hidden_layer_sizes=(32,), dropout=0.3, max_iter=150, random_state=0,
                        learning_rate_init=0.01).fit(X, y)
    assert clf.score(X, y) > 0.9
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_sgd_with_penalty_matches_scikit_learn(backend, binary, alpha):
    # A binary problem gets one logistic unit trained on binary cross-entropy, as
    # scikit-learn's: the same steps, epoch for epoch (two softmax columns, whose difference
    # is the same function, drifted 7 % from scikit-learn's loss curve: each column took a
    # step of its own). alpha penalises the weights, not the intercepts (which drifted by
    # 5e-4 when weight decay reached them).
    X, y = iris()
    a, b = fit_both(MLPClassifier, reference.MLPClassifier, X, y == 2 if binary else y,
                    backend=backend, hidden_layer_sizes=(6,), solver="sgd", momentum=0.0,
                    alpha=alpha,
                    shuffle=False, random_state=2, max_iter=30, batch_size=50,
                    learning_rate_init=0.05, n_iter_no_change=30)
    assert a.n_outputs_ == b.n_outputs_ == (1 if binary else 3)
    if alpha == 0:
        assert_same_fit(a, b)
        return
    # The weights take scikit-learn's steps to rounding...
    for mine, theirs in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, theirs, **EXACT)
    # ...but loss_ adds the penalty of the epoch's last weights once per batch, where
    # scikit-learn adds each batch's penalty with the weights of that batch (documented in
    # docs/sklearn.md): the curves part by a fraction of the penalty's change in an epoch.
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-4)


def test_dense_training_is_one_fit_call_whatever_the_epochs(monkeypatch):
    # fit's checks of the whole input ran once an epoch when each epoch was a call of its own.
    calls = []
    original = fastmlp.Sequential.fit

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("epochs"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fastmlp.Sequential, "fit", counting)
    X, y = iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=12, random_state=0).fit(X, y)
    assert clf.n_iter_ == 12 and len(clf.loss_curve_) == 12
    assert calls == [12]
    calls.clear()
    clf.partial_fit(X, y)
    assert calls == [1]


def test_ctrl_c_mid_training_keeps_the_epochs_done_with_scikit_learns_warning(monkeypatch):
    from fastmlp.sklearn import _stochastic

    original = _stochastic._EpochRules.after_epoch

    def interrupted_in_the_fourth_epoch(self, core_loss):
        if self.est.n_iter_ == 3:
            raise KeyboardInterrupt
        return original(self, core_loss)

    monkeypatch.setattr(_stochastic._EpochRules, "after_epoch", interrupted_in_the_fourth_epoch)
    X, y = iris()
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert clf.predict(X).shape == y.shape


@pytest.mark.parametrize("sparse", [False, True])
def test_epoch_rules_run_on_one_blas_thread(monkeypatch, sparse):
    # Their products (the penalty's sum of squares, a validation score) on two BLAS threads
    # left the second spinning where the next epoch trained; dense input trains in one fit
    # whose callback applies the rules, sparse input in a fit per chunk between them.
    import scipy.sparse as sp

    from fastmlp.backends import _blas
    from fastmlp.sklearn import _stochastic

    if _blas.blas_threads() is None:
        pytest.skip("the kernels' BLAS cannot tell its thread count")
    seen = []
    original = _stochastic.squared_weight_norm

    def spy(model, head):
        seen.append(_blas.blas_threads())
        return original(model, head)

    monkeypatch.setattr(_stochastic, "squared_weight_norm", spy)
    X, y = iris()
    with fastmlp.threads(2), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(
            sp.csr_matrix(X) if sparse else X, y)
        assert _blas.blas_threads() == 2
    assert seen == [1, 1, 1]
