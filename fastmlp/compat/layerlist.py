"""``Network([Dense, Relu, Dense, Softmax])``: a layer list trained by full-batch gradient descent.

The seed's API on top of a :class:`fastmlp.Sequential`. Its :class:`Dense` keeps the seed's
conventions: ``weights`` is ``(output_size, input_size)``, ``biases`` is ``(output_size, 1)``,
both drawn uniformly from ``[-0.5, 0.5)``, and data has one sample per *column*
(``weights @ input``). Once a ``Dense`` is part of a :class:`Network` those two attributes are
transposed views of the core layer's ``W`` and ``b``: reading or writing them reads or writes
the network.
"""

from __future__ import annotations

import numpy as np

from .. import layers as core
from ..model import Sequential
from ..optim import SGD
from ._support import check_count, check_layout, features_to_rows


class Dense:
    """Fully connected layer in the seed's layout: ``output = weights @ input + biases``.

    Parameters
    ----------
    input_size, output_size : int
    seed : int or None
        Seeds this layer's initial weights (a :class:`Network` ``seed`` redraws them).
    """

    def __init__(self, input_size, output_size, *, seed=None):
        self.input_size = check_count(input_size, "Dense input_size", 1)
        self.output_size = check_count(output_size, "Dense output_size", 1)
        self._core = None
        self._draw(np.random.default_rng(seed))

    def _draw(self, rng):
        """The seed's initialisation: uniform on [-0.5, 0.5), drawn weights first."""
        weights = rng.random((self.output_size, self.input_size)) - 0.5
        biases = rng.random((self.output_size, 1)) - 0.5
        if self._core is None:
            self._weights, self._biases = weights, biases
        else:
            self.weights, self.biases = weights, biases

    def _bind(self, layer):
        """Hand the weights to the core Dense ``layer``; from now on they live there."""
        layer.W[...] = self._weights.T
        layer.b[...] = self._biases[:, 0]
        self._core = layer
        del self._weights, self._biases

    @property
    def weights(self):
        """``(output_size, input_size)``; a live view once the layer is in a Network."""
        return self._weights if self._core is None else self._core.W.T

    @weights.setter
    def weights(self, value):
        self._assign("weights", value, (self.output_size, self.input_size))

    @property
    def biases(self):
        """``(output_size, 1)``; a live view once the layer is in a Network."""
        return self._biases if self._core is None else self._core.b[:, None]

    @biases.setter
    def biases(self, value):
        self._assign("biases", value, (self.output_size, 1))

    def _assign(self, name, value, shape):
        value = np.asarray(value, dtype=np.float64)
        if value.shape != shape:
            raise ValueError(f"Dense({self.input_size}, {self.output_size}).{name} must have "
                             f"shape {shape}, got {value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"Dense.{name} must be finite (no NaN or inf)")
        if self._core is None:
            setattr(self, f"_{name}", value.copy())
        else:
            getattr(self, name)[...] = value

    def __repr__(self):
        return f"Dense({self.input_size}, {self.output_size})"


class Activation:
    """Base of the activation layers; ``core_class`` is the fastmlp layer it stands for."""

    core_class = None

    def __repr__(self):
        return f"{type(self).__name__}()"


class Relu(Activation):
    """``max(x, 0)``."""

    core_class = core.ReLU


class Sigmoid(Activation):
    """Logistic function."""

    core_class = core.Sigmoid


class Tanh(Activation):
    """Hyperbolic tangent."""

    core_class = core.Tanh


class Softmax(Activation):
    """Class probabilities; the last layer (fused with the cross-entropy loss)."""

    core_class = core.Softmax


class Network:
    """A list of layers trained on softmax cross-entropy by full-batch gradient descent.

    Parameters
    ----------
    layers : list
        :class:`Dense` and activation layers (:class:`Relu`, :class:`Sigmoid`, :class:`Tanh`,
        :class:`Softmax` last), starting with a Dense.
    learning_rate : float, default 0.5
    epochs : int, default 1000
        Full-batch gradient-descent steps per :meth:`train`.
    layout : {"columns", "rows"}, default "columns"
        Data with one sample per column, ``(n_features, n_samples)`` as in the seed, or one
        per row as in the core. Keyword only.
    seed : int or None
        Redraws every Dense layer's initial weights from this seed, in order.
    backend : {"numba", "numpy"}
    dtype : {"float64", "float32"}

    Attributes
    ----------
    model : fastmlp.Sequential
        The core network, sharing the Dense layers' weights.
    """

    def __init__(self, layers, learning_rate=0.5, epochs=1000, *, layout="columns", seed=None,
                 backend="numba", dtype="float64"):
        if not isinstance(layers, (list, tuple)) or not layers:
            raise TypeError("layers must be a non-empty list such as "
                            "[Dense(784, 10), Relu(), Dense(10, 10), Softmax()]")
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError("the same layer object appears twice; create a new layer for each "
                             "position")
        self.layers = list(layers)
        SGD(learning_rate)  # rejects a learning rate that is not a positive number, now
        self.learning_rate = learning_rate
        self.epochs = check_count(epochs, "epochs", 0)
        self.layout = check_layout(layout)
        core_layers = [_core_layer(layer, i) for i, layer in enumerate(self.layers)]
        if seed is not None:
            rng = np.random.default_rng(seed)
            for layer in self.layers:
                if isinstance(layer, Dense):
                    layer._draw(rng)
        self.model = Sequential(core_layers, loss="cross_entropy", backend=backend, dtype=dtype,
                                seed=seed)
        for layer, twin in zip(self.layers, core_layers):
            if isinstance(layer, Dense):
                layer._bind(twin)
        self.history = None

    def train(self, X_train, y_train):
        """``epochs`` steps of gradient descent on all of ``X_train`` at once.

        Parameters
        ----------
        X_train : (n_features, m) array, or (m, n_features) with ``layout="rows"``
        y_train : (m,) integer labels

        Returns
        -------
        fastmlp.History
        """
        X = features_to_rows(X_train, self.model.n_inputs, self.layout, "X_train")
        self.history = self.model.fit(X, y_train, epochs=self.epochs, batch_size=None,
                                      optimizer=SGD(self.learning_rate), shuffle=False,
                                      verbose=0)
        return self.history

    def predict(self, X):
        """Predicted class labels ``(m,)`` for ``X`` in the network's layout."""
        return self.model.predict(features_to_rows(X, self.model.n_inputs, self.layout, "X"))

    def __repr__(self):
        return f"Network({self.layers!r}, learning_rate={self.learning_rate}, " \
               f"epochs={self.epochs})"


def _core_layer(layer, i):
    if isinstance(layer, Dense):
        if layer._core is not None:
            raise ValueError(f"layer {i}, {layer!r}, already belongs to a Network; create a "
                             f"new Dense for this one")
        return core.Dense(layer.input_size, layer.output_size)
    if isinstance(layer, Activation):
        return layer.core_class()
    if isinstance(layer, type) and issubclass(layer, (Dense, Activation)):
        raise TypeError(f"layer {i} is the class {layer.__name__}, not an instance; write "
                        f"{layer.__name__}(...)")
    raise TypeError(f"layer {i} is {type(layer).__name__} {layer!r}; use the layers of "
                    f"fastmlp.compat: Dense, Relu, Sigmoid, Tanh, Softmax")
