"""What MLPClassifier and MLPRegressor share: fitting, the fitted attributes, predicting.

``fit`` is all or nothing: it works on a copy of the fitted state and commits it only when
training succeeds, so a failed ``fit`` (bad input, a diverging loss) leaves the estimator as
it was, fitted or not.
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    column_or_1d,
    validate_data,
)

from .. import SGD, Adam
from ._lbfgs import run_lbfgs
from ._network import build_model, coefs_and_intercepts
from ._params import check_params, hidden_sizes, network_dtype
from ._stochastic import batch_size_for, make_optimizer, run_epochs, set_penalty

#: Rows per chunk when densifying sparse input to predict.
_PREDICT_ROWS = 4096


class _TrainingData:
    """The arrays and settings of one stochastic ``fit`` / ``partial_fit`` call;
    ``sample_weight`` is the training rows' weights ``(n,)`` or None."""

    def __init__(self, X, Y, validation, batch_size, optimizer, sample_weight=None):
        self.X, self.Y, self.validation = X, Y, validation
        self.batch_size, self.optimizer = batch_size, optimizer
        self.sample_weight = sample_weight


class BaseMLP(BaseEstimator):
    """Base class of the estimators; not for direct use."""

    # ------------------------------------------------------------------ fitted attributes

    @property
    def coefs_(self):
        """list of (n_in, n_out) arrays: the weight matrix of each layer."""
        self._require_fitted("coefs_")
        return coefs_and_intercepts(self.model_, self._head)[0]

    @property
    def intercepts_(self):
        """list of (n_out,) arrays: the bias vector of each layer."""
        self._require_fitted("intercepts_")
        return coefs_and_intercepts(self.model_, self._head)[1]

    @property
    def n_layers_(self):
        """int: the number of layers, input and output included."""
        self._require_fitted("n_layers_")
        return len(self.model_.parameters()) // 2 + 1

    @property
    def n_outputs_(self):
        """int: the number of outputs (1 for binary classification and 1-D regression)."""
        self._require_fitted("n_outputs_")
        return self._head.n_outputs

    @property
    def out_activation_(self):
        """str: the output activation ("softmax", "logistic" or "identity")."""
        self._require_fitted("out_activation_")
        return self._head.out_activation

    def __fastmlp_model__(self):
        """The fitted fastmlp network, for :mod:`fastmlp.export` (``to_onnx(estimator)``)."""
        check_is_fitted(self)
        return self.model_

    def _require_fitted(self, name):
        # AttributeError, as for any missing attribute: hasattr() is then False before fit.
        if "model_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r} before fit; "
                                 "call fit first")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ fitting

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        check_params(self)
        saved = dict(self.__dict__)
        try:
            self._fit_committed(X, y, sample_weight, incremental, classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return self

    def _fit_committed(self, X, y, sample_weight, incremental, classes):
        hidden = hidden_sizes(self.hidden_layer_sizes)
        first_pass = "model_" not in self.__dict__ or not (self.warm_start or incremental)
        if self.dropout and self.solver == "lbfgs":
            raise ValueError("dropout needs a stochastic solver: use solver='adam' or 'sgd' "
                             "with dropout > 0, or dropout=0 with solver='lbfgs'")
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=first_pass,
                             **self._y_validation)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            # Non-negative, finite, one per row, not all zero: scikit-learn's own checks.
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        Y, head = self._encode_targets(y, first_pass, incremental, classes)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X, head, hidden)
        else:
            self._check_continuation(head)
            # Train a copy: the fitted model stays intact until training succeeds.
            self.model_ = copy.deepcopy(self.model_)
            self.loss_curve_ = list(getattr(self, "loss_curve_", None) or [])
            if getattr(self, "validation_scores_", None) is not None:
                self.validation_scores_ = list(self.validation_scores_)
        Y_core = self._head.core_targets(Y, self.model_.dtype)
        try:
            if self.solver == "lbfgs":
                run_lbfgs(self, X, Y_core, sample_weight)
            else:
                data = self._training_data(X, Y_core, Y, y, sample_weight, incremental)
                run_epochs(self, data, incremental)
        except FloatingPointError as err:
            raise ValueError(f"Solver produced non-finite parameter weights ({err}). The input "
                             "data may contain large values and need to be preprocessed, "
                             "e.g. with sklearn.preprocessing.StandardScaler, or the "
                             "learning rate may be too large.") from None
        if not all(np.isfinite(p).all() for p in self.model_.parameters()):
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed.")

    def _initialize(self, X, head, hidden):
        """Build the network and reset every fitted attribute (a first fit)."""
        dtype = network_dtype(self.dtype, X.dtype)
        self._head = head
        self.model_ = build_model([X.shape[1], *hidden, head.n_outputs], self.activation,
                                  self.dropout, head, self.backend, dtype, self._random_state)
        self.n_iter_ = 0
        self.t_ = 0
        for name in ("loss_curve_", "best_loss_", "validation_scores_",
                     "best_validation_score_", "_no_improvement_count", "_best_params"):
            self.__dict__.pop(name, None)
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self._best_params = [np.copy(p) for p in self.model_.parameters()]
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _check_continuation(self, head):
        if head.n_outputs != self._head.n_outputs or type(head) is not type(self._head):
            raise ValueError(
                f"y has {head.n_outputs} output(s) but {type(self).__name__} was fitted with "
                f"{self._head.n_outputs}; warm_start and partial_fit continue the same "
                "problem: pass targets of the same shape, or fit from scratch "
                "(warm_start=False)")
        if self.solver != "lbfgs" and not hasattr(self, "loss_curve_"):
            # Fitted with lbfgs, now continued with a stochastic solver: start its records.
            self.loss_curve_, self._no_improvement_count = [], 0
            self.best_loss_, self.validation_scores_ = np.inf, None
            self.best_validation_score_ = None
            self._best_params = [np.copy(p) for p in self.model_.parameters()]

    def _training_data(self, X, Y, Y_encoded, y, sample_weight, incremental):
        """The stochastic solver's arrays: ``Y`` are fastmlp's targets, ``Y_encoded`` the
        encoded ones ``(n, n_outputs_)``, ``y`` the user's (for validation scores), and the
        validated ``sample_weight`` or None (split with the rows under early stopping)."""
        validation = None
        if self.early_stopping:
            stratify = Y_encoded if self._stratify_validation(Y_encoded) else None
            train, held_out = train_test_split(
                np.arange(X.shape[0]), random_state=self._random_state,
                test_size=self.validation_fraction, stratify=stratify)
            if held_out.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            validation = (X[held_out], y[held_out],
                          None if sample_weight is None else sample_weight[held_out])
            X, Y = X[train], Y[train]
            if sample_weight is not None:
                sample_weight = sample_weight[train]
                if not sample_weight.any():
                    raise ValueError("The sample weights of the training split are all zero; "
                                     "use another random_state or validation_fraction")
        batch_size = batch_size_for(self, X.shape[0])
        # scikit-learn divides a batch's penalty by the batch's weight sum; fastmlp's weight
        # decay is one number, so it takes the expected sum: batch_size * the mean weight.
        batch_weight = batch_size * (1.0 if sample_weight is None else float(sample_weight.mean()))
        optimizer = self.model_.optimizer
        if not incremental or not _made_for(optimizer, self.solver):
            optimizer = make_optimizer(self, self._head, batch_weight)
        else:
            set_penalty(optimizer, self.alpha, self._head, batch_weight)
        return _TrainingData(X, Y, validation, batch_size, optimizer, sample_weight)

    def _stratify_validation(self, Y):
        return False

    # ------------------------------------------------------------------ predicting

    def _validated_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse=["csr", "csc"],
                             dtype=(np.float64, np.float32), reset=False)

    def _outputs(self, X):
        """scikit-learn's output activations ``(n, n_outputs_)`` for validated ``X``, in the
        precision of ``X`` or of the network, whichever is higher (as NumPy would give)."""
        dtype = np.result_type(X.dtype, self.model_.dtype)
        if not sp.issparse(X):
            return self._head.outputs(self.model_, X).astype(dtype, copy=False)
        return np.concatenate([self._head.outputs(self.model_, X[i:i + _PREDICT_ROWS].toarray())
                               for i in range(0, X.shape[0], _PREDICT_ROWS)]).astype(
                                   dtype, copy=False)


def _made_for(optimizer, solver):
    return isinstance(optimizer, SGD if solver == "sgd" else Adam)
