"""MLPClassifier: labels of any type, probabilities, partial_fit, warm_start, its errors."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from fastmlp.sklearn import MLPClassifier

QUICK = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=150, random_state=0)


def iris():
    return load_iris(return_X_y=True)


def quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


@pytest.mark.parametrize("labels", [np.array(["setosa", "versicolor", "virginica"]),
                                    np.array([10, -3, 7]), np.array([1.0, 2.0, 3.0])])
def test_any_label_type_multiclass(labels):
    X, y = iris()
    named = labels[y]
    clf = quiet_fit(MLPClassifier(**QUICK), X, named)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    predicted = clf.predict(X)
    assert predicted.dtype == named.dtype and set(predicted) <= set(labels)
    assert clf.score(X, named) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], predicted)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert [W.shape for W in clf.coefs_] == [(4, 16), (16, 3)]


def test_multiclass_labels_decode_as_the_label_binarizer_decodes_them():
    X, y = iris()
    clf = quiet_fit(MLPClassifier(**QUICK), X, np.array(["a", "b", "c"])[y])
    outputs = np.random.default_rng(0).random((200, 3))
    outputs[:50] = outputs[:50].round(1)  # ties: the first largest output wins
    outputs[50, 1] = outputs[51, 2] = np.nan
    expected = clf._label_binarizer.inverse_transform(outputs)
    np.testing.assert_array_equal(clf._decode(outputs), expected)


@pytest.mark.parametrize("labels", [np.array([False, True]), np.array(["no", "yes"])])
def test_binary_problems_have_one_logistic_output(labels):
    X, y = iris()
    keep = y > 0
    X, target = X[keep], labels[(y[keep] == 2).astype(int)]
    clf = quiet_fit(MLPClassifier(**QUICK), X, target)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert [W.shape for W in clf.coefs_] == [(4, 16), (16, 1)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (1,)]
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # The logistic unit, by hand from coefs_/intercepts_ (scikit-learn's definition).
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    logit = hidden @ clf.coefs_[1] + clf.intercepts_[1]
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logit.ravel())), rtol=1e-9)
    np.testing.assert_array_equal(clf.predict(X), np.where(proba[:, 1] > 0.5, labels[1],
                                                           labels[0]))
    assert clf.score(X, target) > 0.9


def test_a_single_class_is_refused_clearly():
    X, _ = iris()
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'a'"):
        MLPClassifier().fit(X, np.array(["a"] * 150))


def test_multi_label_targets_as_scikit_learn():
    sk_neural = pytest.importorskip("sklearn.neural_network")
    X, y = iris()
    X = X / X.max(axis=0)
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0.7]).astype(int)
    settings = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=60, random_state=0)
    ours = quiet_fit(MLPClassifier(**settings), X, Y)
    theirs = quiet_fit(sk_neural.MLPClassifier(**settings), X, Y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    assert ours.n_outputs_ == 3 and ours.coefs_[-1].shape == (8, 3)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert ours.predict(X).shape == Y.shape and ours.predict(X).dtype == theirs.predict(X).dtype
    np.testing.assert_array_equal(ours.predict(X), (ours.predict_proba(X) > 0.5).astype(int))
    assert ours.score(X, Y) == theirs.score(X, Y)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_multi_label_with_the_stochastic_solvers(solver):
    X, y = iris()
    X = X / X.max(axis=0)
    Y = np.column_stack([y == 0, y == 2]).astype(int)
    clf = quiet_fit(MLPClassifier(**QUICK, solver=solver), X, Y)
    assert clf.model_.loss == "binary_cross_entropy"
    assert clf.score(X, Y) > 0.9
    clf.partial_fit(X, Y)
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, np.column_stack([Y, Y[:, :1]]))


def test_regression_targets_are_refused():
    X, _ = iris()
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, np.linspace(0, 1, 150))


def test_column_vector_labels_warn_and_work():
    X, y = iris()
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning):
        clf = quiet_fit(MLPClassifier(max_iter=5, random_state=0), X, y[:, None])
    assert clf.predict(X).shape == (150,)


def test_partial_fit_needs_classes_first_and_refuses_new_ones():
    X, y = iris()
    clf = MLPClassifier(learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "classes_")
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])  # one class in this block: fine
    assert clf.n_iter_ == 1 and clf.t_ == 50
    with pytest.raises(ValueError, match="`classes=.*` is not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, np.where(y == 2, 5, y))
    for _ in range(60):
        clf.partial_fit(X, y)
    assert clf.t_ == 50 + 60 * 150 and len(clf.loss_curve_) == 61
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize(("classes", "batch"), [
    (np.array([10, -3, 7]), np.array([7, 7, 10, -3, 10])),
    (np.array([0, 1]), np.array([1, 0, 0, 1, 1])),
    (np.array([0, 1]), np.array([0, 0, 0])),
    (np.array([1, 2, 3]), np.array([3.0, 1.0, 2.0, 2.0])),  # floats naming integer classes
    (np.array(["b", "a", "c"]), np.array(["c", "a", "a", "b"])),
    (np.array(["no", "yes"]), np.array(["yes", "yes", "no"])),
], ids=["ints", "binary", "binary-one-class", "floats", "strings", "binary-strings"])
def test_partial_fit_encodes_labels_as_the_binarizer(classes, batch):
    X = np.random.default_rng(0).standard_normal((len(batch), 3))
    clf = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(X, batch, classes=classes)
    expected = clf._label_binarizer.transform(batch).astype(bool)
    Y = clf._indicator_of_known_labels(batch)
    assert Y.dtype == bool and Y.shape == expected.shape
    np.testing.assert_array_equal(Y, expected)
    assert clf._indicator_of_known_labels(np.append(batch[:2], batch[0])) is not None
    # Labels outside classes_ or of another type are the binarizer's to judge.
    unknown = np.array([99, 99, 99]) if batch.dtype.kind != "U" else np.array(["zz"] * 3)
    assert clf._indicator_of_known_labels(unknown) is None
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X[:3], unknown)
    mixed = np.array([1, 0, 1]) if batch.dtype.kind == "U" else np.array(["a", "b", "a"])
    assert clf._indicator_of_known_labels(mixed) is None
    with pytest.raises(ValueError, match="Mix of label input types|not in `self.classes_`"):
        clf.partial_fit(X[:3], mixed)


def test_partial_fit_keeps_the_optimizer_state():
    # Two partial_fit calls over two halves equal one pass over the data without shuffling,
    # because Adam's moments and step count carry over.
    X, y = iris()
    order = np.random.default_rng(0).permutation(150)
    X, y = X[order], y[order]
    kw = dict(hidden_layer_sizes=(6,), batch_size=25, shuffle=False, random_state=0)
    halves = MLPClassifier(**kw).partial_fit(X[:75], y[:75], classes=[0, 1, 2])
    halves.partial_fit(X[75:], y[75:])
    whole = MLPClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
    for a, b in zip(halves.coefs_, whole.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_partial_fit_refuses_early_stopping():
    X, y = iris()
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_continues_and_checks_classes():
    X, y = iris()
    clf = quiet_fit(MLPClassifier(max_iter=5, warm_start=True, random_state=0), X, y)
    first = [np.copy(W) for W in clf.coefs_]
    quiet_fit(clf, X, y)
    assert clf.n_iter_ == 5 and clf.t_ == 10 * 150 and len(clf.loss_curve_) == 10
    assert any(not np.array_equal(a, b) for a, b in zip(first, clf.coefs_))
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same "
                                         "classes"):
        clf.fit(X[y < 2], y[y < 2])
    assert len(clf.loss_curve_) == 10  # the failed fit changed nothing


def test_without_warm_start_fit_starts_over():
    X, y = iris()
    clf = MLPClassifier(max_iter=5, random_state=0)
    quiet_fit(clf, X, y)
    curve = list(clf.loss_curve_)
    quiet_fit(clf, X, y)
    assert clf.loss_curve_ == curve and clf.t_ == 5 * 150


def test_predict_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    clf = MLPClassifier()
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, 4)))
    for name in ("coefs_", "intercepts_", "n_layers_", "n_outputs_", "out_activation_"):
        assert not hasattr(clf, name)
