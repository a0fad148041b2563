"""scikit-learn estimators trained by fastmlp: change one import line.

>>> from fastmlp.sklearn import MLPClassifier      # was: from sklearn.neural_network import ...
>>> clf = MLPClassifier(hidden_layer_sizes=(256,), random_state=0).fit(X, y)

:class:`MLPClassifier` and :class:`MLPRegressor` take scikit-learn's parameters with the same
names, defaults and meaning, and work wherever scikit-learn's estimators do (Pipeline,
GridSearchCV, cross_val_score, clone, pickle, joblib and Dask). Needs scikit-learn:
``pip install "fastmlp[sklearn]"``.
"""

try:
    import sklearn  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError('fastmlp.sklearn needs scikit-learn; install it with '
                      'pip install "fastmlp[sklearn]"') from err

from ._classifier import MLPClassifier
from ._params import InvalidParameterError
from ._regressor import MLPRegressor

__all__ = ["InvalidParameterError", "MLPClassifier", "MLPRegressor"]
