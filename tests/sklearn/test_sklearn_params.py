"""Constructor parameters: stored untouched, checked by fit with scikit-learn's messages."""

import numpy as np
import pytest
import sklearn.neural_network as reference
from sklearn.base import clone
from sklearn.datasets import load_iris

from fastmlp.sklearn import InvalidParameterError, MLPClassifier, MLPRegressor


def test_same_parameters_and_defaults_as_scikit_learn_then_the_extras():
    for ours, theirs in ((MLPClassifier, reference.MLPClassifier),
                         (MLPRegressor, reference.MLPRegressor)):
        mine, reference_params = ours().get_params(), theirs().get_params()
        extras = {"backend": "numba", "dtype": None, "dropout": 0.0}
        assert mine == {**reference_params, **extras}
        # The same order too: positional arguments mean the same in both.
        names = list(ours.__init__.__code__.co_varnames[1:len(mine) + 1])
        assert names[:len(reference_params)] == list(
            theirs.__init__.__code__.co_varnames[1:len(reference_params) + 1])
        assert names[len(reference_params):] == list(extras)


def test_init_stores_parameters_untouched():
    odd = MLPClassifier(hidden_layer_sizes=np.array([3, 4]), alpha=-1, solver="nope")
    assert odd.alpha == -1 and odd.solver == "nope"
    assert clone(odd).get_params()["solver"] == "nope"


@pytest.mark.parametrize("name, value, expected", [
    ("alpha", -1.0, "must be a float in the range [0, inf)"),
    ("solver", "newton", "must be a str among {'adam', 'lbfgs', 'sgd'}"),
    ("activation", "softplus", "must be a str among"),
    ("hidden_layer_sizes", (10, 0), "an int >= 1 or a sequence of ints >= 1"),
    ("hidden_layer_sizes", "100", "an int >= 1 or a sequence"),
    ("batch_size", 0, "a str among {'auto'} or an int in the range [1, inf)"),
    ("learning_rate_init", 0.0, "must be a float in the range (0, inf)"),
    ("max_iter", 2.5, "an int in the range [1, inf)"),
    ("momentum", 1.5, "in the range [0, 1]"),
    ("validation_fraction", 1.0, "in the range [0, 1)"),
    ("beta_2", 1.0, "in the range [0, 1)"),
    ("epsilon", 0, "in the range (0, inf)"),
    ("n_iter_no_change", 0, "an int in the range [1, inf) or np.inf"),
    ("shuffle", "yes", "an instance of 'bool'"),
    ("random_state", -3, "None, an int in [0, 2**32) or a numpy RandomState"),
    ("backend", "cuda", "must be a str among {'numba', 'numpy'}"),
    ("dtype", "float16", "'float32', 'float64' or None"),
    ("dropout", 1.0, "in the range [0, 1)"),
])
def test_fit_rejects_parameters_out_of_range(name, value, expected):
    X, y = load_iris(return_X_y=True)
    est = MLPClassifier(**{name: value})
    with pytest.raises(InvalidParameterError) as info:
        est.fit(X, y)
    message = str(info.value)
    assert message.startswith(f"The {name!r} parameter of MLPClassifier must be")
    assert expected in message and f"Got {value!r} instead." in message
    # Caught by code that expects scikit-learn's error types.
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert not hasattr(est, "model_")


def test_regressor_loss_parameter():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="'loss' parameter of MLPRegressor"):
        MLPRegressor(loss="huber").fit(X, y)


@pytest.mark.parametrize("sizes, widths", [(7, [4, 7, 3]), ((5, 6), [4, 5, 6, 3]),
                                           ([], [4, 3]), (np.array([2]), [4, 2, 3])])
def test_hidden_layer_sizes_forms(sizes, widths):
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=sizes, max_iter=2, tol=1e9, n_iter_no_change=1,
                        random_state=0).fit(X, y)
    assert [W.shape for W in clf.coefs_] == list(zip(widths[:-1], widths[1:]))
    assert clf.n_layers_ == len(widths)


def test_dtype_follows_X_unless_given():
    X, y = load_iris(return_X_y=True)
    kw = dict(max_iter=2, tol=1e9, n_iter_no_change=1, random_state=0)
    assert MLPClassifier(**kw).fit(X, y).coefs_[0].dtype == np.float64
    assert MLPClassifier(**kw).fit(X.astype(np.float32), y).coefs_[0].dtype == np.float32
    fitted = MLPClassifier(dtype="float32", **kw).fit(X, y)
    assert fitted.coefs_[0].dtype == np.float32
    # Outputs in the precision of X (as NumPy would give), whatever the network computes in.
    assert fitted.predict_proba(X).dtype == np.float64
