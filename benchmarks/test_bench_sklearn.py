"""fastmlp.sklearn against scikit-learn's MLP estimators: ``fit`` with the same hyperparameters.

Smaller than ``compare_sklearn.py`` so the suite stays quick: 5,000 synthetic Fashion-MNIST-shaped
rows (784 features, 10 classes) for the adam case, ``make_friedman1`` for lbfgs. Group by case to
see both libraries side by side::

    pytest benchmarks/test_bench_sklearn.py --benchmark-group-by=param:case
"""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as reference
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning

from fastmlp.bench.sizes import synthetic_data
from fastmlp.sklearn import MLPClassifier, MLPRegressor

LIBRARIES = {"fastmlp": (MLPClassifier, MLPRegressor),
             "sklearn": (reference.MLPClassifier, reference.MLPRegressor)}


def _adam_case(dtype):
    X, y = synthetic_data((784, 256, 10), 5000)
    return X.astype(dtype), y, 0, dict(hidden_layer_sizes=(256,), solver="adam",
                                       batch_size=200, max_iter=3, random_state=0)


def _lbfgs_case():
    X, y = make_friedman1(1000, random_state=0)
    return X, y, 1, dict(hidden_layer_sizes=(64, 64), solver="lbfgs", max_iter=100,
                         random_state=0)


CASES = {"adam-784-256-10-float32": lambda: _adam_case(np.float32),
         "adam-784-256-10-float64": lambda: _adam_case(np.float64),
         "lbfgs-friedman1-64-64": _lbfgs_case}


@pytest.mark.parametrize("library", list(LIBRARIES), ids=lambda n: f"library={n}")
@pytest.mark.parametrize("case", list(CASES), ids=lambda c: f"case={c}")
def test_fit(benchmark, case, library):
    X, y, kind, params = CASES[case]()
    estimator = LIBRARIES[library][kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator(**{**params, "max_iter": 1}).fit(X[:500], y[:500])  # loads compiled kernels
        fitted = benchmark.pedantic(lambda: estimator(**params).fit(X, y), rounds=3,
                                    iterations=1)
    benchmark.extra_info.update(rows=len(X), score=float(fitted.score(X, y)))
