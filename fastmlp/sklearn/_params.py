"""The estimators' constructor parameters: what each may hold, checked when ``fit`` starts.

scikit-learn's rule is that ``__init__`` stores parameters untouched and ``fit`` checks them,
so that ``clone``, ``set_params`` and grid searches see exactly what the user wrote. The
ranges are scikit-learn 1.9's for its MLP estimators, plus fastmlp's own extras.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..backends import BACKENDS


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter outside its range or of the wrong type.

    A subclass of both ValueError and TypeError, as scikit-learn's own, so code written
    against scikit-learn catches it either way.
    """


def _real(low, high=math.inf, *, low_open=False, high_open=False):
    def check(value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            return False
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        return bool(above and below) and not math.isnan(value)

    left, right = "(" if low_open else "[", ")" if high_open or high == math.inf else "]"
    return check, f"a float in the range {left}{low}, {high}{right}"


def _integer(low):
    def check(value):
        return (not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Integral)
                and value >= low)

    return check, f"an int in the range [{low}, inf)"


def _options(*names):
    def check(value):
        return isinstance(value, str) and value in names

    return check, "a str among {" + ", ".join(repr(name) for name in sorted(names)) + "}"


def _boolean():
    return (lambda value: isinstance(value, (bool, np.bool_))), "an instance of 'bool'"


def _either(*rules):
    def check(value):
        return any(rule(value) for rule, _ in rules)

    return check, " or ".join(text for _, text in rules)


def _hidden_layer_sizes(value):
    if isinstance(value, (bool, np.bool_, str)):
        return False
    if isinstance(value, numbers.Integral):
        return value >= 1
    try:
        sizes = list(value)
    except TypeError:
        return False
    return all(isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_))
               and s >= 1 for s in sizes)


def _random_state(value):
    return value is None or isinstance(value, np.random.RandomState) or (
        isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
        and 0 <= value < 2**32)


def _verbose(value):
    return isinstance(value, (bool, np.bool_)) or (
        isinstance(value, numbers.Integral) and value >= 0)


#: scikit-learn's parameters of both MLP estimators, then fastmlp's extras.
CONSTRAINTS = {
    "hidden_layer_sizes": (_hidden_layer_sizes,
                           "an int >= 1 or a sequence of ints >= 1, e.g. (100,) or (64, 32)"),
    "activation": _options("identity", "logistic", "tanh", "relu"),
    "solver": _options("lbfgs", "sgd", "adam"),
    "alpha": _real(0),
    "batch_size": _either(_options("auto"), _integer(1)),
    "learning_rate": _options("constant", "invscaling", "adaptive"),
    "learning_rate_init": _real(0, low_open=True),
    "power_t": _real(0),
    "max_iter": _integer(1),
    "shuffle": _boolean(),
    "random_state": (_random_state, "None, an int in [0, 2**32) or a numpy RandomState"),
    "tol": _real(0),
    "verbose": (_verbose, "a bool or an int >= 0"),
    "warm_start": _boolean(),
    "momentum": _real(0, 1),
    "nesterovs_momentum": _boolean(),
    "early_stopping": _boolean(),
    "validation_fraction": _real(0, 1, high_open=True),
    "beta_1": _real(0, 1, high_open=True),
    "beta_2": _real(0, 1, high_open=True),
    "epsilon": _real(0, low_open=True),
    "n_iter_no_change": _either(_integer(1), ((lambda v: v == math.inf), "np.inf")),
    "max_fun": _integer(1),
    "loss": _options("squared_error", "poisson"),
    "backend": _options(*BACKENDS),
    "dtype": ((lambda v: v is None or _dtype_name(v) is not None),
              "'float32', 'float64' or None (the dtype of X, as scikit-learn does)"),
    "dropout": _real(0, 1, high_open=True),
}


def _dtype_name(value):
    try:
        dtype = np.dtype(value)
    except TypeError:
        return None
    return dtype.name if dtype in (np.float32, np.float64) else None


def check_params(estimator):
    """Raise InvalidParameterError for the first parameter of ``estimator`` out of range."""
    for name, value in estimator.get_params(deep=False).items():
        rule, expected = CONSTRAINTS[name]
        if not rule(value):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be {expected}. "
                f"Got {value!r} instead.")


def hidden_sizes(value):
    """``hidden_layer_sizes`` as a list of ints (an int means one hidden layer)."""
    if isinstance(value, numbers.Integral):
        return [int(value)]
    return [int(size) for size in value]


def network_dtype(dtype, X_dtype):
    """The float type the network computes in: ``dtype``, or with None the type of X."""
    return np.dtype(X_dtype if dtype is None else dtype).type
