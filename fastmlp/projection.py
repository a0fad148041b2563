"""Principal components as a fixed first layer: train on fewer features, keep one model.

A network's first Dense layer on 28x28 images does most of an epoch's work (784 inputs
against a few hundred outputs). Projecting the pixels once onto their leading principal
directions, training the rest of the network on the projection, then putting the projection
back in front as an ordinary ``Dense`` layer gives a model that takes the raw features like
any other (``predict``, ``save``, ONNX and PyTorch export unchanged), trained at a fraction of
the cost per epoch. The ``fast`` recipe of ``fastmlp train`` does this; in Python::

    pca = PrincipalComponents(160).fit(X)
    head = MLP([160, 384, 128, 10], seed=0)
    head.fit(pca.transform(X), y, epochs=16, batch_size=256, optimizer=AdamW(3e-3))
    model = pca.prepend_to(head)           # Dense(784→160), then head's layers
    model.predict(X_test)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _validation as check
from ._finite import check_finite
from .model import Sequential

#: The most features :meth:`PrincipalComponents.fit` takes. It forms the full covariance and
#: its eigendecomposition: 10,000 features is 0.8 GB of float64 and ~10^12 operations (tens
#: of seconds); beyond, memory and time grow as the square and the cube.
MAX_FEATURES = 10_000


class PrincipalComponents:
    """The ``n_components`` leading principal directions of training rows.

    Parameters
    ----------
    n_components : int
        Directions kept, at least 1 and at most the number of features.
    max_rows : int, default 10_000
        Rows the mean and covariance are estimated from: every ``ceil(n / max_rows)``-th row
        when there are more. The leading directions of image data settle well before 10,000
        rows, and the covariance costs ``rows x features^2``; a fixed stride keeps the result
        the same from run to run.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    components_ : ndarray of shape (n_components, n_features)
        Unit directions, by decreasing variance; each one's largest entry is positive, so the
        signs do not depend on the eigensolver.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        The share of the total variance along each direction.
    """

    def __init__(self, n_components, *, max_rows=10_000):
        for name, value in (("n_components", n_components), ("max_rows", max_rows)):
            if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                    or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.n_components, self.max_rows = int(n_components), int(max_rows)
        self.mean_ = self.components_ = self.explained_variance_ratio_ = None

    def __repr__(self):
        return f"PrincipalComponents({self.n_components}, max_rows={self.max_rows})"

    def fit(self, X):
        """Estimate the mean and the leading directions of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numbers, at least two rows.

        Returns
        -------
        self
        """
        X = check._as_numeric_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"PrincipalComponents.fit expected X of shape (n_samples, "
                             f"n_features), got shape {X.shape}")
        n_rows, n_features = X.shape
        if n_rows < 2:
            raise ValueError(f"PrincipalComponents.fit needs at least 2 rows to estimate a "
                             f"covariance, got {n_rows}")
        if n_features > MAX_FEATURES:
            raise ValueError(f"X has {n_features:,} features; PrincipalComponents takes at most "
                             f"{MAX_FEATURES:,} (it forms their full covariance, which grows as "
                             f"the square of the features and its eigendecomposition as the "
                             f"cube); select or pool the features first")
        if self.n_components > n_features:
            raise ValueError(f"n_components is {self.n_components}, but X has only "
                             f"{n_features} features; keep at most {n_features} components")
        sample = X[::math.ceil(n_rows / self.max_rows)]
        check_finite(sample, "X")
        sample = sample.astype(np.float64)
        self.mean_ = sample.mean(axis=0)
        sample -= self.mean_
        variances, directions = np.linalg.eigh(sample.T @ sample / (len(sample) - 1))
        # eigh sorts ascending; the leading directions are the last columns.
        directions = directions[:, ::-1][:, :self.n_components].T
        flip = np.sign(directions[np.arange(len(directions)),
                                  np.abs(directions).argmax(axis=1)])
        self.components_ = directions * flip[:, None]
        total = max(float(variances.clip(min=0).sum()), np.finfo(np.float64).tiny)
        self.explained_variance_ratio_ = variances[::-1][:self.n_components].clip(min=0) / total
        return self

    def _fitted(self, what):
        if self.components_ is None:
            raise RuntimeError(f"PrincipalComponents.{what} needs a fitted projection; call "
                               f"fit(X) on the training rows first")
        return self.components_

    def weights(self, dtype=np.float32):
        """The projection as a Dense layer's ``(W, b)``: ``X @ W + b`` is :meth:`transform`.

        Returns
        -------
        W : ndarray of shape (n_features, n_components)
        b : ndarray of shape (n_components,)
        """
        components = self._fitted("weights")
        return (np.ascontiguousarray(components.T, dtype=dtype),
                (-self.mean_ @ components.T).astype(dtype))

    def transform(self, X, dtype=np.float32):
        """``X`` projected onto the directions, as the first layer of :meth:`prepend_to` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        dtype : float32 or float64
            Of the result (the dtype of the network that will take it).

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        components = self._fitted("transform")
        dtype = check.check_dtype(dtype)
        n_features = components.shape[1]
        X = check.check_X(X, n_features, f"PrincipalComponents({n_features}→"
                          f"{self.n_components})", dtype)
        W, b = self.weights(dtype)
        out = X @ W
        out += b
        return out

    def prepend_to(self, model):
        """A copy of ``model`` that takes the raw features: the projection, then its layers.

        Parameters
        ----------
        model : Sequential
            Takes ``n_components`` inputs (trained on :meth:`transform` output).

        Returns
        -------
        Sequential
            ``Dense(n_features→n_components)`` holding the projection, then a copy of every
            layer of ``model`` with its weights; same loss, dtype, backend and seed. An
            ordinary model: training it further trains the projection too.
        """
        components = self._fitted("prepend_to")
        if not isinstance(model, Sequential):
            raise TypeError(f"prepend_to takes a fastmlp model (Sequential or MLP), got "
                            f"{type(model).__name__}")
        if model.n_inputs != self.n_components:
            raise ValueError(f"the model takes {model.n_inputs} inputs, but the projection "
                             f"gives {self.n_components}; train a model with "
                             f"{self.n_components} inputs on transform(X)")
        config = model.config()
        projection = {"type": "Dense", "n_in": components.shape[1],
                      "n_out": self.n_components, "init": "xavier", "bias": True}
        whole = Sequential.from_config({**config, "layers": [projection, *config["layers"]]})
        W, b = self.weights(whole.dtype)
        for target, value in zip(whole.parameters(), [W, b, *model.parameters()]):
            target[...] = value
        return whole
