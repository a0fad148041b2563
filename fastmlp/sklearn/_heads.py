"""Output heads: how the network's last layer meets scikit-learn's targets and outputs.

scikit-learn's MLP ends in a softmax for multiclass problems, a logistic unit for binary
problems and one per label for multi-label ones, and the identity for regression. A head
knows, for one of those, which fastmlp loss trains it, how scikit-learn's targets become that
loss's targets, how to read scikit-learn's output activations back from the network, and how
the loss fastmlp reports relates to the one scikit-learn reports and differentiates.
"""

from __future__ import annotations

import numpy as np


class Head:
    """Base class; the attributes are set by each head.

    Attributes
    ----------
    out_activation : str
        scikit-learn's ``out_activation_``.
    core_loss : str
        The fastmlp loss that trains the network.
    n_outputs : int
        scikit-learn's ``n_outputs_``: the width of ``coefs_[-1]``.
    width : int
        The width of the network's last Dense layer.
    gradient_scale : float
        scikit-learn's gradient of its data loss is ``gradient_scale`` times the gradient of
        fastmlp's loss; learning rates and penalties are converted with it.
    """

    out_activation = ""
    core_loss = ""

    def __init__(self, n_outputs):
        self.n_outputs = self.width = int(n_outputs)
        self.gradient_scale = 1.0

    def core_targets(self, Y, dtype):
        """Targets for fastmlp's loss from the encoded targets ``Y (n, n_outputs)``."""
        raise NotImplementedError

    def outputs(self, model, X):
        """scikit-learn's output activations ``(n, n_outputs)`` for the rows of ``X``."""
        raise NotImplementedError

    def reported_loss(self, core_loss):
        """scikit-learn's data loss (as it reports it) from fastmlp's mean loss."""
        return core_loss

    def objective_loss(self, core_loss):
        """The data loss whose gradient scikit-learn follows, from fastmlp's mean loss."""
        return self.gradient_scale * core_loss

    def last_layer(self, W, b):
        """``coefs_[-1], intercepts_[-1]`` from the last Dense layer's arrays (views)."""
        return W, b


class SoftmaxHead(Head):
    """Multiclass: one output per class, softmax, cross-entropy on the class index."""

    out_activation = "softmax"
    core_loss = "cross_entropy"

    def core_targets(self, Y, dtype):
        return np.ascontiguousarray(Y.argmax(axis=1), dtype=np.int64)

    def outputs(self, model, X):
        return model.predict_proba(X)


class IdentityHead(Head):
    """Regression: identity outputs, trained with fastmlp's mean squared error.

    scikit-learn reports half the squared error averaged over samples and outputs, but its
    gradient is that of half the squared error summed over outputs (for one output the two
    agree). fastmlp's ``mse`` is the mean over samples and outputs, without the half.
    """

    out_activation = "identity"
    core_loss = "mse"

    def __init__(self, n_outputs):
        super().__init__(n_outputs)
        self.gradient_scale = self.n_outputs / 2.0

    def core_targets(self, Y, dtype):
        return np.ascontiguousarray(Y, dtype=dtype)

    def outputs(self, model, X):
        return model.predict(X)

    def reported_loss(self, core_loss):
        return core_loss / 2.0


class MultilabelHead(Head):
    """Multi-label: one logistic unit per label, binary cross-entropy on the indicators.

    scikit-learn's loss sums the labels' binary cross-entropies (each a mean over samples);
    fastmlp's ``binary_cross_entropy`` is the mean over samples and labels, so scikit-learn's
    loss and gradient are ``n_outputs`` times fastmlp's.
    """

    out_activation = "logistic"
    core_loss = "binary_cross_entropy"

    def __init__(self, n_outputs):
        super().__init__(n_outputs)
        self.gradient_scale = float(self.n_outputs)

    def core_targets(self, Y, dtype):
        return np.ascontiguousarray(Y, dtype=dtype)

    def outputs(self, model, X):
        return model.predict_proba(X)

    def reported_loss(self, core_loss):
        return self.gradient_scale * core_loss


class BinaryHead(MultilabelHead):
    """Two classes: scikit-learn's single logistic unit, binary cross-entropy on whether a
    sample is of the second class: a multi-label head with one label, whose loss and gradient
    are scikit-learn's as they are (one output: no factor)."""

    def __init__(self):
        super().__init__(1)


def classifier_head(y_type, n_classes):
    """The head for a LabelBinarizer target type and class count."""
    if y_type == "multiclass":
        return SoftmaxHead(n_classes)
    if y_type == "binary":
        return BinaryHead()
    if y_type == "multilabel-indicator":
        return MultilabelHead(n_classes)
    raise ValueError(f"fastmlp's MLPClassifier does not train on {y_type} targets: it takes "
                     "one label per sample (binary or multiclass) or a label indicator matrix "
                     "(multi-label)")
