"""MLPClassifier: scikit-learn's multilayer-perceptron classifier, trained by fastmlp."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import unique_labels

from ._base import BaseMLP
from ._heads import classifier_head


def _stochastic_solver(estimator):
    # partial_fit exists for the stochastic solvers only, as in scikit-learn (hasattr is False
    # for solver="lbfgs").
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{estimator.solver} is not stochastic.")
    return True


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multilayer-perceptron classifier with scikit-learn's API, trained by fastmlp.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: the same parameters with the
    same defaults and meaning, the same methods and fitted attributes; it works in
    Pipeline, GridSearchCV, cross_val_score, clone and pickle. The network trains on
    fastmlp's Numba backend.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden activation.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        "lbfgs" runs scipy's L-BFGS-B on the whole training set; "sgd" and "adam" train in
        mini-batches.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases), divided by the number of
        samples in the batch, as in scikit-learn.
    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The schedule of "sgd": "invscaling" is ``learning_rate_init / (t + 1) ** power_t``
        after ``t`` samples; "adaptive" divides the rate by 5 whenever ``n_iter_no_change``
        epochs bring no improvement of ``tol``.
    learning_rate_init : float, default=1e-3
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs for "sgd" and "adam", iterations for "lbfgs".
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    random_state : int, RandomState or None, default=None
        Initial weights (scikit-learn's Glorot-uniform draws), the early-stopping split,
        shuffling and dropout.
    tol : float, default=1e-4
    verbose : bool or int, default=False
        Print the loss of every epoch (iteration for "lbfgs").
    warm_start : bool, default=False
        Continue from the previous fit's weights.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its accuracy stops
        improving; the best weights are kept.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's settings.
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Loss evaluations allowed to "lbfgs".
    backend : {"numba", "numpy"}, default="numba"
        fastmlp's fast path, or its NumPy reference.
    dtype : {"float32", "float64"} or None, default=None
        The float type the network computes in; None follows ``X`` as scikit-learn does
        (float32 input stays float32, anything else is float64).
    dropout : float, default=0.0
        Dropout after each hidden activation (stochastic solvers only).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of (n_in, n_out) arrays
    intercepts_ : list of (n_out,) arrays
    loss_ : float
        The penalised loss after the last epoch (iteration).
    best_loss_, loss_curve_, validation_scores_, best_validation_score_
        As scikit-learn's (stochastic solvers only).
    n_iter_, t_, n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_
        As scikit-learn's.
    model_ : fastmlp.Sequential
        The trained network (``model_.save(path)`` writes it without pickle).
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 backend="numba", dtype=None, dropout=0.0):
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

    _y_validation = {}

    def fit(self, X, y, sample_weight=None):
        """Train on ``X (n_samples, n_features)`` and labels ``y (n_samples,)``, or a label
        indicator matrix ``y (n_samples, n_labels)`` (multi-label: one logistic output per
        label, trained with binary cross-entropy).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero. As in scikit-learn, each batch's data loss
            (and its gradient) is the weighted mean ``sum w_i l_i / sum w_i`` and the L2
            penalty is divided by the weight sum instead of the row count; with "lbfgs"
            (one batch: the whole set) that is exactly scikit-learn's objective. In
            mini-batches the penalty uses the expected weight sum of a batch (its size times
            the mean weight) and ``loss_`` is the epoch's weighted mean; scikit-learn uses
            each batch's own sum and averages the batches by row count.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``X, y``; ``classes`` (every label) is required on the first call.

        ``sample_weight`` as in :meth:`fit`; the arguments are in scikit-learn 1.9's order.

        Returns
        -------
        self
        """
        first_call = self._first_partial_fit_call(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True,
                         classes=classes if first_call else None)

    def _first_partial_fit_call(self, classes):
        known = getattr(self, "classes_", None)
        if known is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None and known is not None:
            if not np.array_equal(known, unique_labels(classes)):
                raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                                 f"partial_fit, was: {known!r}")
            return False
        return known is None

    def _encode_targets(self, y, first_pass, incremental, classes):
        if first_pass:
            binarizer = LabelBinarizer()
            binarizer.fit(y if classes is None else classes)
            if len(binarizer.classes_) < 2:
                raise ValueError(
                    f"MLPClassifier needs samples of at least 2 classes, but the data holds "
                    f"only one class: {binarizer.classes_.tolist()[0]!r}")
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
            head = classifier_head(binarizer.y_type_, len(binarizer.classes_))
            return binarizer.transform(y).astype(bool), head
        if incremental:
            Y = self._indicator_of_known_labels(y)
            if Y is not None:
                return Y, self._head
        found = unique_labels(y)
        if self.warm_start and not incremental:
            if set(found) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {found}")
        elif len(np.setdiff1d(found, self.classes_, assume_unique=True)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {found}.")
        return self._label_binarizer.transform(y).astype(bool), self._head

    def _indicator_of_known_labels(self, y):
        """The binarizer's label indicator of ``y (n_samples,)``, shape ``(n_samples, 1)`` for
        two classes and ``(n_samples, n_classes)`` for more, when every label is one of
        ``classes_``; None otherwise (and for multi-label or mixed-type targets), left to the
        binarizer and its checks, which say what is wrong.

        A ``partial_fit`` call on a batch of 200 digits spent more time in those checks and
        the binarizer's ``transform`` (each working out the target's type again) than in its
        epoch; a sorted search of ``classes_`` gives the same indicator.
        """
        classes = self.classes_
        kind = self._label_binarizer.y_type_
        numeric = y.dtype.kind in "biuf" and classes.dtype.kind in "biuf"
        if (kind not in ("binary", "multiclass") or y.ndim != 1
                or not (numeric or y.dtype.kind == classes.dtype.kind == "U")):
            return None
        codes = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        if not np.array_equal(classes[codes], y):
            return None
        if kind == "binary":
            return (codes == 1)[:, np.newaxis]
        Y = np.zeros((len(y), len(classes)), dtype=bool)
        Y[np.arange(len(y)), codes] = True
        return Y

    def _stratify_validation(self, Y):
        # As scikit-learn: stratified for one output column (binary), not otherwise.
        return Y.shape[1] == 1

    def _score_outputs(self, outputs, y, sample_weight):
        if not np.isfinite(outputs).all():
            return np.nan
        return accuracy_score(y, self._decode(outputs), sample_weight=sample_weight)

    def _decode(self, outputs):
        """Labels from output activations, as scikit-learn's ``LabelBinarizer`` decodes them."""
        if self._label_binarizer.y_type_ == "multiclass":
            # Its rule (the first largest output's class), without its array-API dispatch,
            # which took a third of a one-row predict.
            return self.classes_[outputs.argmax(axis=1)]
        if outputs.shape[1] == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def predict(self, X):
        """Predicted labels ``(n_samples,)``, from ``classes_``."""
        return self._decode(self._outputs(self._validated_X(X)))

    def predict_proba(self, X):
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        outputs = self._outputs(self._validated_X(X))
        if outputs.shape[1] == 1:
            p = outputs.ravel()
            return np.column_stack([1 - p, p])
        return outputs

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        probabilities = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(probabilities, out=probabilities)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
