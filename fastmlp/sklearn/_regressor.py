"""MLPRegressor: scikit-learn's multilayer-perceptron regressor, trained by fastmlp."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._base import BaseMLP
from ._classifier import _stochastic_solver
from ._heads import IdentityHead


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multilayer-perceptron regressor with scikit-learn's API, trained by fastmlp.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: the same parameters with the
    same defaults and meaning, the same methods and fitted attributes. It minimises half
    the squared error plus ``alpha / (2 n) * sum ||W||^2``; 1-D targets give 1-D
    predictions, ``(n, k)`` targets ``(n, k)`` predictions.

    Parameters
    ----------
    loss : {"squared_error"}, default="squared_error"
        scikit-learn 1.9 also offers "poisson"; fastmlp does not train it yet and says so.
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start,
    momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2,
    epsilon, n_iter_no_change, max_fun, backend, dtype, dropout
        As :class:`fastmlp.sklearn.MLPClassifier`; early stopping watches R².

    Attributes
    ----------
    coefs_, intercepts_, loss_, best_loss_, loss_curve_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_layers_, n_outputs_, out_activation_,
    n_features_in_, feature_names_in_, model_
        As :class:`fastmlp.sklearn.MLPClassifier` (``out_activation_`` is "identity").
    """

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 backend="numba", dtype=None, dropout=0.0):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.backend = backend
        self.dtype = dtype
        self.dropout = dropout

    _y_validation = {"y_numeric": True}

    def fit(self, X, y, sample_weight=None):
        """Train on ``X (n_samples, n_features)`` and targets ``y`` (``(n,)`` or ``(n, k)``).

        ``sample_weight (n_samples,)``: non-negative weights, not all zero, as in
        :meth:`fastmlp.sklearn.MLPClassifier.fit` (scikit-learn's weighted mean loss).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X, y``, continuing from the current weights.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _encode_targets(self, y, first_pass, incremental, classes):
        if self.loss != "squared_error":
            raise ValueError(f"loss={self.loss!r} is not supported by fastmlp's MLPRegressor "
                             "yet; use loss='squared_error'")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        # A continued fit keeps the fitted head; _check_continuation compares the two.
        return Y, IdentityHead(Y.shape[1])

    def _score_outputs(self, outputs, y, sample_weight):
        if not np.isfinite(outputs).all():
            return np.nan
        return r2_score(y, outputs.ravel() if outputs.shape[1] == 1 else outputs,
                        sample_weight=sample_weight)

    def predict(self, X):
        """Predictions ``(n_samples,)`` for one output, ``(n_samples, n_outputs)`` for more."""
        outputs = self._outputs(self._validated_X(X))
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
